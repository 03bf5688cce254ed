//! Where the workspace and the canister modules `scripts/build-canisters.sh` builds are.

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ sits inside the workspace")
        .to_path_buf()
}

/// Reads `target/canisters/<package>.wasm`, built by `scripts/build-canisters.sh`.
pub fn canister_wasm(package: &str) -> Vec<u8> {
    let path = workspace_root()
        .join("target/canisters")
        .join(format!("{package}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the canisters first with `bash scripts/build-canisters.sh`",
            path.display()
        )
    })
}
