//! The interpreter's parsing and checks, on scripts that need no replica.

use super::*;
use canister_hooks_testkit::workspace_root;

fn text(s: &str) -> Word {
    Word {
        parts: vec![Part::Text(s.into())],
    }
}

fn command(statement: &Statement) -> (&[Word], bool) {
    match &statement.body {
        Body::Command { words, or_true } => (words, *or_true),
        other => panic!("not a command: {other:?}"),
    }
}

/// Runs `script` in the workspace's dfx project; the error it fails with.
fn failure(script: &str) -> ScriptError {
    match run(script, &workspace_root()) {
        Ok(transcript) => panic!("the script ran:\n{transcript}"),
        Err(failure) => failure.error,
    }
}

/// Asserts that each `(script, line, message)` fails at `line` with an error containing `message`.
fn assert_each_fails_at(cases: &[(&str, usize, &str)]) {
    for &(script, line, message) in cases {
        let error = failure(script);
        assert_eq!(error.line, line, "{script:?}: {error}");
        assert!(error.message.contains(message), "{script:?}: {error}");
    }
}

fn outputs(script: &str) -> Vec<String> {
    run(script, &workspace_root())
        .unwrap_or_else(|f| panic!("{f}"))
        .steps
        .into_iter()
        .map(|s| s.output)
        .collect()
}

#[test]
fn quotes_escapes_and_blanks_split_words_as_bash_does() {
    let statements = parse("echo 'a  b' \"c \\\"d\\\" \\$e\" f\\ g ''\n").unwrap();
    let (words, or_true) = command(&statements[0]);
    assert_eq!(
        words,
        [
            text("echo"),
            text("a  b"),
            text("c \"d\" $e"),
            text("f g"),
            text("")
        ]
    );
    assert!(!or_true);
}

#[test]
fn continuations_and_multi_line_quotes_keep_line_numbers() {
    let script = "# a comment\ndfx canister call monitor events \\\n  '(record {\n  limit = opt 1;\n})'\nsleep 5 # trailing comment\n";
    let statements = parse(script).unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!((statements[0].line, statements[0].end_line), (2, 5));
    let (words, _) = command(&statements[0]);
    assert_eq!(words.len(), 6);
    assert_eq!(words[5], text("(record {\n  limit = opt 1;\n})"));
    assert_eq!(statements[1].line, 6);
    assert_eq!(command(&statements[1]).0, [text("sleep"), text("5")]);
}

#[test]
fn variables_expand_in_double_quotes_and_bare_words_but_not_in_single_quotes() {
    let statements = parse("ID=$(dfx canister id load)\necho \"${ID}x\" '$ID' $ID\n").unwrap();
    assert_eq!(
        statements[0].body,
        Body::Assign {
            name: "ID".into(),
            value: Word {
                parts: vec![Part::Subst {
                    words: vec![text("dfx"), text("canister"), text("id"), text("load")],
                    quoted: false
                }]
            }
        }
    );
    let out = outputs("A=one\nB=\"$A-${A}two\"\necho \"$B\" '$B' $A\n");
    assert_eq!(out.last().unwrap(), "one-onetwo $B one");
}

#[test]
fn expectations_attach_to_the_command_right_above() {
    let script = "dfx canister call gated greet '(\"x\")' || true\n# expect-error: initializing\n# expect: also\n\n# expect: stray\n";
    let error = parse(script).unwrap_err();
    assert_eq!(error.line, 5, "{error}");
    let statements = parse(&script[..script.find("\n\n").unwrap()]).unwrap();
    assert_eq!(
        statements[0].expects,
        [
            Expect::Error("initializing".into()),
            Expect::Output("also".into())
        ]
    );
    assert!(command(&statements[0]).1);
    assert_eq!(parse("echo a\n#expect a\n").unwrap_err().line, 2);
}

#[test]
fn an_expected_failure_must_be_tolerated_with_or_true() {
    let error = failure("echo a\necho b\n# expect-error: b\n");
    assert_eq!(error.line, 2);
    assert!(error.message.contains("|| true"), "{error}");
}

#[test]
fn unsupported_commands_and_syntax_fail_naming_their_line() {
    let cases = [
        ("echo ok\nls -l\n", 2, "`ls` is not a command"),
        ("echo ok\n\necho a | grep a\n", 3, "unquoted `|`"),
        ("echo a; echo b\n", 1, "unquoted `;`"),
        (
            "echo ok\ndfx canister delete load\n",
            2,
            "`dfx canister delete` is not supported",
        ),
        (
            "dfx deploy monitor --mode reinstall\n",
            1,
            "unsupported option `--mode`",
        ),
        ("echo ok || false\n", 1, "only `|| true`"),
        ("echo $((1 + 2))\n", 1, "arithmetic"),
        ("X=$(date)\n", 1, "only `$(dfx canister id NAME)`"),
        ("echo \"$UNSET\"\n", 1, "`$UNSET` is not set"),
        ("A='two words'\necho $A\n", 2, "quote it"),
        ("dfx start\n", 1, "without `--background`"),
        ("sleep 1\n", 1, "no local replica is running"),
        ("echo 'open\n\n", 1, "unterminated single quote"),
    ];
    assert_each_fails_at(&cases);
}

#[test]
fn a_candid_argument_that_does_not_fit_the_did_fails_naming_the_line() {
    let cases = [
        // A field the record type does not have (Candid's own typing would drop it).
        (
            "echo ok\ndfx canister call monitor register '(record {\n  canister_id = principal \"aaaaa-aa\";\n  cycles_treshold = opt 1;\n  hooks = record { on_low_cycles = true; on_low_memory = true; on_error = true };\n})'\n",
            2,
            "`cycles_treshold` is not a field of record type `RegisterArgs`",
        ),
        // A value of the wrong type.
        (
            "dfx canister call load grow_heap '(\"ten\")'\n",
            1,
            "does not fit `grow_heap` in load.did",
        ),
        // A variant case the type does not have.
        (
            "dfx canister call load set_hook_mode '(variant { Fast })'\n",
            1,
            "variant field Fast not found",
        ),
        // A required argument left out.
        ("dfx canister call worker submit\n", 1, "submit"),
        // An init argument with a misspelt nested field.
        (
            "dfx deploy monitor --argument '(opt record { config = opt record { min_interval_floor = opt 10 } })'\n",
            1,
            "`min_interval_floor` is not a field of record type `ConfigUpdate`",
        ),
        // A method the interface does not have.
        ("dfx canister call monitor registre '(null)'\n", 1, "monitor.did has no method `registre`"),
        // A canister dfx.json does not have.
        ("dfx canister call monitr stats\n", 1, "`monitr` is not a canister of dfx.json"),
    ];
    assert_each_fails_at(&cases);
}

#[test]
fn urls_outside_the_local_gateway_are_refused() {
    for (url, message) in [
        ("https://example.org/metrics", "only http:// URLs"),
        ("http://localhost/metrics", "give the port"),
        ("http://x.localhost:8000/metrics", "listens on 4943"),
    ] {
        let error = failure(&format!("curl -s \"{url}\"\n"));
        assert!(error.message.contains(message), "{url}: {error}");
    }
    assert!(failure("curl -L \"http://x.raw.localhost:4943/\"\n")
        .message
        .contains("only -s, -f and -S"));
}

#[test]
fn dfx_deploy_installs_the_dependencies_with_the_same_argument() {
    // A project where gated depends on worker, as dfx.json once declared.
    let root = workspace_root();
    let dir = std::env::temp_dir().join(format!("dfx-script-deps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entry = |name: &str, package: &str, deps: &str| {
        format!(
            r#""{name}": {{ "wasm": "{}", "candid": "{}", "dependencies": [{deps}] }}"#,
            root.join(format!("target/canisters/{package}.wasm.gz"))
                .display(),
            root.join(format!("examples/{name}/{name}.did")).display(),
        )
    };
    let dfx_json = format!(
        r#"{{ "canisters": {{ {}, {} }} }}"#,
        entry("gated", "example-gated", r#""worker""#),
        entry("worker", "example-worker", "")
    );
    std::fs::write(dir.join("dfx.json"), dfx_json).unwrap();
    let gated =
        "dfx deploy gated --argument '(record { config_source = principal \"aaaaa-aa\" })'\n";
    // The worker is deployed with gated's argument, which does not fit it.
    let error = check(gated, &dir).unwrap_err().error;
    assert!(
        error
            .message
            .contains("worker: the init argument does not fit worker.did"),
        "{error}"
    );
    // Once the worker is deployed, its upgrade to the same build is skipped.
    let script = format!("dfx deploy worker --argument '(record {{}})'\n{gated}");
    let result = check(&script, &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    result.unwrap_or_else(|f| panic!("{f}"));
}

/// A dfx project in a scratch directory with the workspace's monitor and load canisters and
/// `scripts/probe.sh` holding `probe`; removed when dropped.
struct ProbeProject {
    dir: std::path::PathBuf,
}

impl ProbeProject {
    fn new(name: &str, probe: &str) -> ProbeProject {
        let root = workspace_root();
        let dir = std::env::temp_dir().join(format!("dfx-script-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        let entry = |name: &str, package: &str, did: &str| {
            format!(
                r#""{name}": {{ "wasm": "{}", "candid": "{}" }}"#,
                root.join(format!("target/canisters/{package}.wasm.gz"))
                    .display(),
                root.join(did).display(),
            )
        };
        let dfx_json = format!(
            r#"{{ "canisters": {{ {}, {} }} }}"#,
            entry("monitor", "hooks-monitor", "monitor/monitor.did"),
            entry("load", "example-load", "examples/load/load.did")
        );
        std::fs::write(dir.join("dfx.json"), dfx_json).unwrap();
        std::fs::write(dir.join("scripts/probe.sh"), probe).unwrap();
        ProbeProject { dir }
    }

    /// Puts the load canister's `.did` in the project's directory.
    fn copy_load_did(&self) {
        std::fs::copy(
            workspace_root().join("examples/load/load.did"),
            self.dir.join("load.did"),
        )
        .unwrap();
    }

    fn run(&self, script: &str) -> Result<Transcript, Failure> {
        run(script, &self.dir)
    }
}

impl Drop for ProbeProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_project_script_runs_in_bash_with_dfx_and_didc_answered_by_the_interpreter() {
    let project = ProbeProject::new(
        "answered",
        "set -eu\n\
         echo \"id: $(dfx canister id aaaaa-aa)\"\n\
         echo \"arg: $(didc encode -d load.did -t '(opt LoadInit)' '(opt record { fault = opt variant { NeverReady } })')\"\n\
         dfx canister id load || echo \"load has no id yet\"\n\
         echo \"args: $#\"\n",
    );
    // Relative paths start from the script's working directory, the project's.
    project.copy_load_did();
    let transcript = project
        .run("bash scripts/probe.sh one 'two words'\n# expect: id: aaaaa-aa\n# expect: arg: 4449444c\n# expect: load has no id yet\n# expect: args: 2\n")
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(transcript.checks, 4);
    let output = &transcript.steps[0].output;
    assert!(
        output.contains("Error: cannot find canister id of `load`"),
        "dfx's error reaches the script's stderr: {output}"
    );
}

#[test]
fn a_command_the_interpreter_refuses_inside_a_script_fails_the_run_at_the_scripts_line() {
    let cases = [
        (
            "echo ok\ndfx canister delete load\n",
            "`dfx canister delete load`: `dfx canister delete` is not supported",
        ),
        ("sleep 3\n", "`sleep 3`: no local replica is running"),
        (
            "dfx canister call --output raw load stats\n",
            "only idl, pp and json",
        ),
        (
            "dfx canister id load --network ic\n",
            "the interpreter plays the local replica only",
        ),
    ];
    for (probe, message) in cases {
        let project = ProbeProject::new("refused", probe);
        let error = match project.run("echo start\n\nbash scripts/probe.sh || true\n") {
            Ok(transcript) => panic!("{probe:?} ran:\n{transcript}"),
            Err(failure) => failure.error,
        };
        assert_eq!(error.line, 3, "{probe:?}: {error}");
        assert!(
            error.message.contains("scripts/probe.sh"),
            "{probe:?}: {error}"
        );
        assert!(error.message.contains(message), "{probe:?}: {error}");
    }
}

#[test]
fn a_didc_argument_is_typed_as_strictly_as_a_dfx_one() {
    let project = ProbeProject::new(
        "didc",
        "didc encode -d load.did -t '(opt LoadInit)' '(opt record { falt = opt variant { NeverReady } })'\n",
    );
    project.copy_load_did();
    let error = project.run("bash scripts/probe.sh\n").unwrap_err().error;
    assert_eq!(error.line, 1);
    assert!(
        error
            .message
            .contains("`falt` is not a field of record type `LoadInit`"),
        "{error}"
    );
}

#[test]
fn only_the_projects_existing_scripts_run() {
    let project = ProbeProject::new("scripts", "exit 3\n");
    for (script, message) in [
        ("bash scripts/missing.sh\n", "no script scripts/missing.sh"),
        ("bash ../probe.sh\n", "only the project's scripts"),
        (
            "bash scripts/../scripts/probe.sh\n",
            "only the project's scripts",
        ),
    ] {
        let error = project.run(script).unwrap_err().error;
        assert!(error.message.contains(message), "{script:?}: {error}");
    }
    // A script that exits non-zero fails like any command, with its status.
    let transcript = project
        .run("bash scripts/probe.sh || true\n# expect-error: scripts/probe.sh exited with status 3\n")
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(transcript.checks, 1);
    // The documentation check does not run scripts; it checks they exist.
    check("bash scripts/probe.sh\n", &project.dir).unwrap_or_else(|f| panic!("{f}"));
    assert!(check("bash scripts/missing.sh\n", &project.dir).is_err());
}

#[test]
fn the_upgrade_script_explains_its_usage() {
    let transcript = run(
        "bash scripts/upgrade-canister.sh || true\n# expect-error: usage: bash scripts/upgrade-canister.sh <canister> <module.wasm|module.wasm.gz>\n\
         bash scripts/upgrade-canister.sh load missing.wasm || true\n# expect-error: no readable module file missing.wasm\n\
         bash scripts/upgrade-canister.sh load dfx.json || true\n# expect-error: is neither a wasm module nor gzipped\n\
         bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --ready-timeout 0 || true\n# expect-error: timeouts are whole seconds from 1 to 86400, not 0\n\
         bash scripts/upgrade-canister.sh load target/canisters/example-load.wasm --frobnicate || true\n# expect-error: unknown option --frobnicate\n",
        &workspace_root(),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(transcript.checks, 5);
}

#[test]
fn management_canister_calls_are_typed_with_the_interface_given_and_name_their_canister() {
    let list = "dfx canister call aaaaa-aa list_canister_snapshots";
    let cases = [
        (
            format!("{list} '(record {{ canister_id = principal \"aaaaa-aa\" }})'\n"),
            "needs `--candid FILE`",
        ),
        (
            format!("{list} '(record {{ canister = principal \"aaaaa-aa\" }})' --candid scripts/snapshots.did\n"),
            "`canister` is not a field of the record",
        ),
        (
            "dfx canister call aaaaa-aa raw_rand --candid scripts/snapshots.did\n".into(),
            "snapshots.did has no method `raw_rand`",
        ),
        (
            format!("{list} '(record {{ canister_id = principal \"aaaaa-aa\" }})' --query --candid scripts/snapshots.did\n"),
            "the management canister's methods are updates",
        ),
        (
            "dfx canister snapshot delete load 00\n".into(),
            "`dfx canister snapshot delete load 00` is not supported",
        ),
    ];
    for (script, message) in &cases {
        let error = failure(&format!("echo ok\n{script}"));
        assert_eq!(error.line, 2, "{script:?}: {error}");
        assert!(error.message.contains(message), "{script:?}: {error}");
    }
}

#[test]
fn the_snapshot_scripts_explain_their_usage() {
    let transcript = run(
        "bash scripts/snapshot-download.sh || true\n# expect-error: usage: bash scripts/snapshot-download.sh <canister> <dir>\n\
         bash scripts/snapshot-download.sh load dfx.json || true\n# expect-error: dfx.json is not an empty directory\n\
         bash scripts/snapshot-download.sh load copy --snapshot latest || true\n# expect-error: --snapshot takes a snapshot id in hex\n\
         bash scripts/snapshot-download.sh load copy --via ftp || true\n# expect-error: --via takes dfx or calls, not ftp\n\
         bash scripts/snapshot-upload.sh load || true\n# expect-error: usage: bash scripts/snapshot-upload.sh <canister> <dir>\n\
         bash scripts/snapshot-upload.sh load missing-copy || true\n# expect-error: no directory missing-copy\n\
         bash scripts/snapshot-upload.sh load scripts || true\n# expect-error: not a copy made by scripts/snapshot-download.sh\n",
        &workspace_root(),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(transcript.checks, 7);
}
