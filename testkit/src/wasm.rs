//! Where the workspace and the canister modules `scripts/build-canisters.sh` builds are.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ sits inside the workspace")
        .to_path_buf()
}

/// Reads `target/canisters/<package>.wasm`, built by `scripts/build-canisters.sh`.
pub fn canister_wasm(package: &str) -> Vec<u8> {
    read_canister_wasm(&workspace_root().join("target/canisters"), package)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Reads `<dir>/<package>.wasm`, as `scripts/build-canisters.sh` writes it; the error says how
/// to build it.
pub fn read_canister_wasm(dir: &Path, package: &str) -> Result<Vec<u8>, String> {
    let path = dir.join(format!("{package}.wasm"));
    std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read {}: {e}; build the canisters first with `bash scripts/build-canisters.sh`",
            path.display()
        )
    })
}
