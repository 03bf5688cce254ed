//! A probe canister for ic-sim's integration tests: each method exercises one behaviour of the
//! IC (traps and rollback, double replies, calls and their failures, timers, heartbeats,
//! inspect_message, upgrade hooks, instruction limits, cycles, HTTPS outcalls and their transform
//! functions).

use candid::Principal;
use ic_cdk::call::{Call, CallFailed};
use ic_management_canister_types::{HttpRequestArgs, HttpRequestResult, TransformArgs};
use std::cell::{Cell, RefCell};
use std::time::Duration;

thread_local! {
    static HEAP: Cell<u64> = const { Cell::new(0) };
    static HEARTBEATS: Cell<u64> = const { Cell::new(0) };
    static TIMERS: Cell<u64> = const { Cell::new(0) };
    static LOW_MEMORY: Cell<u64> = const { Cell::new(0) };
    static TRAP_IN_PRE_UPGRADE: Cell<bool> = const { Cell::new(false) };
    static BALLAST: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Appends `event` to the event list kept in stable memory (length-prefixed text lines).
fn record(event: &str) {
    let mut events = events();
    events.push(event.to_string());
    let text = events.join("\n");
    let bytes = text.as_bytes();
    let needed = 8 + bytes.len() as u64;
    if ic_cdk::stable::stable_size() * 65536 < needed {
        ic_cdk::stable::stable_grow(needed.div_ceil(65536)).expect("stable memory grows");
    }
    ic_cdk::stable::stable_write(0, &(bytes.len() as u64).to_le_bytes());
    ic_cdk::stable::stable_write(8, bytes);
}

/// The events recorded in stable memory, oldest first.
#[ic_cdk::query]
fn events() -> Vec<String> {
    if ic_cdk::stable::stable_size() == 0 {
        return Vec::new();
    }
    let mut len = [0u8; 8];
    ic_cdk::stable::stable_read(0, &mut len);
    let len = u64::from_le_bytes(len) as usize;
    if len == 0 {
        return Vec::new();
    }
    let mut buf = vec![0u8; len];
    ic_cdk::stable::stable_read(8, &mut buf);
    String::from_utf8(buf)
        .unwrap_or_default()
        .split('\n')
        .map(str::to_string)
        .collect()
}

#[ic_cdk::init]
fn init() {
    record("init");
}

#[ic_cdk::pre_upgrade]
fn pre_upgrade() {
    if TRAP_IN_PRE_UPGRADE.with(Cell::get) {
        ic_cdk::trap("pre_upgrade refuses");
    }
    record("pre_upgrade");
}

#[ic_cdk::post_upgrade]
fn post_upgrade() {
    record("post_upgrade");
}

/// Makes the next pre_upgrade trap.
#[ic_cdk::update]
fn set_trap_in_pre_upgrade(on: bool) {
    TRAP_IN_PRE_UPGRADE.with(|c| c.set(on));
}

/// Sets the heap value.
#[ic_cdk::update]
fn set_heap(v: u64) {
    HEAP.with(|c| c.set(v));
}

/// The heap value.
#[ic_cdk::query]
fn get_heap() -> u64 {
    HEAP.with(Cell::get)
}

/// Writes `v` to the heap and records an event in stable memory, then traps.
#[ic_cdk::update]
fn write_then_trap(v: u64) {
    HEAP.with(|c| c.set(v));
    record("written before trap");
    ic_cdk::trap("boom");
}

/// A query that changes the heap (the change must be discarded).
#[ic_cdk::query]
fn query_writes(v: u64) -> u64 {
    HEAP.with(|c| c.set(v));
    v
}

/// Replies, then traps.
#[ic_cdk::update(manual_reply = true)]
fn reply_then_trap() {
    ic_cdk::api::msg_reply(candid::encode_one(()).unwrap());
    ic_cdk::trap("trap after reply");
}

/// Replies twice (the second reply traps).
#[ic_cdk::update(manual_reply = true)]
fn double_reply() {
    ic_cdk::api::msg_reply(candid::encode_one(()).unwrap());
    ic_cdk::api::msg_reply(candid::encode_one(()).unwrap());
}

/// Rejects the call explicitly.
#[ic_cdk::update(manual_reply = true)]
fn reject_it(message: String) {
    ic_cdk::api::msg_reject(message);
}

/// Calls `target.method(arg)` (raw bytes); bounded-wait with `timeout` seconds if given.
/// Returns the reply bytes, or the reject code and message.
#[ic_cdk::update]
async fn call(
    target: Principal,
    method: String,
    arg: Vec<u8>,
    timeout: Option<u32>,
) -> Result<Vec<u8>, (u32, String)> {
    let call = match timeout {
        Some(t) => Call::bounded_wait(target, &method).change_timeout(t),
        None => Call::unbounded_wait(target, &method),
    };
    match call.with_raw_args(&arg).await {
        Ok(r) => Ok(r.into_bytes()),
        Err(CallFailed::CallRejected(r)) => {
            Err((r.raw_reject_code(), r.reject_message().to_string()))
        }
        Err(e) => Err((0, e.to_string())),
    }
}

/// Makes the HTTPS outcall `args` attaching `cycles`; returns its result (or the reject code and
/// message) and the cycles refunded.
#[ic_cdk::update]
async fn outcall(
    args: HttpRequestArgs,
    cycles: u128,
) -> (Result<HttpRequestResult, (u32, String)>, u128) {
    let result = Call::unbounded_wait(Principal::management_canister(), "http_request")
        .with_arg(&args)
        .with_cycles(cycles)
        .await;
    let refunded = ic_cdk::api::msg_cycles_refunded();
    let result = match result {
        Ok(r) => Ok(r
            .candid::<HttpRequestResult>()
            .expect("an http_request result")),
        Err(CallFailed::CallRejected(r)) => {
            Err((r.raw_reject_code(), r.reject_message().to_string()))
        }
        Err(e) => Err((0, e.to_string())),
    };
    (result, refunded)
}

/// A transform function: drops the headers and prefixes the body with the context, the caller and
/// whether a data certificate is present (`<context>|<caller>|<0 or 1>|<body>`; a transform has
/// none).
#[ic_cdk::query]
fn transform(args: TransformArgs) -> HttpRequestResult {
    let mut body = args.context;
    let certified = u8::from(ic_cdk::api::data_certificate().is_some());
    body.extend_from_slice(format!("|{}|{certified}|", ic_cdk::api::msg_caller()).as_bytes());
    body.extend_from_slice(&args.response.body);
    HttpRequestResult {
        status: args.response.status,
        headers: vec![],
        body,
    }
}

/// A transform function that traps.
#[ic_cdk::query]
fn transform_trap(_args: TransformArgs) -> HttpRequestResult {
    ic_cdk::trap("transform refuses")
}

/// Performs a oneway call and returns how many cycles `call_perform` took, with `cost_call`'s
/// prediction.
#[ic_cdk::update]
fn oneway_cost(target: Principal, method: String, arg: Vec<u8>) -> (u128, u128) {
    let before = ic_cdk::api::canister_cycle_balance();
    Call::unbounded_wait(target, &method)
        .with_raw_args(&arg)
        .oneway()
        .expect("call performed");
    let after = ic_cdk::api::canister_cycle_balance();
    (
        before - after,
        ic_cdk::api::cost_call(method.len() as u64, arg.len() as u64),
    )
}

/// 32 random bytes from the management canister.
#[ic_cdk::update]
async fn random() -> Vec<u8> {
    let r = Call::unbounded_wait(Principal::management_canister(), "raw_rand")
        .await
        .expect("raw_rand");
    r.candid::<Vec<u8>>().expect("blob")
}

/// Schedules a one-shot ic-cdk timer after `seconds`.
#[ic_cdk::update]
fn start_timer(seconds: u64) {
    ic_cdk_timers::set_timer(Duration::from_secs(seconds), async {
        TIMERS.with(|c| c.set(c.get() + 1));
    });
}

/// Heartbeats, timers and low-memory hook runs seen so far.
#[ic_cdk::query]
fn counts() -> (u64, u64, u64) {
    (
        HEARTBEATS.with(Cell::get),
        TIMERS.with(Cell::get),
        LOW_MEMORY.with(Cell::get),
    )
}

#[ic_cdk::heartbeat]
fn heartbeat() {
    HEARTBEATS.with(|c| c.set(c.get() + 1));
}

/// The low-wasm-memory hook (ic-cdk 0.20 has no attribute for it).
#[export_name = "canister_on_low_wasm_memory"]
extern "C" fn on_low_wasm_memory() {
    LOW_MEMORY.with(|c| c.set(c.get() + 1));
}

/// Allocates `pages` × 64 KiB on the heap and keeps it.
#[ic_cdk::update]
fn grow_heap(pages: u64) {
    BALLAST.with(|b| b.borrow_mut().push(vec![1u8; pages as usize * 65536]));
}

/// Loops `n` times; returns the instruction counter.
#[ic_cdk::update]
fn burn(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = std::hint::black_box(x.wrapping_add(i));
    }
    std::hint::black_box(x);
    ic_cdk::api::performance_counter(0)
}

/// Prints a line to the canister log.
#[ic_cdk::update]
fn log(line: String) {
    ic_cdk::println!("{line}");
}

/// Accepts all attached cycles.
#[ic_cdk::update]
fn accept_cycles() -> u128 {
    ic_cdk::api::msg_cycles_accept(u128::MAX)
}

/// Never accepted by inspect_message.
#[ic_cdk::update]
fn forbidden() {}

#[ic_cdk::inspect_message]
fn inspect_message() {
    if ic_cdk::api::msg_method_name() != "forbidden" {
        ic_cdk::api::accept_message();
    }
}
