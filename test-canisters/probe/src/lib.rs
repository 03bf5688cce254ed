//! A canister whose methods each exercise one IC behaviour: counting, trapping, rejecting,
//! timers, stable memory, logging, upgrades and web pages (`http`). The pocket-ic integration
//! tests drive it.

mod http;

// The web page types, for `export_candid!`.
use http::{ChunkToken, HttpRequest, HttpResponse, StreamingCallbackHttpResponse};

use std::cell::{Cell, RefCell};
use std::time::Duration;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
    static TIMER_RUNS: Cell<u64> = const { Cell::new(0) };
    static INIT_ARG: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remembers the init argument (an empty text when none was given).
#[ic_cdk::init]
fn init(arg: Option<String>) {
    INIT_ARG.with(|a| *a.borrow_mut() = arg.unwrap_or_default());
}

/// Upgrades keep nothing from the heap: the counter starts again, stable memory stays.
#[ic_cdk::post_upgrade]
fn post_upgrade(arg: Option<String>) {
    init(arg);
}

/// The argument given at install or upgrade.
#[ic_cdk::query]
fn init_arg() -> String {
    INIT_ARG.with(|a| a.borrow().clone())
}

/// Adds one to the heap counter and returns it.
#[ic_cdk::update]
fn inc() -> u64 {
    COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

/// The heap counter.
#[ic_cdk::query]
fn get() -> u64 {
    COUNT.with(|c| c.get())
}

/// Increments the counter, then traps with `message`: the increment must be rolled back.
#[ic_cdk::update]
fn inc_then_trap(message: String) {
    inc();
    ic_cdk::trap(message);
}

/// Rejects the call with `message` (reject code CANISTER_REJECT).
#[ic_cdk::update(manual_reply = true)]
fn reject(message: String) {
    ic_cdk::api::msg_reject(message);
}

/// Prints `message` to the canister log.
#[ic_cdk::update]
fn log(message: String) {
    ic_cdk::println!("{message}");
}

/// Sets a one-shot timer, `seconds` from now, that counts a timer run.
#[ic_cdk::update]
fn set_timer(seconds: u64) {
    ic_cdk_timers::set_timer(Duration::from_secs(seconds), async {
        TIMER_RUNS.with(|t| t.set(t.get() + 1));
    });
}

/// How many timers have fired.
#[ic_cdk::query]
fn timer_runs() -> u64 {
    TIMER_RUNS.with(|t| t.get())
}

/// Writes `bytes` to stable memory at `offset`, growing it as needed.
#[ic_cdk::update]
fn stable_write(offset: u64, bytes: Vec<u8>) {
    let end = offset + bytes.len() as u64;
    let pages_needed = end.div_ceil(65536);
    let pages = ic_cdk::stable::stable_size();
    if pages_needed > pages {
        ic_cdk::stable::stable_grow(pages_needed - pages).expect("stable memory can grow");
    }
    ic_cdk::stable::stable_write(offset, &bytes);
}

/// Reads `length` bytes of stable memory at `offset`.
#[ic_cdk::query]
fn stable_read(offset: u64, length: u64) -> Vec<u8> {
    let mut buf = vec![0; length as usize];
    ic_cdk::stable::stable_read(offset, &mut buf);
    buf
}

ic_cdk::export_candid!();

/// The checked-in `probe.did` describes exactly the service the code exports.
#[cfg(test)]
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("probe.did");
}
