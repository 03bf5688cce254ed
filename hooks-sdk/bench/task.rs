//! The benchmarked interval task and its counters, the same in both benchmark canisters (each
//! includes this file and schedules `task` with its own timer library).

use std::cell::Cell;

thread_local! {
    static RUNS: Cell<u64> = const { Cell::new(0) };
    static CHECKSUM: Cell<u64> = const { Cell::new(0) };
}

/// The benchmarked task: `work` rounds of a mixing function folded into the checksum.
pub fn task(work: u32) {
    let mut x = CHECKSUM.get() ^ RUNS.get();
    for _ in 0..work {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    CHECKSUM.set(x);
    RUNS.set(RUNS.get() + 1);
}

/// Runs so far.
#[ic_cdk::query]
fn runs() -> u64 {
    RUNS.get()
}

/// The task's accumulated result.
#[ic_cdk::query]
fn checksum() -> u64 {
    CHECKSUM.get()
}
