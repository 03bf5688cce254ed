//! The example canisters, built to wasm by `scripts/build-canisters.sh`, link the SDK the way it
//! promises: `export_hooks!` exports the hook endpoints, the SDK queries, the timer (and optional
//! heartbeat) entry points, and nothing of ic-cdk-timers; the only imports are the IC's `ic0`.

use std::collections::BTreeSet;

use integration_tests::canister_wasm;
use wasmparser::{Parser, Payload};

struct Interface {
    exports: BTreeSet<String>,
    import_modules: BTreeSet<String>,
}

fn interface(package: &str) -> Interface {
    let bytes = canister_wasm(package);
    let mut exports = BTreeSet::new();
    let mut import_modules = BTreeSet::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.expect("valid wasm") {
            Payload::ExportSection(reader) => {
                for export in reader {
                    exports.insert(export.expect("export").name.to_string());
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    import_modules.insert(import.expect("import").module.to_string());
                }
            }
            _ => {}
        }
    }
    Interface {
        exports,
        import_modules,
    }
}

const SDK_EXPORTS: &[&str] = &[
    "canister_update on_low_cycles",
    "canister_update on_low_memory",
    "canister_update on_error",
    "canister_update hooks_set_monitors",
    "canister_update hooks_enter_maintenance",
    "canister_update hooks_leave_maintenance",
    "canister_query hooks_readiness",
    "canister_query hooks_recent_errors",
    "canister_query hooks_status",
    "canister_global_timer",
    "canister_update <canister-hooks> timer",
];

const HEARTBEAT_EXPORTS: &[&str] = &[
    "canister_heartbeat",
    "canister_update <canister-hooks> heartbeat",
];

fn assert_exports(i: &Interface, wanted: &[&str]) {
    for name in wanted {
        assert!(
            i.exports.contains(*name),
            "missing export {name:?}; exports: {:?}",
            i.exports
        );
    }
}

#[test]
fn worker_exports_hooks_queries_timers_heartbeat_and_the_low_memory_bridge() {
    let i = interface("example-worker");
    assert_exports(&i, SDK_EXPORTS);
    assert_exports(&i, HEARTBEAT_EXPORTS);
    assert_exports(
        &i,
        &[
            "canister_on_low_wasm_memory",
            "canister_init",
            "canister_pre_upgrade",
            "canister_post_upgrade",
            "canister_inspect_message",
            "canister_update submit",
            "canister_query http_request",
            "canister_query config",
        ],
    );
}

#[test]
fn gated_exports_hooks_and_timers_but_no_heartbeat() {
    let i = interface("example-gated");
    assert_exports(&i, SDK_EXPORTS);
    assert_exports(
        &i,
        &[
            "canister_init",
            "canister_pre_upgrade",
            "canister_post_upgrade",
            "canister_inspect_message",
        ],
    );
    for name in HEARTBEAT_EXPORTS {
        assert!(!i.exports.contains(*name), "gated must not export {name:?}");
    }
}

#[test]
fn sdk_canisters_replace_ic_cdk_timers_and_import_only_ic0() {
    for package in ["example-worker", "example-gated"] {
        let i = interface(package);
        assert!(
            !i.exports.iter().any(|e| e.contains("<ic-cdk internal>")),
            "{package} links ic-cdk-timers' executor: {:?}",
            i.exports
        );
        assert_eq!(
            i.import_modules,
            BTreeSet::from(["ic0".to_string()]),
            "{package} imports"
        );
    }
}
