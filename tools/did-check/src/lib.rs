//! `assert_did_matches!`: a canister crate's checked-in `.did` file must describe exactly the
//! service its code exports (`ic_cdk::export_candid!`). Used from each canister's tests:
//!
//! ```ignore
//! #[cfg(test)]
//! #[test]
//! fn did_file_matches_code() {
//!     did_check::assert_did_matches!("gated.did");
//! }
//! ```
//!
//! With `UPDATE_DID=1` in the environment the file is first rewritten from the code.

use candid_parser::utils::{service_equal, CandidSource};
use std::path::Path;

/// Asserts that `$did` (a path relative to the calling crate's manifest directory) describes the
/// service `__export_service()` generates (or `$service`, when the generator is elsewhere, e.g.
/// `super::__export_service()`); `UPDATE_DID=1` rewrites the file first.
#[macro_export]
macro_rules! assert_did_matches {
    ($did:expr) => {
        $crate::assert_did_matches!($did, __export_service())
    };
    ($did:expr, $service:expr) => {
        $crate::check_did_file(
            &::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($did),
            &$service,
        )
    };
}

/// What [`assert_did_matches!`] runs: rewrites `did_file` from `generated` when `UPDATE_DID` is
/// set, then panics, naming the file, if the two services differ.
pub fn check_did_file(did_file: &Path, generated: &str) {
    if std::env::var_os("UPDATE_DID").is_some() {
        std::fs::write(did_file, generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", did_file.display()));
    }
    if let Err(e) = service_equal(CandidSource::Text(generated), CandidSource::File(did_file)) {
        panic!(
            "{} differs from the code (UPDATE_DID=1 cargo test regenerates it): {e}\n--- generated ---\n{generated}",
            did_file.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check_did_file;

    const SERVICE: &str = "service : { greet : (text) -> (text) query }";

    fn did_file(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("did-check-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn an_equal_service_passes_whatever_its_formatting() {
        let path = did_file(
            "equal.did",
            "service : {\n  greet : (text) -> (text) query;\n}\n",
        );
        check_did_file(&path, SERVICE);
    }

    #[test]
    fn a_different_service_panics_naming_the_file() {
        let path = did_file(
            "different.did",
            "service : { greet : (text) -> (nat) query }",
        );
        let panic = std::panic::catch_unwind(|| check_did_file(&path, SERVICE))
            .expect_err("a changed reply type is caught");
        let message = panic.downcast_ref::<String>().expect("a formatted message");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
}
