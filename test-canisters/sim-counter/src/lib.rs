//! A counter canister: the smallest ic-cdk canister, used to benchmark and test the emulator. It
//! certifies its count (`ic0.certified_data_set`), so agents can check a query's data certificate.

use std::cell::Cell;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Adds one to the counter, certifies it (8 bytes, big-endian) and returns the new value.
#[ic_cdk::update]
fn inc() -> u64 {
    let count = COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    ic_cdk::api::certified_data_set(count.to_be_bytes());
    count
}

/// Returns the counter.
#[ic_cdk::query]
fn get() -> u64 {
    COUNT.with(|c| c.get())
}

/// The counter and the data certificate of its certified value (`None` when called as an update,
/// or by an emulator that does not certify).
#[ic_cdk::query]
fn get_certified() -> (u64, Option<Vec<u8>>) {
    (get(), ic_cdk::api::data_certificate())
}

ic_cdk::export_candid!();

/// The checked-in `counter.did` describes exactly the service the code exports.
#[cfg(test)]
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("counter.did");
}
