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

/// The checked-in `counter.did` describes exactly the service the code exports.
#[cfg(test)]
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("counter.did");
}
