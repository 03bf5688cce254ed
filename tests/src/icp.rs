//! The real `icp` binary (icp-cli, from npm's `@icp-sdk/icp-cli-linux-x64`) for the tests that
//! drive ic-sim with it: [`icp_binary`] installs it into `target/icp-cli/` when missing, failing
//! (never skipping) when npm or its registry cannot be reached, and [`Icp`] runs it with its
//! global data in a fresh directory and telemetry off.

use crate::workspace_root;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The icp-cli release the tests run.
pub const ICP_CLI_PACKAGE: &str = "@icp-sdk/icp-cli-linux-x64@1.5.0";

/// The `icp` binary under `target/icp-cli/`, installed with npm when missing.
pub fn icp_binary() -> PathBuf {
    // The tests of a file run in parallel: one installs, the others wait for it.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _installing = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let prefix = workspace_root().join("target/icp-cli");
    let binary = prefix.join("node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp");
    if binary.exists() {
        return binary;
    }
    std::fs::create_dir_all(&prefix).unwrap();
    let installed = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund"])
        // An unreachable registry fails within seconds, not after npm's minute of retries.
        .args(["--fetch-retries=0", "--fetch-timeout=10000", "--prefix"])
        .arg(&prefix)
        .arg(ICP_CLI_PACKAGE)
        .status();
    match installed {
        Ok(status) if status.success() && binary.exists() => binary,
        Ok(status) => panic!(
            "`npm install {ICP_CLI_PACKAGE}` failed ({status}): the npm registry is unreachable or the package has no `bin/icp`; this test needs the real icp binary"
        ),
        Err(e) => panic!(
            "cannot run npm ({e}): install Node.js and npm (Debian: `apt-get install nodejs npm`) so the test can fetch {ICP_CLI_PACKAGE}"
        ),
    }
}

/// The `icp` binary with its global data (identities, settings) in a fresh `home`, telemetry off.
pub struct Icp {
    pub binary: PathBuf,
    pub home: PathBuf,
}

impl Icp {
    /// The binary, installed if needed, with a fresh home named after `home`.
    pub fn new(home: &str) -> Self {
        Icp {
            binary: icp_binary(),
            home: tempdir(home),
        }
    }

    /// Runs `icp args` in `dir`; its output, whatever its exit status.
    pub fn output(&self, dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .env("ICP_HOME", &self.home)
            .env("DO_NOT_TRACK", "1")
            .current_dir(dir)
            .args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("icp runs")
    }

    /// Runs `icp args` in `dir`; its stdout, or a panic with both streams.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.output(dir, args, &[]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "icp {args:?} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Runs `icp args` in its home.
    pub fn run(&self, args: &[&str]) -> String {
        self.run_in(&self.home, args)
    }
}

impl Drop for Icp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// A fresh directory under the system's temporary directory.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
