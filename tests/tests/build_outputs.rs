//! The canister build and dfx.json agree: every canister dfx deploys was built as real wasm,
//! gzipped beside it, and its Candid file is checked in.

use flate2::read::GzDecoder;
use integration_tests::{canister_wasm, workspace_root};
use std::io::Read;

const WASM_MAGIC: &[u8] = b"\0asm";

fn dfx_canisters() -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(workspace_root().join("dfx.json")).expect("dfx.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("dfx.json is JSON");
    json["canisters"]
        .as_object()
        .expect("dfx.json has canisters")
        .iter()
        .map(|(name, c)| (name.clone(), c.clone()))
        .collect()
}

#[test]
fn every_dfx_canister_is_built_wasm_with_a_gzipped_copy() {
    let canisters = dfx_canisters();
    assert!(
        canisters.len() >= 4,
        "dfx.json declares the monitor and the examples"
    );
    for (name, canister) in canisters {
        let gz_path = canister["wasm"].as_str().expect("wasm path");
        let package = gz_path
            .strip_prefix("target/canisters/")
            .and_then(|p| p.strip_suffix(".wasm.gz"))
            .unwrap_or_else(|| {
                panic!("{name}: wasm path {gz_path} is not target/canisters/<package>.wasm.gz")
            });
        let wasm = canister_wasm(package);
        assert!(
            wasm.starts_with(WASM_MAGIC),
            "{name}: {package}.wasm lacks the wasm magic bytes"
        );
        let mut unzipped = Vec::new();
        GzDecoder::new(std::fs::File::open(workspace_root().join(gz_path)).expect("gz file"))
            .read_to_end(&mut unzipped)
            .expect("valid gzip");
        assert_eq!(unzipped, wasm, "{name}: the .gz copy is stale");
    }
}

#[test]
fn every_dfx_canister_has_its_candid_file_checked_in() {
    for (name, canister) in dfx_canisters() {
        let did = canister["candid"].as_str().expect("candid path");
        let text = std::fs::read_to_string(workspace_root().join(did))
            .unwrap_or_else(|e| panic!("{name}: cannot read {did}: {e}"));
        assert!(
            text.contains("service"),
            "{name}: {did} declares no service"
        );
    }
}

#[test]
fn emulator_test_canister_is_built() {
    assert!(canister_wasm("sim-test-counter").starts_with(WASM_MAGIC));
}
