//! `didc encode`, the Candid command-line tool the project's scripts use to encode an argument
//! typed against a `.did` file: `didc encode -d FILE -t TYPES TEXT` prints the bytes in hex.
//! Typed as `dfx` arguments are here: a value that does not fit, or a record field the type lacks,
//! fails the run.

use super::dfx::hex;
use super::options::Options;
use super::project::Interface;
use super::{Fatal, Session};
use std::path::Path;

impl Session {
    pub(super) fn didc(&self, args: &[&str]) -> Result<String, Fatal> {
        let ["encode", rest @ ..] = args else {
            return Err(Fatal::script(format!(
                "`didc {}`: only `didc encode -d FILE -t TYPES TEXT` is supported",
                args.join(" ")
            )));
        };
        let opts = Options::parse(
            rest,
            &[
                ("-d", true),
                ("--defs", true),
                ("-t", true),
                ("--types", true),
            ],
        )?;
        let (Some(defs), Some(types), [text]) = (
            opts.value("-d").or(opts.value("--defs")),
            opts.value("-t").or(opts.value("--types")),
            opts.positional.as_slice(),
        ) else {
            return Err(Fatal::script(
                "usage: didc encode -d FILE -t TYPES TEXT (typed encoding only)",
            ));
        };
        let interface =
            Interface::with_init_types(&self.path(defs), types).map_err(Fatal::Failed)?;
        let bytes = interface
            .encode_init(Some(text))
            .map_err(|e| Fatal::script(format!("didc encode `{text}`: {e}")))?;
        Ok(hex(&bytes))
    }
}

/// `didc encode -d defs -t types text`, in hex: `text` typed against `types` (a tuple of types,
/// e.g. the init arguments `(opt LoadInit)`) with the definitions of the `.did` file `defs`. For
/// a stand-in of didc where the real one is not installed.
pub fn encode(defs: &Path, types: &str, text: &str) -> Result<String, String> {
    let interface = Interface::with_init_types(defs, types)?;
    let bytes = interface
        .encode_init(Some(text))
        .map_err(|e| format!("didc encode `{text}`: {e}"))?;
    Ok(hex(&bytes))
}
