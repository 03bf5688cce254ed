//! The real `icp` binary (icp-cli, from npm's `@icp-sdk/icp-cli-linux-x64`) operating the monitor
//! on ic-sim: `icp build` builds it through the workspace's icp.yaml (offline), a canister the
//! operator controls is created through the `pocket-ic` client, and `icp canister install` and
//! `icp canister call` reach it through the instance's HTTPS interface as a connected network
//! (`--network <URL> --root-key <hex>`), with `monitor/monitor.did` or the canister's own
//! `candid:service` metadata for the arguments and replies: an update (`register`) and queries
//! (`list_registrations`, `events`, `dead_letters`). `icp network start` runs `ic-sim-server` as
//! its network launcher as far as ic-sim can go. The binary is installed into `target/icp-cli/`
//! when missing; if npm or its registry cannot be reached the test fails and says so.

use candid::Principal;
use integration_tests::{canister_wasm, workspace_root};
use pocket_ic::{CanisterSettings, PocketIcBuilder};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The icp-cli release the test runs.
const ICP_CLI_PACKAGE: &str = "@icp-sdk/icp-cli-linux-x64@1.5.0";

/// The `icp` binary under `target/icp-cli/`, installed with npm when missing.
fn icp_binary() -> PathBuf {
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
struct Icp {
    binary: PathBuf,
    home: PathBuf,
}

impl Icp {
    fn new(home: &str) -> Self {
        Icp {
            binary: icp_binary(),
            home: tempdir(home),
        }
    }

    /// Runs `icp args` in `dir`; its output, whatever its exit status.
    fn output(&self, dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
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
    fn run_in(&self, dir: &Path, args: &[&str]) -> String {
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
    fn run(&self, args: &[&str]) -> String {
        self.run_in(&self.home, args)
    }
}

impl Drop for Icp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

#[test]
fn icp_canister_call_operates_the_monitor_on_ic_sim() {
    let icp = Icp::new("icp-home");
    let version = icp.run(&["--version"]);
    assert!(version.contains("1.5.0"), "{version}");
    icp.run(&[
        "identity",
        "new",
        "operator",
        "--storage",
        "plaintext",
        "-q",
    ]);
    let operator = icp.run(&["identity", "principal", "--identity", "operator"]);
    let operator = Principal::from_text(operator.trim()).expect("a principal");

    // `icp build` runs the monitor's build step offline: scripts/build-canisters.sh, then a copy.
    let root = workspace_root();
    let artifact = root.join(".icp/cache/artifacts/monitor");
    let _ = std::fs::remove_file(&artifact);
    icp.run_in(&root, &["build", "monitor"]);
    assert_eq!(
        std::fs::read(&artifact).unwrap(),
        canister_wasm("hooks-monitor"),
        "icp's build output is target/canisters/hooks-monitor.wasm"
    );

    // A canister the operator controls, created through the pocket-ic API (icp creates canisters
    // through the cycles ledger and the CMC, which ic-sim does not have), installed by icp.
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let settings = CanisterSettings {
        controllers: Some(vec![operator]),
        ..Default::default()
    };
    let monitor = pic.create_canister_with_settings(None, Some(settings));
    pic.add_cycles(monitor, 100_000_000_000_000);
    let watched = pic.create_canister();
    pic.add_cycles(watched, 10_000_000_000_000);
    pic.set_controllers(watched, None, vec![Principal::anonymous(), monitor])
        .unwrap();
    let url = pic.auto_progress().to_string();
    let root_key = hex(&fetch_root_key(&url));
    let network = ["--network", &url, "--root-key", &root_key];
    let as_operator = ["--identity", "operator"];
    let init = format!("(opt record {{ admins = opt vec {{ principal \"{operator}\" }} }})");
    let monitor = monitor.to_text();
    let wasm = artifact.to_str().unwrap();
    let install = [&["canister", "install"], &network[..], &as_operator];
    icp.run(
        &[
            &install.concat()[..],
            &["--wasm", wasm, "--args", &init, &monitor],
        ]
        .concat(),
    );

    let did = root.join("monitor/monitor.did");
    let with_did = ["--candid", did.to_str().unwrap()];
    let call = |interface: &[&str], method: &str, args: &str, query: bool| {
        let mode: &[&str] = if query { &["--query"] } else { &[] };
        let head = [&["canister", "call"], &network[..], &as_operator, interface].concat();
        icp.run(&[&head[..], &[&monitor, method, args], mode].concat())
    };

    // An update through the synchronous call endpoint, its certificate checked by icp.
    let register = format!(
        r#"(record {{ canister_id = principal "{watched}"; label = opt "watched"; cycles_threshold = opt 1_000_000_000_000; hooks = record {{ on_low_cycles = true; on_low_memory = true; on_error = true }} }})"#
    );
    let registered = call(&with_did, "register", &register, false);
    assert!(registered.contains("Ok"), "{registered}");

    // Queries, decoded with the .did file.
    let listed = call(&with_did, "list_registrations", "(null, 50)", true);
    assert!(listed.contains("\"watched\""), "{listed}");
    assert!(listed.contains(&watched.to_text()), "{listed}");
    let events = call(&with_did, "events", "(record { limit = opt 10 })", true);
    assert!(events.contains("events"), "{events}");
    let dead = call(&with_did, "dead_letters", "(null, null, 10)", true);
    assert!(dead.contains("dead_letters = vec {}"), "{dead}");

    // The same query as an update (no `--query`) answers alike, certified.
    let listed_by_update = call(&with_did, "list_registrations", "(null, 50)", false);
    assert_eq!(listed_by_update, listed);

    // Without `--candid`, icp reads the interface from the canister's certified
    // `candid:service` metadata (read_state `/canister/<id>/metadata/candid:service`).
    let from_metadata = call(&[], "list_registrations", "(null, 50)", true);
    assert_eq!(from_metadata, listed);

    // A method the interface does not have is refused.
    let head = [&["canister", "call"], &network[..], &with_did].concat();
    let unknown = icp.output(
        &icp.home,
        &[&head[..], &[&monitor, "nope", "()"]].concat(),
        &[],
    );
    assert!(!unknown.status.success());
}

/// `icp network start` runs ic-sim-server as its network launcher: icp accepts the status file
/// (root key, gateway port) and talks to the network, then stops at the first thing ic-sim lacks,
/// the cycles ledger, through which icp creates the Candid UI canister (see sim/README.md). When
/// ic-sim gains it, this test fails and the README's account must change with it.
#[test]
fn icp_network_start_runs_ic_sim_as_launcher_until_the_cycles_ledger_is_needed() {
    let icp = Icp::new("icp-launcher-project");
    let launcher = workspace_root().join("target/debug/ic-sim-server");
    assert!(
        launcher.exists(),
        "build it first: cargo build -p ic-sim-server"
    );
    std::fs::write(
        icp.home.join("icp.yaml"),
        "networks:\n  - name: local\n    mode: managed\n    gateway:\n      bind: 127.0.0.1\n      port: 0\n",
    )
    .unwrap();
    let output = icp.output(
        &icp.home,
        &["network", "start"],
        &[("ICP_CLI_NETWORK_LAUNCHER_PATH", &launcher)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("Seeding ICP and cycles account balances"),
        "icp read the launcher's status and reached the network:\n{stderr}"
    );
    assert!(
        stderr.contains("Failed to create canister for Candid UI")
            && stderr.contains("Canister um5iw-rqaaa-aaaaq-qaaba-cai not found"),
        "{stderr}"
    );
}

/// The root key from the instance's `/api/v2/status`, as the Rust agent reads it.
fn fetch_root_key(url: &str) -> Vec<u8> {
    let agent = ic_agent::Agent::builder().with_url(url).build().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(agent.fetch_root_key()).unwrap();
    agent.read_root_key()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh directory under the system's temporary directory.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
