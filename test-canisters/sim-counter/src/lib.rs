//! A counter canister: the smallest ic-cdk canister, used to benchmark and test the emulator.

use std::cell::Cell;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Adds one to the counter and returns the new value.
#[ic_cdk::update]
fn inc() -> u64 {
    COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

/// Returns the counter.
#[ic_cdk::query]
fn get() -> u64 {
    COUNT.with(|c| c.get())
}

ic_cdk::export_candid!();

#[cfg(test)]
mod tests {
    use candid_parser::utils::{service_equal, CandidSource};
    use std::path::Path;

    #[test]
    fn did_file_matches_code() {
        let did = Path::new(env!("CARGO_MANIFEST_DIR")).join("counter.did");
        service_equal(
            CandidSource::Text(&super::__export_service()),
            CandidSource::File(&did),
        )
        .unwrap_or_else(|e| panic!("counter.did and the code differ: {e}"));
    }
}
