//! Command-line options of `ic-sim-server`, the flags the `pocket-ic` client passes.

use std::path::PathBuf;
use std::time::Duration;

/// The version line `--version` prints. The `pocket-ic` 16.x client accepts a server only when
/// this line reads `pocket-ic-server 16.y.z`: it declares protocol compatibility, not that this
/// binary is PocketIC.
pub const VERSION_LINE: &str = "pocket-ic-server 16.1.0";

/// How long the server stays up with no request, unless `--ttl` says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// What the server was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print [`VERSION_LINE`] and exit.
    PrintVersion,
    /// Serve the REST protocol.
    Serve(ServeOptions),
}

/// Options for serving.
#[derive(Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// File to create (exclusively) and write the listening port to.
    pub port_file: Option<PathBuf>,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Address to listen on.
    pub ip_addr: String,
    /// Shut down after this long without requests.
    pub ttl: Duration,
    /// Shut down this long after start, whatever happens.
    pub hard_ttl: Option<Duration>,
}

/// A command line that could not be understood.
#[derive(Debug, PartialEq, Eq)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\nusage: ic-sim-server [--version] [--port-file PATH] [--port N] [--ip-addr ADDR] [--ttl SECONDS] [--hard-ttl SECONDS]",
            self.0
        )
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, CliError> {
    let mut options = ServeOptions {
        port_file: None,
        port: 0,
        ip_addr: "127.0.0.1".to_string(),
        ttl: DEFAULT_TTL,
        hard_ttl: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| CliError(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--version" | "-V" => return Ok(Command::PrintVersion),
            "--port-file" => options.port_file = Some(PathBuf::from(value("--port-file")?)),
            "--port" => options.port = number("--port", &value("--port")?)?,
            "--ip-addr" => options.ip_addr = value("--ip-addr")?,
            "--ttl" => options.ttl = Duration::from_secs(number("--ttl", &value("--ttl")?)?),
            "--hard-ttl" => {
                options.hard_ttl = Some(Duration::from_secs(number(
                    "--hard-ttl",
                    &value("--hard-ttl")?,
                )?))
            }
            // Accepted for compatibility with PocketIC's own flags; logging goes to stderr.
            "--log-levels" => {
                value("--log-levels")?;
            }
            other => return Err(CliError(format!("unknown argument `{other}`"))),
        }
    }
    Ok(Command::Serve(options))
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, CliError> {
    text.parse()
        .map_err(|_| CliError(format!("{flag} expects a number, got `{text}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn version_flag_wins() {
        assert_eq!(
            parse(args(&["--ttl", "5", "--version"])),
            Ok(Command::PrintVersion)
        );
    }

    #[test]
    fn client_flags_are_understood() {
        let Ok(Command::Serve(options)) = parse(args(&["--ttl", "7", "--port-file", "/tmp/p"]))
        else {
            panic!("expected serve options")
        };
        assert_eq!(options.ttl, Duration::from_secs(7));
        assert_eq!(options.port_file, Some(PathBuf::from("/tmp/p")));
        assert_eq!(options.port, 0);
    }

    #[test]
    fn bad_input_names_the_flag() {
        assert!(parse(args(&["--ttl", "soon"]))
            .unwrap_err()
            .0
            .contains("--ttl"));
        assert!(parse(args(&["--bogus"])).unwrap_err().0.contains("--bogus"));
        assert!(parse(args(&["--port-file"]))
            .unwrap_err()
            .0
            .contains("needs a value"));
    }
}
