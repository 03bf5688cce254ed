//! The icp walkthrough (`scripts/icp-walkthrough.sh`) runs with the real `icp` 1.5.0 (installed
//! from npm when missing; the test fails, saying so, when npm or its registry cannot be reached)
//! against a local network that `icp network start` runs on `ic-sim-server` as its launcher, in
//! the repository root, as a user runs it: statement by statement (`integration_tests::script`),
//! every `# expect:` claim checked against the output of the command above it, the upgrade script
//! it calls run by real bash. Two stand-ins are on its `PATH`: `sleep N` lets N seconds of IC time
//! pass on the launcher's instance at once (`src/icp_sleep.py`, through the instance's PocketIC
//! REST API) instead of N real seconds, and `didc` is `src/bin/didc-encode.rs` (no registry
//! carries didc). The README's icp snippet is commands of the script, as written, so they run too.

use dfx_script::{Failure, Transcript};
use integration_tests::icp_cli::{launcher, network_descriptor, network_descriptor_path, Icp};
use integration_tests::script::{claims, ScriptRunner};
use integration_tests::workspace_root;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const WALKTHROUGH: &str = "scripts/icp-walkthrough.sh";
/// The `sleep` stand-in.
const SLEEP: &str = include_str!("../src/icp_sleep.py");

fn read(path: &str) -> String {
    let path = workspace_root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Seconds of IC time on the running local network since the wall clock's `since`, 0 when no
/// network runs.
fn ic_time_secs(since: u64) -> u64 {
    let Some(descriptor) = network_descriptor(&workspace_root()) else {
        return 0;
    };
    let (Some(port), Some(instance)) = (
        descriptor["pocketic-config-port"].as_u64(),
        descriptor["pocketic-instance-id"].as_u64(),
    ) else {
        return 0;
    };
    let url = format!("http://127.0.0.1:{port}/instances/{instance}/read/get_time");
    reqwest::blocking::get(url)
        .and_then(|reply| reply.json::<serde_json::Value>())
        .ok()
        .and_then(|time| time["nanos_since_epoch"].as_u64())
        .map_or(0, |ns| (ns / 1_000_000_000).saturating_sub(since))
}

fn wall_clock_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A directory of the commands the script finds first on its `PATH`: the real `icp`, and the
/// `sleep` and `didc` stand-ins.
fn commands(icp: &Icp) -> PathBuf {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = icp.home.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    symlink(&icp.binary, dir.join("icp")).unwrap();
    symlink(env!("CARGO_BIN_EXE_didc-encode"), dir.join("didc")).unwrap();
    let sleep = dir.join("sleep");
    std::fs::write(&sleep, SLEEP).unwrap();
    std::fs::set_permissions(&sleep, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Stops the project's local network when dropped, however the test ended.
struct NetworkStop<'a>(&'a Icp);

impl Drop for NetworkStop<'_> {
    fn drop(&mut self) {
        let _ = self.0.output(&workspace_root(), &["network", "stop"], &[]);
    }
}

/// Runs `script` in the repository root as the walkthrough runs: the transcript (its steps timed
/// in seconds of IC time since the start) and the real seconds it took, or where it failed. One
/// run at a time: they share the project's network (port 8000, `.icp/`).
fn run(script: &str) -> Result<(Transcript, u64), Failure> {
    static NETWORK: Mutex<()> = Mutex::new(());
    let _network = NETWORK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = wall_clock_secs();
    let icp = Icp::new("icp-walkthrough");
    // The user's own identity, the default one, as a developer has.
    icp.new_identity("operator");
    icp.run(&["identity", "default", "operator"]);
    let root = workspace_root();
    // A network left by an interrupted run would hold the port.
    let _ = icp.output(&root, &["network", "stop"], &[]);
    let _stop = NetworkStop(&icp);
    let path = format!(
        "{}:{}",
        commands(&icp).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    launcher();
    let mut runner = ScriptRunner::new(&root, move || ic_time_secs(started))
        .env("PATH", path)
        .env("ICP_HOME", &icp.home)
        .env("DO_NOT_TRACK", "1")
        .env(
            "ICP_NETWORK_DESCRIPTOR",
            network_descriptor_path(&workspace_root()),
        );
    let real = Instant::now();
    let transcript = runner.run(script)?;
    Ok((transcript, real.elapsed().as_secs()))
}

#[test]
fn the_icp_walkthrough_runs_with_the_real_icp_and_every_claim_in_it_holds() {
    let script = read(WALKTHROUGH);
    let (transcript, real_secs) = run(&script).unwrap_or_else(|failure| panic!("{failure}"));
    println!("{transcript}");
    let claims = claims(&script);
    assert!(
        claims >= 40,
        "the walkthrough makes {claims} checked claims"
    );
    assert_eq!(transcript.checks, claims, "every claim was checked");
    // Every `sleep` let its seconds pass on the network, in less real time.
    let slept: u64 = script
        .lines()
        .filter_map(|line| line.strip_prefix("sleep "))
        .map(|seconds| seconds.parse::<u64>().expect("whole seconds"))
        .sum();
    let ic_secs = transcript
        .steps
        .iter()
        .map(|s| s.at_secs)
        .max()
        .unwrap_or(0);
    println!("the walkthrough took {ic_secs} s of IC time ({slept} s asleep) in {real_secs} s");
    assert!(ic_secs >= slept, "{ic_secs} s of IC time");
    assert!(real_secs < ic_secs, "{real_secs} s of real time");
}

#[test]
fn a_claim_that_does_not_hold_fails_at_its_command() {
    let script = read(WALKTHROUGH);
    let claim = "# expect: Balance: 1_000_000_000_000_000 cycles";
    assert_eq!(script.matches(claim).count(), 1);
    let broken = script.replace(claim, "# expect: Balance: 7 cycles");
    let failure = run(&broken).expect_err("the broken claim fails the run");
    let command = broken
        .lines()
        .position(|l| l == "icp cycles balance")
        .unwrap()
        + 1;
    assert_eq!(failure.error.line, command, "{failure}");
    assert!(
        failure.error.message.contains("Balance: 7 cycles"),
        "{failure}"
    );
    assert!(failure.error.message.contains(&claim[10..]), "{failure}");
}

/// The ```sh block of README.md's icp operator section.
fn readme_icp_snippet() -> String {
    let readme = read("README.md");
    let section = readme
        .split("## Operate the monitor (with icp)")
        .nth(1)
        .expect("README.md has the icp operator section");
    section
        .split("```sh\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("the section has a ```sh block")
        .to_string()
}

/// Whether every statement of `snippet` is, as written (comments aside), a statement of `script`,
/// in the same order; else the first that is not.
fn commands_of(snippet: &str, script: &str) -> Result<usize, String> {
    let parse = |text: &str| dfx_script::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let script = parse(script);
    let mut rest = script.iter();
    let snippet = parse(snippet);
    for statement in &snippet {
        if !rest.any(|s| s.body == statement.body) {
            return Err(format!(
                "line {} of the snippet is not, as written, a later command of {WALKTHROUGH}",
                statement.line
            ));
        }
    }
    Ok(snippet.len())
}

#[test]
fn the_readme_icp_snippet_is_commands_of_the_walkthrough_as_written() {
    let (snippet, script) = (readme_icp_snippet(), read(WALKTHROUGH));
    let commands = commands_of(&snippet, &script).unwrap_or_else(|e| panic!("{e}:\n{snippet}"));
    assert!(commands >= 10, "{commands} commands");
    // A changed argument, or commands out of order, are caught.
    let changed = snippet.replacen("--cycles 10t", "--cycles 9t", 1);
    assert!(commands_of(&changed, &script).is_err());
    let (first, rest) = snippet.split_once('\n').unwrap();
    assert!(commands_of(&format!("{rest}{first}\n"), &script).is_err());
}

#[test]
fn the_walkthrough_is_valid_bash() {
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(Path::new(&workspace_root()).join(WALKTHROUGH))
        .status()
        .expect("bash runs");
    assert!(status.success());
}
