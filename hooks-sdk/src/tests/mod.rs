//! The SDK's stable layout pinned against checked-in bytes: each record's encoding
//! ([`records`]) and a whole SDK memory written by the pinned layout ([`fixture`]). A change
//! that would break an upgrade from the pinned layout fails here; regenerate the files with
//! `UPDATE_GOLDEN=1` only together with a migration.

mod fixture;
mod records;

use std::path::PathBuf;

/// Path of the checked-in file `name` in `src/tests/golden/`.
fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/tests/golden")
        .join(name)
}

/// The checked-in bytes of `name`; with `UPDATE_GOLDEN` set, first replaces them by `current()`.
fn golden_bytes(name: &str, current: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, current()).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
