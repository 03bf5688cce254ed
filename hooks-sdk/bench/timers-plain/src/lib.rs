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
mod tests {
    use candid_parser::utils::{service_equal, CandidSource};

    #[test]
    fn did_file_matches_code() {
        let code = super::__export_service();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("timers-plain.did");
        if std::env::var_os("UPDATE_DID").is_some() {
            std::fs::write(&path, &code).unwrap();
        }
        service_equal(CandidSource::Text(&code), CandidSource::File(&path))
            .unwrap_or_else(|e| panic!("timers-plain.did differs from the code: {e}\n{code}"));
    }
}
