//! The dfx walkthrough (`scripts/dfx-walkthrough.sh`) runs against a PocketIC server (our
//! emulator in CI) through the interpreter in `tools/dfx-script`, with every claim
//! it makes checked, the operator script it calls (`scripts/upgrade-canister.sh`) included, run by
//! real bash; so does the operator snippet of README.md, and the dfx snippets of the other
//! READMEs type-check. Broken copies of the walkthrough fail at the broken line. The snapshot
//! scripts (`scripts/snapshot-download.sh`, `scripts/snapshot-upload.sh`) make an off-chain copy
//! and restore it, byte for byte, and refuse a damaged copy.

use canister_hooks_testkit::wasm::sha256;
use dfx_script::{ScriptError, Transcript};
use integration_tests::script::claims;
use integration_tests::workspace_root;
use std::process::Command;

const WALKTHROUGH: &str = "scripts/dfx-walkthrough.sh";

fn read(path: &str) -> String {
    let path = workspace_root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(script: &str) -> Result<Transcript, ScriptError> {
    dfx_script::run(script, &workspace_root()).map_err(|failure| {
        println!("{failure}");
        failure.error
    })
}

/// The walkthrough with `from` (which must occur once) replaced by `to`.
fn broken(from: &str, to: &str) -> String {
    let script = read(WALKTHROUGH);
    assert_eq!(script.matches(from).count(), 1, "`{from}` occurs once");
    script.replace(from, to)
}

/// Runs the walkthrough with `from` replaced by `to` (see [`broken`]), which must fail at the
/// command starting with `failing_command`; the error.
fn fails_at(from: &str, to: &str, failing_command: &str) -> ScriptError {
    let script = broken(from, to);
    let error = run(&script).unwrap_err();
    assert_eq!(error.line, line_of(&script, failing_command), "{error}");
    error
}

/// The 1-based line of the first line of `script` starting with `prefix`.
fn line_of(script: &str, prefix: &str) -> usize {
    script
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with `{prefix}`"))
        + 1
}

/// The ```sh blocks of a Markdown file that use dfx, with the line each starts on.
fn dfx_snippets(path: &str) -> Vec<(usize, String)> {
    let text = read(path);
    let mut snippets = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some((i + 2, String::new())),
            (Some(_), "```") => {
                let (start, body) = current.take().expect("inside a block");
                if body.contains("dfx ") {
                    snippets.push((start, body));
                }
            }
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    snippets
}

#[test]
fn the_walkthrough_runs_and_every_claim_in_it_holds() {
    let script = read(WALKTHROUGH);
    let transcript = run(&script).unwrap_or_else(|e| panic!("{WALKTHROUGH}: {e}"));
    println!("{transcript}");
    let claims = claims(&script);
    assert!(
        claims >= 30,
        "the walkthrough makes {claims} checked claims"
    );
    assert_eq!(transcript.checks, claims, "every claim was checked");
    // Stopping the monitor waited for its open call to the hanging canister.
    let stop = transcript
        .steps
        .iter()
        .find(|s| s.command == "dfx canister stop monitor")
        .expect("the walkthrough stops the monitor");
    assert!(
        !stop.output.contains("after 0 s"),
        "the monitor had no open call when it was stopped: {}",
        stop.output
    );
    // The upgrade script ran for real: it uploaded two chunks, printed each step, and the broken
    // release waited out its 30 seconds of readiness before the rollback.
    let upgrades: Vec<_> = transcript
        .steps
        .iter()
        .filter(|s| {
            s.command
                .starts_with("bash scripts/upgrade-canister.sh load")
        })
        .collect();
    let [clean, broken] = upgrades[..] else {
        panic!("the walkthrough upgrades the load canister twice")
    };
    for step in [
        "chunk 1/",
        "stop",
        "take snapshot",
        "install",
        "verify module",
        "start",
    ] {
        assert!(clean.output.contains(step), "{}", clean.output);
    }
    assert!(
        broken.output.contains("exited with status 3"),
        "{}",
        broken.output
    );
    assert!(
        broken.at_secs - clean.at_secs >= 30,
        "{} s",
        broken.at_secs - clean.at_secs
    );
    // The story took the emulated minutes it says it takes.
    let minutes = transcript.steps.last().unwrap().at_secs / 60;
    assert!((5..=9).contains(&minutes), "{minutes} minutes");
}

#[test]
fn the_walkthrough_and_the_scripts_it_tests_are_valid_bash() {
    for script in [
        WALKTHROUGH,
        "scripts/upgrade-canister.sh",
        "scripts/snapshot-download.sh",
        "scripts/snapshot-upload.sh",
        "scripts/snapshot-common.sh",
        "scripts/messages.sh",
    ] {
        let path = workspace_root().join(script);
        let status = Command::new("bash")
            .arg("-n")
            .arg(&path)
            .status()
            .expect("bash runs");
        assert!(status.success(), "bash -n {}", path.display());
    }
}

#[test]
fn a_misspelt_field_fails_at_its_line() {
    let error = fails_at(
        "min_interval_floor_seconds = opt 10",
        "min_interval_floor = opt 10",
        "dfx deploy monitor",
    );
    assert!(
        error
            .message
            .contains("`min_interval_floor` is not a field of record type `ConfigUpdate`"),
        "{error}"
    );
}

#[test]
fn a_value_of_the_wrong_type_fails_at_its_line() {
    let error = fails_at(
        "delivery_max_attempts = opt 4;",
        "delivery_max_attempts = opt \"4\";",
        "dfx deploy monitor",
    );
    assert!(error.message.contains("monitor.did"), "{error}");
}

#[test]
fn a_claim_that_does_not_hold_fails_at_its_command() {
    let error = fails_at(
        "# expect: variant { Ok = 1 : nat64 }",
        "# expect: variant { Ok = 2 : nat64 }",
        "dfx canister call monitor redrive_canister",
    );
    assert!(
        error.message.contains("variant { Ok = 2 : nat64 }"),
        "{error}"
    );
}

#[test]
fn a_misspelt_field_of_an_upgrade_argument_fails_at_its_line() {
    // The upgrade script encodes `--arg` with didc, typed against the module's interface.
    let script = broken(
        "fault = opt variant { NeverReady };",
        "falt = opt variant { NeverReady };",
    );
    let error = run(&script).unwrap_err();
    assert_eq!(
        error.line,
        line_of(&script, "bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --ready-timeout"),
        "{error}"
    );
    assert!(
        error
            .message
            .contains("`falt` is not a field of record type `LoadInit`"),
        "{error}"
    );
}

#[test]
fn a_missing_step_breaks_the_story_where_it_matters() {
    // Without the monitor as a controller of load, registering load is refused.
    let script = broken(
        "dfx canister update-settings load --add-controller \"$MONITOR\"\n",
        "",
    );
    let error = run(&script).unwrap_err();
    let register_load = script
        .find("label = opt \"load\"")
        .map(|at| script[..at].lines().count() - 2)
        .unwrap();
    assert_eq!(error.line, register_load, "{error}");
    assert!(error.message.contains("StatusUnreadable"), "{error}");
}

#[test]
fn an_upgrade_to_the_installed_module_needs_upgrade_unchanged() {
    let script = "dfx start --background\ndfx deploy monitor\n\
        dfx canister install monitor --mode upgrade\n# expect: is already installed\n\
        dfx canister install monitor --mode upgrade --upgrade-unchanged\n# expect: Upgraded code for canister monitor\n\
        dfx deploy monitor\n# expect: is already installed\n";
    let transcript = run(script).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(transcript.checks, 3);
}

#[test]
fn the_upgrade_script_explains_a_refusal_and_rehearses_on_a_scratch_canister() {
    // The worker, created but never installed, is the scratch canister.
    let script = r#"dfx start --background
dfx canister create --all --with-cycles 10000000000000
MONITOR=$(dfx canister id monitor)
LOAD=$(dfx canister id load)
dfx deploy monitor
dfx canister update-settings load --add-controller "$MONITOR"
dfx canister update-settings worker --add-controller "$MONITOR"
dfx deploy load --argument '(opt record { monitor = opt principal "'"$MONITOR"'" })'
bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm || true
# expect-error: upload_chunk refused: canister
# expect-error: is not registered with the monitor; register it first
dfx canister call monitor register '(record {
  canister_id = principal "'"$LOAD"'";
  cycles_threshold = opt 1_000_000_000_000;
  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };
})'
# expect: variant { Ok
bash scripts/upgrade-canister.sh "$LOAD" target/canisters/example-load.wasm.gz --rehearse-on worker --keep-rehearsal --arg '(opt record { monitor = opt principal "'"$MONITOR"'" })'
# expect: in 1 chunk(s)
# expect: rehearsed on
# expect: load snapshot (rehearsal)
# expect: await readiness (rehearsal)
# expect: succeeded in
dfx canister call worker hooks_readiness
# expect: phase = variant { Ready }
"#;
    let transcript = run(script).unwrap_or_else(|e| panic!("{e}"));
    println!("{transcript}");
    assert_eq!(transcript.checks, 9);
}

#[test]
fn uncertified_pages_need_the_raw_domain() {
    let script = "dfx start --background\n\
        dfx deploy monitor --argument '(opt record { read_settings = opt record { \
        read_policy = opt variant { Public }; http_pages = opt variant { Public } } })'\n\
        MONITOR=$(dfx canister id monitor)\n\
        curl -s \"http://${MONITOR}.localhost:4943/metrics\" || true\n# expect-error: response verification failed\n\
        curl -s \"http://${MONITOR}.raw.localhost:4943/nowhere\" || true\n# expect-error: HTTP 404\n";
    let transcript = run(script).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(transcript.checks, 2);
}

#[test]
fn the_readme_operator_snippet_runs() {
    let snippets = dfx_snippets("README.md");
    let (_, snippet) = snippets
        .iter()
        .find(|(_, s)| s.starts_with("dfx start --background"))
        .expect("README.md has the operator snippet");
    let transcript = run(snippet).unwrap_or_else(|e| panic!("README.md snippet: {e}"));
    println!("{transcript}");
}

#[test]
fn every_dfx_snippet_of_the_documentation_type_checks() {
    let files = [
        "README.md",
        "monitor/README.md",
        "examples/gated/README.md",
        "examples/worker/README.md",
        "examples/load/README.md",
    ];
    let mut checked = 0;
    for file in files {
        for (start, snippet) in dfx_snippets(file) {
            if let Err(failure) = dfx_script::check(&snippet, &workspace_root()) {
                panic!(
                    "{file}:{}: {}",
                    start + failure.error.line - 1,
                    failure.error.message
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= files.len(), "{checked} snippets checked");
}

#[test]
fn the_documentation_check_catches_a_missing_init_argument() {
    // `dfx deploy` of a canister whose init argument is required, without one.
    let error = dfx_script::check("dfx deploy worker\n", &workspace_root())
        .unwrap_err()
        .error;
    assert_eq!(error.line, 1);
    assert!(error.message.contains("WorkerInit"), "{error}");
}

/// A scratch directory for off-chain copies, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    /// The path of `name` in it, as a script argument.
    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `files` of a copy's manifest: path, size and SHA-256 of each.
fn manifest_files(copy: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{copy}/manifest.json")).expect("a manifest");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
    manifest["files"].clone()
}

/// Deploys the load canister with 1 MiB of heap ballast and 64 KiB of stable memory grown, runs
/// `then`, and takes a snapshot of it; the script.
fn load_with_a_snapshot(then: &str) -> String {
    format!(
        r#"dfx start --background
dfx deploy load
LOAD=$(dfx canister id load)
dfx canister call load grow_heap '(1_048_576)'
# expect: variant {{ Ok = 1_048_576 : nat64 }}
dfx canister call load grow_stable '(65_536)'
# expect: variant {{ Ok = 65_536 : nat64 }}
{then}dfx canister stop load
dfx canister snapshot create load
# expect: Created a new snapshot of canister load
dfx canister start load
"#
    )
}

#[test]
fn an_off_chain_copy_restores_the_canister_byte_for_byte() {
    let scratch = Scratch::new("snapshot-round-trip");
    let (copy, again) = (scratch.path("copy"), scratch.path("again"));
    // A chunk in the canister's chunk store, which the snapshot keeps too.
    let chunk_store = scratch.path("chunk_store.did");
    std::fs::write(
        &chunk_store,
        "service : { upload_chunk : (record { canister_id : principal; chunk : blob }) -> (record { hash : blob }) }",
    )
    .unwrap();
    let chunk = format!(
        r#"dfx canister call aaaaa-aa upload_chunk '(record {{ canister_id = principal "'"$LOAD"'"; chunk = blob "kept in the snapshot" }})' --candid {chunk_store}
# expect: hash = blob
"#
    );
    // Downloaded with the management canister's read methods, changed, restored from the copy;
    // then the restored snapshot is downloaded again, with dfx's own download.
    let script = load_with_a_snapshot(&chunk)
        + &format!(
            r#"bash scripts/snapshot-download.sh load {copy} --via calls
# expect: with read_canister_snapshot_data
# expect: wasm_memory.bin
# expect: stable_memory.bin 16.1 MiB / 16.1 MiB 100%
# expect: saved to {copy}
dfx canister call load grow_heap '(2_097_152)'
# expect: variant {{ Ok = 3_145_728 : nat64 }}
dfx canister call load grow_stable '(65_536)'
dfx canister call load load_status
# expect: stable_grown = 131_072 : nat64
bash scripts/snapshot-upload.sh "$LOAD" {copy} --load
# expect: sha256 ok
# expect: Verified snapshot
# expect: Uploaded snapshot
# expect: Loaded snapshot
dfx canister call load load_status
# expect: heap_ballast = 1_048_576 : nat64
# expect: stable_grown = 65_536 : nat64
bash scripts/snapshot-download.sh load {again}
# expect: with dfx canister snapshot download
"#
        );
    let transcript = run(&script).unwrap_or_else(|e| panic!("{e}"));
    println!("{transcript}");
    assert_eq!(transcript.checks, claims(&script));
    // The uploaded snapshot holds exactly the bytes downloaded.
    let files = manifest_files(&copy);
    assert_eq!(files, manifest_files(&again));
    let paths: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let hash: String = sha256(b"kept in the snapshot")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let chunk_file = format!("wasm_chunk_store/{hash}.bin");
    assert_eq!(
        paths,
        [
            "wasm_module.bin",
            "wasm_memory.bin",
            "stable_memory.bin",
            chunk_file.as_str()
        ]
    );
    for path in paths {
        let read = |dir: &str| std::fs::read(format!("{dir}/{path}")).unwrap();
        assert!(read(&copy) == read(&again), "{path} differs");
    }
}

/// Copies the files of copy `from` (made for the load canister: no chunk store) to `to`.
fn copy_files(from: &str, to: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            std::path::Path::new(to).join(path.file_name().unwrap()),
        )
        .unwrap();
    }
}

#[test]
fn a_damaged_copy_is_refused_and_a_failed_load_leaves_the_canister_running() {
    let scratch = Scratch::new("snapshot-refusals");
    let (copy, damaged, mismatched) = (
        scratch.path("copy"),
        scratch.path("damaged"),
        scratch.path("mismatched"),
    );
    let download = load_with_a_snapshot("")
        + &format!("bash scripts/snapshot-download.sh load {copy}\n# expect: saved to\n");
    run(&download).unwrap_or_else(|e| panic!("{e}"));
    // One byte of the heap flipped.
    copy_files(&copy, &damaged);
    let heap = format!("{damaged}/wasm_memory.bin");
    let mut bytes = std::fs::read(&heap).unwrap();
    bytes[4096] ^= 1;
    std::fs::write(&heap, bytes).unwrap();
    // Intact files, but metadata whose global the module does not have: the load fails.
    copy_files(&copy, &mismatched);
    let manifest_path = format!("{mismatched}/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["metadata"]["globals"][0] = serde_json::json!([{ "i64": "1" }]);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let upload = format!(
        r#"dfx start --background
dfx deploy load
LOAD=$(dfx canister id load)
bash scripts/snapshot-upload.sh load {damaged} --load || true
# expect-error: wasm_memory.bin has SHA-256
# expect-error: the copy is damaged, nothing was uploaded
dfx canister call aaaaa-aa list_canister_snapshots '(record {{ canister_id = principal "'"$LOAD"'" }})' --candid scripts/snapshots.did
# expect: (vec {{}})
bash scripts/snapshot-upload.sh load {mismatched} --load || true
# expect-error: Uploaded snapshot
# expect-error: load_canister_snapshot failed
# expect-error: Starting load again
dfx canister call load load_status
# expect: heap_ballast = 0 : nat64
"#
    );
    let transcript = run(&upload).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(transcript.checks, claims(&upload));
    println!("{transcript}");
    let refused = transcript
        .steps
        .iter()
        .find(|s| s.command.contains(&damaged))
        .expect("the damaged copy's upload ran");
    assert!(!refused.output.contains("Uploading"), "{}", refused.output);
}
