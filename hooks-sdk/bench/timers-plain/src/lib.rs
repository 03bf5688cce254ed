//! Benchmark: an interval task under plain ic-cdk-timers (the baseline for `bench-timers-hooks`).

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    static RUNS: Cell<u64> = const { Cell::new(0) };
    static CHECKSUM: Cell<u64> = const { Cell::new(0) };
    static TIMER: Cell<Option<ic_cdk_timers::TimerId>> = const { Cell::new(None) };
}

/// The benchmarked task: `work` rounds of a mixing function folded into the checksum.
fn task(work: u32) {
    let mut x = CHECKSUM.get() ^ RUNS.get();
    for _ in 0..work {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    CHECKSUM.set(x);
    RUNS.set(RUNS.get() + 1);
}

/// Starts the interval task (replacing a running one).
#[ic_cdk::update]
fn start(interval_ms: u64, work: u32) {
    stop();
    let id =
        ic_cdk_timers::set_timer_interval(Duration::from_millis(interval_ms), move || async move {
            task(work)
        });
    TIMER.set(Some(id));
}

/// Stops the interval task.
#[ic_cdk::update]
fn stop() {
    if let Some(id) = TIMER.take() {
        ic_cdk_timers::clear_timer(id);
    }
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

ic_cdk::export_candid!();

#[cfg(test)]
/// `timers-plain.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p bench-timers-plain did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("timers-plain.did");
}
