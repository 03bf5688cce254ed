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

/// SHA-256 of `bytes` (a module hash as the IC reports it).
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

/// `wasm` with a custom section `canister-hooks:release` holding `release` appended: the same
/// code as another module (another hash), as a new release of a canister looks to the IC.
pub fn tagged_release(wasm: &[u8], release: &str) -> Vec<u8> {
    const NAME: &[u8] = b"canister-hooks:release";
    let mut content = leb128(NAME.len());
    content.extend_from_slice(NAME);
    content.extend_from_slice(release.as_bytes());
    let mut out = wasm.to_vec();
    out.push(0); // custom section id
    out.extend(leb128(content.len()));
    out.extend(content);
    out
}

/// Unsigned LEB128 of `n`.
fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = vec![];
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}
