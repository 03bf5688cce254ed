//! The monitor's stable layout pinned against checked-in bytes: each record's encoding
//! ([`records`]) and a whole monitor memory written by the pinned layout ([`fixture`]). A change
//! that would break an upgrade from the pinned layout fails here. `UPDATE_GOLDEN=1` rewrites the
//! files; that is only allowed together with a migration from the layout they pinned (a change
//! that still reads the old bytes, such as an `opt` field added to a Candid record, keeps the old
//! file as a case the new code must decode).

mod fixture;
mod records;
mod webhooks;

/// The checked-in bytes of `name` in `golden/`; with `UPDATE_GOLDEN` set, first replaces them
/// by `written()`.
fn pinned(name: &str, written: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let path = format!(
        "{}/src/tests/layout/golden/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, written()).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
