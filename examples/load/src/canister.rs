//! The canister layer of the load example: its state, hooks, lifecycle and endpoints (compiled
//! for wasm and for its own tests only, so the types in the crate root stay importable natively).

use super::*;
use canister_hooks::{Hooks, InitTask, Setup};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{Memory as _, StableBTreeMap, StableCell};
use std::cell::RefCell;

type Mem = canister_hooks::memory::Memory;

thread_local! {
    static LEDGER: RefCell<StableCell<Ledger, Mem>> =
        RefCell::new(StableCell::init(canister_hooks::memory::get(MemoryId::new(0)), Ledger::default()));
    static RECEIVED: RefCell<StableBTreeMap<u64, Received, Mem>> =
        RefCell::new(StableBTreeMap::init(canister_hooks::memory::get(MemoryId::new(1))));
    /// Raw stable ballast, grown on demand.
    static STABLE_BALLAST: Mem = canister_hooks::memory::get(MemoryId::new(2));
    /// Client requests served by `serve`.
    static SERVED: RefCell<StableCell<u64, Mem>> =
        RefCell::new(StableCell::init(canister_hooks::memory::get(MemoryId::new(3)), 0));
    /// Heap ballast; `on_low_memory` frees it.
    static HEAP_BALLAST: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn ledger() -> Ledger {
    LEDGER.with_borrow(|l| l.get().clone())
}

fn update_ledger(f: impl FnOnce(&mut Ledger)) {
    canister_hooks::memory::update_cell(&LEDGER, f)
}

fn record(event: Received) {
    let mut key = 0;
    update_ledger(|l| {
        key = l.next_received;
        l.next_received += 1;
        if let Some(old) = logic::to_evict(l.first_received, l.next_received) {
            RECEIVED.with_borrow_mut(|r| r.remove(&old));
            l.first_received = old + 1;
        }
    });
    RECEIVED.with_borrow_mut(|r| r.insert(key, event));
}

async fn behave(event: Received) {
    match ledger().mode {
        HookMode::Normal => record(event),
        // Worded like a handler that unwrapped a failed call of its own: a trap all the same.
        HookMode::Trap => ic_cdk::trap(
            "load canister: hook told to trap (set_hook_mode): config fetch failed: \
             Canister aaaaa-aa has no update method 'get_config'",
        ),
        HookMode::Slow(calls) => {
            record(event);
            for _ in 0..calls {
                if ledger().mode != HookMode::Slow(calls) {
                    break;
                }
                // One `raw_rand` call is answered per round: a cheap way to wait a round. Not
                // tracked, on purpose: scenarios upgrade the canister in the middle of the wait
                // to cut a handler short.
                let _ =
                    ic_cdk::call::Call::bounded_wait(Principal::management_canister(), "raw_rand")
                        .await;
            }
        }
    }
}

/// The load canister's hook handlers.
pub struct LoadHooks;

impl Hooks for LoadHooks {
    async fn on_low_cycles(event: LowCyclesEvent) {
        behave(Received::LowCycles(event)).await
    }

    async fn on_low_memory(event: LowMemoryEvent) {
        if ledger().mode != HookMode::Trap {
            HEAP_BALLAST.with_borrow_mut(|b| b.clear());
            update_ledger(|l| l.ballast_frees += 1);
        }
        behave(Received::LowMemory(event)).await
    }

    async fn on_error(event: ErrorEvent) {
        behave(Received::Error(event)).await
    }
}

canister_hooks::export_hooks!(LoadHooks);

fn setup(arg: LoadInit) -> Setup {
    let mut s = Setup::new();
    if let Some(m) = arg.monitor {
        s = s.monitors(vec![m]);
    }
    if arg.fault == Some(ReleaseFault::NeverReady) {
        s = s.task(InitTask::new("connect_dependency", || async {
            Err("the dependency this release needs does not exist".to_string())
        }));
    }
    s
}

#[ic_cdk::init]
fn init(arg: Option<LoadInit>) {
    canister_hooks::init(setup(arg.unwrap_or_default()));
}

#[ic_cdk::post_upgrade]
fn post_upgrade(arg: Option<LoadInit>) {
    let arg = arg.unwrap_or_default();
    if arg.fault == Some(ReleaseFault::TrapInPostUpgrade) {
        ic_cdk::trap("post_upgrade: this release cannot read the state it was given");
    }
    canister_hooks::post_upgrade(setup(arg));
}

/// Refuses an upgrade while a `call_out` call awaits its response.
#[ic_cdk::pre_upgrade]
fn pre_upgrade() {
    canister_hooks::guard_upgrade();
}

/// Calls `method` of `target` with the Candid-encoded `arg` through the SDK's tracked `Call`
/// (bounded wait): counted in `hooks_status` until the answer, which comes back as the reply
/// bytes or the reject. A call to a target that hangs holds the upgrade guard shut.
#[ic_cdk::update]
async fn call_out(target: Principal, method: String, arg: Vec<u8>) -> Result<Vec<u8>, String> {
    canister_hooks::call::Call::bounded_wait(target, &method)
        .take_raw_args(arg)
        .await
        .map(|reply| reply.into_bytes())
        .map_err(|e| e.to_string())
}

/// [`call_out`], then a trap once the answer is in (a caller failing after its call): the call
/// stops counting all the same.
#[ic_cdk::update]
async fn call_out_then_trap(target: Principal, method: String, arg: Vec<u8>) {
    let outcome = call_out(target, method, arg).await;
    ic_cdk::trap(format!(
        "load canister: told to trap after its call ({})",
        if outcome.is_ok() {
            "answered"
        } else {
            "rejected"
        }
    ));
}

/// Sends `method` of `target` with the Candid-encoded `arg` one way (no answer expected),
/// counted in `hooks_status` as a one-way call.
#[ic_cdk::update]
fn notify_out(target: Principal, method: String, arg: Vec<u8>) -> Result<(), String> {
    canister_hooks::call::Call::unbounded_wait(target, &method)
        .take_raw_args(arg)
        .oneway()
        .map_err(|e| e.to_string())
}

/// Burns `amount` cycles from the balance; returns the cycles actually burned.
#[ic_cdk::update]
fn burn_cycles(amount: u128) -> u128 {
    let burned = ic_cdk::api::cycles_burn(amount);
    update_ledger(|l| l.burned += burned);
    burned
}

/// Executes about `instructions` Wasm instructions (cycles burned by execution, not by fiat).
#[ic_cdk::update]
fn burn_instructions(instructions: u64) -> u64 {
    let target = instructions.min(30_000_000_000);
    let start = ic_cdk::api::instruction_counter();
    let mut x: u64 = 1;
    while ic_cdk::api::instruction_counter() - start < target {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
    ic_cdk::api::instruction_counter() - start
}

/// Grows the heap by `bytes` (touched, so it is really used); returns the heap ballast size.
#[ic_cdk::update]
fn grow_heap(bytes: u64) -> Result<u64, String> {
    let bytes = logic::check_growth(bytes)?;
    HEAP_BALLAST.with_borrow_mut(|b| b.push(vec![0xA5; bytes as usize]));
    Ok(heap_ballast())
}

/// Drops the heap ballast (the Wasm heap itself never shrinks).
#[ic_cdk::update]
fn free_heap() -> u64 {
    let freed = heap_ballast();
    HEAP_BALLAST.with_borrow_mut(|b| b.clear());
    freed
}

/// Grows stable memory by `bytes` (rounded up to pages, and written); returns stable bytes grown.
#[ic_cdk::update]
fn grow_stable(bytes: u64) -> Result<u64, String> {
    let bytes = logic::check_growth(bytes)?;
    let pages = logic::pages_for(bytes);
    STABLE_BALLAST.with(|m| {
        let old = m.grow(pages);
        if old < 0 {
            return Err(format!("stable memory cannot grow by {pages} pages"));
        }
        let offset = old as u64 * logic::PAGE;
        m.write(offset + pages * logic::PAGE - 1, &[1]);
        Ok(())
    })?;
    update_ledger(|l| l.stable_grown += pages * logic::PAGE);
    Ok(ledger().stable_grown)
}

/// A client's request: counts it and returns the requests served so far. Guarded: rejected
/// until the canister is ready and while it is in maintenance (during an upgrade).
#[ic_cdk::update(guard = "canister_hooks::guard_ready_and_not_in_maintenance")]
fn serve() -> u64 {
    SERVED.with_borrow_mut(|cell| {
        let served = cell.get() + 1;
        cell.set(served);
        served
    })
}

/// Sets how the hook handlers behave.
#[ic_cdk::update]
fn set_hook_mode(mode: HookMode) {
    update_ledger(|l| l.mode = mode);
}

fn heap_ballast() -> u64 {
    HEAP_BALLAST.with_borrow(|b| b.iter().map(|v| v.len() as u64).sum())
}

#[cfg(target_arch = "wasm32")]
fn heap_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * logic::PAGE
}

#[cfg(not(target_arch = "wasm32"))]
fn heap_bytes() -> u64 {
    0
}

/// Hook events handled, oldest first, after key `after` (at most 100).
#[ic_cdk::query]
fn received(after: Option<u64>) -> Vec<(u64, Received)> {
    use std::ops::Bound::{Excluded, Unbounded};
    let lower = after.map_or(Unbounded, Excluded);
    RECEIVED.with_borrow(|r| {
        r.range((lower, Unbounded))
            .take(100)
            .map(|e| e.into_pair())
            .collect()
    })
}

/// Balance, memory and counters.
#[ic_cdk::query]
fn load_status() -> LoadStatus {
    let counts = RECEIVED.with_borrow(|r| {
        r.values().fold((0, 0, 0), |(c, m, e), v| match v {
            Received::LowCycles(_) => (c + 1, m, e),
            Received::LowMemory(_) => (c, m + 1, e),
            Received::Error(_) => (c, m, e + 1),
        })
    });
    LoadStatus {
        ledger: ledger(),
        cycle_balance: ic_cdk::api::canister_cycle_balance(),
        heap_ballast: heap_ballast(),
        heap_bytes: heap_bytes(),
        stable_bytes: ic_cdk::stable::stable_size() * logic::PAGE,
        received: counts,
        requests_served: SERVED.with_borrow(|cell| *cell.get()),
    }
}

ic_cdk::export_candid!();

#[cfg(test)]
/// `load.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-load did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("load.did");
}
