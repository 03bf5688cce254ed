//! Command-line options of the dfx subcommands.

use super::Fatal;

/// Cycles `dfx canister create` gives a canister without `--with-cycles` (dfx's default).
const DEFAULT_CREATE_CYCLES: u128 = 3_000_000_000_000;

/// Command-line options of a dfx subcommand: flags (with or without a value) and positionals.
pub(super) struct Options<'a> {
    pub(super) positional: Vec<&'a str>,
    flags: Vec<(&'static str, Option<&'a str>)>,
}

impl<'a> Options<'a> {
    /// Parses `args` against `known` flags (`(name, takes_value)`); `--flag=value` works too.
    pub(super) fn parse(
        args: &[&'a str],
        known: &[(&'static str, bool)],
    ) -> Result<Options<'a>, Fatal> {
        let mut options = Options {
            positional: Vec::new(),
            flags: Vec::new(),
        };
        let mut iter = args.iter();
        while let Some(&arg) = iter.next() {
            if !arg.starts_with('-') {
                options.positional.push(arg);
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v)),
                None => (arg, None),
            };
            let &(name, takes_value) = known
                .iter()
                .find(|(k, _)| *k == flag)
                .ok_or_else(|| Fatal::script(format!("unsupported option `{flag}`")))?;
            let value = match (takes_value, inline) {
                (false, None) => None,
                (false, Some(_)) => return Err(Fatal::script(format!("`{name}` takes no value"))),
                (true, Some(v)) => Some(v),
                (true, None) => Some(
                    *iter
                        .next()
                        .ok_or_else(|| Fatal::script(format!("`{name}` needs a value")))?,
                ),
            };
            options.flags.push((name, value));
        }
        Ok(options)
    }

    /// The positionals, which must be exactly `count`.
    pub(super) fn positional(&self, count: usize) -> Result<Vec<&'a str>, Fatal> {
        if self.positional.len() != count {
            return Err(Fatal::script(format!(
                "expected {count} argument(s), got `{}`",
                self.positional.join(" ")
            )));
        }
        Ok(self.positional.clone())
    }

    pub(super) fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| *f == flag)
    }

    pub(super) fn value(&self, flag: &str) -> Option<&'a str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .and_then(|(_, v)| *v)
    }

    pub(super) fn values(&self, flag: &str) -> Vec<&'a str> {
        self.flags
            .iter()
            .filter(|(f, _)| *f == flag)
            .filter_map(|(_, v)| *v)
            .collect()
    }

    /// `--with-cycles`, or dfx's default.
    pub(super) fn cycles(&self) -> Result<u128, Fatal> {
        match self.value("--with-cycles") {
            None => Ok(DEFAULT_CREATE_CYCLES),
            Some(text) => text.parse().map_err(|_| {
                Fatal::script(format!(
                    "`--with-cycles {text}`: give the number of cycles in digits"
                ))
            }),
        }
    }
}
