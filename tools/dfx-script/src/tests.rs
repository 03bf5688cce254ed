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
