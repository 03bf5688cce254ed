//! Command-line options of `ic-sim-server`: the flags the `pocket-ic` client passes, and those
//! of icp-cli's network launcher contract.

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
    /// Act as icp-cli's network launcher (given `--interface-version`).
    Launch(LaunchOptions),
}

/// Options of icp-cli's network launcher contract.
#[derive(Debug, PartialEq, Eq)]
pub struct LaunchOptions {
    /// The contract version icp-cli speaks (1.x).
    pub interface_version: String,
    /// Where to write `status.json`.
    pub status_dir: PathBuf,
    /// Address to listen on.
    pub bind: String,
    /// Port of the HTTPS interface (the gateway); 0 picks a free one.
    pub gateway_port: u16,
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
            "{}\nusage: ic-sim-server [--version] [--port-file PATH] [--port N] [--ip-addr ADDR] [--ttl SECONDS] [--hard-ttl SECONDS]\n   or: ic-sim-server --interface-version 1.x --status-dir DIR [--bind ADDR] [--gateway-port N] (icp-cli network launcher)",
            self.0
        )
    }
}

/// Parses the arguments after the program name (`--flag value` or `--flag=value`).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, CliError> {
    let mut options = ServeOptions {
        port_file: None,
        port: 0,
        ip_addr: "127.0.0.1".to_string(),
        ttl: DEFAULT_TTL,
        hard_ttl: None,
    };
    let mut launch = LaunchFlags::default();
    let mut args = args.into_iter().flat_map(|arg| match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => vec![flag.to_string(), value.to_string()],
        _ => vec![arg],
    });
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
            "--interface-version" => launch.interface_version = Some(value(&arg)?),
            "--status-dir" => launch.status_dir = Some(PathBuf::from(value(&arg)?)),
            "--bind" => launch.bind = Some(value(&arg)?),
            "--gateway-port" => launch.gateway_port = number(&arg, &value(&arg)?)?,
            // The launcher keeps no state on disk and serves any host name.
            "--state-dir" | "--domain" => {
                value(&arg)?;
            }
            "--verbose" => {}
            other => return Err(CliError(format!("unknown argument `{other}`"))),
        }
    }
    match launch.interface_version {
        None => Ok(Command::Serve(options)),
        Some(version) if version.starts_with("1.") => Ok(Command::Launch(LaunchOptions {
            interface_version: version,
            status_dir: launch.status_dir.ok_or_else(|| {
                CliError("--status-dir is required with --interface-version".into())
            })?,
            bind: launch.bind.unwrap_or(options.ip_addr),
            gateway_port: launch.gateway_port,
        })),
        Some(version) => Err(CliError(format!(
            "--interface-version {version}: only the launcher interface 1.x is supported"
        ))),
    }
}

/// The launcher flags seen so far.
#[derive(Default)]
struct LaunchFlags {
    interface_version: Option<String>,
    status_dir: Option<PathBuf>,
    bind: Option<String>,
    gateway_port: u16,
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
    fn icp_cli_launcher_flags_select_the_launcher() {
        let launcher = args(&[
            "--interface-version",
            "1.1.0",
            "--state-dir",
            "/s",
            "--bind",
            "127.0.0.1",
            "--gateway-port",
            "8000",
            "--status-dir",
            "/tmp/st",
            "--domain=127.0.0.1",
        ]);
        assert_eq!(
            parse(launcher),
            Ok(Command::Launch(LaunchOptions {
                interface_version: "1.1.0".into(),
                status_dir: PathBuf::from("/tmp/st"),
                bind: "127.0.0.1".into(),
                gateway_port: 8000,
            }))
        );
        let other = parse(args(&[
            "--interface-version",
            "2.0.0",
            "--status-dir",
            "/x",
        ]));
        assert!(other.unwrap_err().0.contains("1.x"));
        let missing = parse(args(&["--interface-version", "1.0.0"]));
        assert!(missing.unwrap_err().0.contains("--status-dir"));
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
