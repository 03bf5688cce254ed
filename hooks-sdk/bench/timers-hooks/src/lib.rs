//! Benchmark: the same interval task as `bench-timers-plain`, under canister-hooks' timers; and
//! the instruction cost of the readiness guard.

#[path = "../../task.rs"]
mod task;

use std::cell::Cell;
use std::time::Duration;
use task::task;

thread_local! {
    static TIMER: Cell<Option<canister_hooks::TimerId>> = const { Cell::new(None) };
}

/// No hook handlers.
pub struct BenchHooks;
impl canister_hooks::Hooks for BenchHooks {}

canister_hooks::export_hooks!(BenchHooks);

#[ic_cdk::init]
fn init() {
    canister_hooks::init(canister_hooks::Setup::new());
}

/// Starts the interval task (replacing a running one).
#[ic_cdk::update]
fn start(interval_ms: u64, work: u32) {
    stop();
    let id = canister_hooks::set_timer_interval(
        Duration::from_millis(interval_ms),
        move || async move { task(work) },
    );
    TIMER.set(Some(id));
}

/// Stops the interval task.
#[ic_cdk::update]
fn stop() {
    if let Some(id) = TIMER.take() {
        canister_hooks::clear_timer(id);
    }
}

/// Instructions one `guard_ready()` call costs (rejects while not ready, like a guarded method).
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn guard_cost() -> u64 {
    let empty = {
        let a = ic_cdk::api::performance_counter(0);
        let b = ic_cdk::api::performance_counter(0);
        b - a
    };
    let a = ic_cdk::api::performance_counter(0);
    let r = std::hint::black_box(canister_hooks::guard_ready());
    let b = ic_cdk::api::performance_counter(0);
    assert!(r.is_ok());
    (b - a).saturating_sub(empty)
}

ic_cdk::export_candid!();

#[cfg(test)]
/// `timers-hooks.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p bench-timers-hooks did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("timers-hooks.did");
}
