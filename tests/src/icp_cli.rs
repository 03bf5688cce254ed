//! The real `icp` binary (icp-cli, from npm's `@icp-sdk/icp-cli-linux-x64`) for the tests that
//! drive it: installed into `target/icp-cli/` when missing (the tests fail and say so if npm or
//! its registry cannot be reached), run with its global data in a fresh home.

use crate::workspace_root;
use candid::Principal;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The icp-cli release the test runs.
pub const ICP_CLI_PACKAGE: &str = "@icp-sdk/icp-cli-linux-x64@1.5.0";

/// The `icp` binary under `target/icp-cli/`, installed with npm when missing.
pub fn icp_binary() -> PathBuf {
    // The tests of this file run in parallel: one installs, the others wait for it.
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
    /// The binary.
    pub binary: PathBuf,
    /// Its `ICP_HOME` (removed on drop).
    pub home: PathBuf,
}

impl Icp {
    /// A fresh home named after `home` (and this process).
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

    /// Runs `icp args` in `dir` with `env`; its stdout and stderr, or a panic with both.
    fn checked(&self, dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> (String, String) {
        let output = self.output(dir, args, env);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "icp {args:?} failed ({}):\n{stdout}\n{stderr}",
            output.status,
        );
        (stdout, stderr)
    }

    /// Runs `icp args` in `dir`; its stdout, or a panic with both streams.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> String {
        self.checked(dir, args, &[]).0
    }

    /// Runs `icp args` in `dir`; its stdout followed by its stderr (where icp reports what it
    /// did, e.g. "Topped up canister ..."), or a panic with both.
    pub fn run_logged_in(&self, dir: &Path, args: &[&str]) -> String {
        let (stdout, stderr) = self.checked(dir, args, &[]);
        stdout + &stderr
    }

    /// Creates the identity `name` (stored in plaintext: a test's throwaway key); its principal.
    pub fn new_identity(&self, name: &str) -> Principal {
        let args = ["identity", "new", name, "--storage", "plaintext", "-q"];
        self.run(&args);
        let principal = self.run(&["identity", "principal", "--identity", name]);
        Principal::from_text(principal.trim()).expect("icp prints a principal")
    }

    /// Runs `icp args` in its home.
    pub fn run(&self, args: &[&str]) -> String {
        self.run_in(&self.home, args)
    }
}

/// A managed network in the icp project `project`, as `icp.yaml` declares it: on a free port, so
/// tests and developers' networks do not collide.
pub const LOCAL_NETWORK_YAML: &str =
    "networks:\n  - name: local\n    mode: managed\n    gateway:\n      bind: 127.0.0.1\n      port: 0\n";

/// `ic-sim-server` as built by `cargo build -p ic-sim-server`, icp-cli's network launcher.
pub fn launcher() -> PathBuf {
    let launcher = workspace_root().join("target/debug/ic-sim-server");
    assert!(
        launcher.exists(),
        "build it first: cargo build -p ic-sim-server"
    );
    launcher
}

/// Where icp describes the running local network of the project in `project` (ports, the
/// launcher's PocketIC instance): `.icp/cache/networks/local/descriptor.json`.
pub fn network_descriptor_path(project: &Path) -> PathBuf {
    project.join(".icp/cache/networks/local/descriptor.json")
}

/// The descriptor of the project's running local network; `None` when no network runs.
pub fn network_descriptor(project: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(network_descriptor_path(project)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The local network of an icp project, started in the background by `icp network start -d` with
/// `ic-sim-server` as its launcher (`ICP_CLI_NETWORK_LAUNCHER_PATH`); stopped when dropped.
pub struct LocalNetwork<'a> {
    icp: &'a Icp,
    project: PathBuf,
    running: bool,
}

impl<'a> LocalNetwork<'a> {
    /// Starts the network of the project in `project` (its `icp.yaml` declares it); panics with
    /// icp's output if it does not start. icp seeds every identity with ICP and cycles.
    pub fn start(icp: &'a Icp, project: &Path) -> Self {
        let args = ["network", "start", "-d"];
        let launcher = launcher();
        let env = [("ICP_CLI_NETWORK_LAUNCHER_PATH", launcher.as_path())];
        icp.checked(project, &args, &env);
        LocalNetwork {
            icp,
            project: project.to_path_buf(),
            running: true,
        }
    }

    /// `icp network stop`; panics with icp's output if it fails.
    pub fn stop(mut self) {
        self.running = false;
        self.icp.run_logged_in(&self.project, &["network", "stop"]);
    }
}

impl Drop for LocalNetwork<'_> {
    fn drop(&mut self) {
        if self.running {
            let _ = self.icp.output(&self.project, &["network", "stop"], &[]);
        }
    }
}

impl Drop for Icp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// A fresh directory under the system's temporary directory.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
