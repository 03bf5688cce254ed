//! Benchmark: an interval task under plain ic-cdk-timers (the baseline for `bench-timers-hooks`).

#[path = "../../task.rs"]
mod task;

use std::cell::Cell;
use std::time::Duration;
use task::task;

thread_local! {
    static TIMER: Cell<Option<ic_cdk_timers::TimerId>> = const { Cell::new(None) };
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

ic_cdk::export_candid!();

#[cfg(test)]
/// `timers-plain.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p bench-timers-plain did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("timers-plain.did");
}
