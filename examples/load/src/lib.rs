//! Example load canister: update methods that burn cycles and grow heap or stable memory on
//! demand, so scenarios can push a canister across the monitor's thresholds for real. It exports
//! the lifecycle hooks with canister-hooks and records every event it handles; its hooks can be
//! told to trap or to answer slowly, to play a misbehaving target.

use std::borrow::Cow;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use std::cell::RefCell;

use candid::{CandidType, Principal};
use canister_hooks::events::{ErrorEvent, LowCyclesEvent, LowMemoryEvent};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use canister_hooks::{Hooks, Setup};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::{Memory as _, StableBTreeMap, StableCell};
use serde::{Deserialize, Serialize};

pub mod logic;

/// Init and upgrade argument.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct LoadInit {
    /// Monitor canister allowed to call the hooks.
    pub monitor: Option<Principal>,
}

/// How the hook handlers behave.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HookMode {
    /// Record the event and reply.
    #[default]
    Normal,
    /// Trap in every handler (the event is not recorded; the monitor retries).
    Trap,
    /// Record, then wait this many rounds (one `raw_rand` call each) before replying (a slow
    /// target; a huge number never answers); setting another mode ends the wait.
    Slow(u32),
}

/// A hook event the canister handled.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Received {
    LowCycles(LowCyclesEvent),
    LowMemory(LowMemoryEvent),
    Error(ErrorEvent),
}

/// Durable settings and counters.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub mode: HookMode,
    /// Cycles burned on request.
    pub burned: u128,
    /// Stable memory bytes grown on request.
    pub stable_grown: u64,
    /// Key of the oldest retained received event.
    pub first_received: u64,
    /// Key of the next received event.
    pub next_received: u64,
    /// Times `on_low_memory` freed the heap ballast.
    pub ballast_frees: u64,
}

/// What `load_status` returns.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoadStatus {
    pub ledger: Ledger,
    pub cycle_balance: u128,
    /// Heap ballast currently held, bytes.
    pub heap_ballast: u64,
    /// Wasm heap size, bytes.
    pub heap_bytes: u64,
    /// Stable memory size, bytes.
    pub stable_bytes: u64,
    /// Events handled, per kind: low cycles, low memory, error.
    pub received: (u64, u64, u64),
}

macro_rules! candid_storable {
    ($t:ty) => {
        impl Storable for $t {
            fn to_bytes(&self) -> Cow<'_, [u8]> {
                Cow::Owned(candid::encode_one(self).expect("encode"))
            }
            fn into_bytes(self) -> Vec<u8> {
                candid::encode_one(&self).expect("encode")
            }
            fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
                candid::decode_one(&bytes).expect("decode")
            }
            const BOUND: Bound = Bound::Unbounded;
        }
    };
}
candid_storable!(Ledger);
candid_storable!(Received);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
type Mem = canister_hooks::memory::Memory;

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
thread_local! {
    static LEDGER: RefCell<StableCell<Ledger, Mem>> =
        RefCell::new(StableCell::init(canister_hooks::memory::get(MemoryId::new(0)), Ledger::default()));
    static RECEIVED: RefCell<StableBTreeMap<u64, Received, Mem>> =
        RefCell::new(StableBTreeMap::init(canister_hooks::memory::get(MemoryId::new(1))));
    /// Raw stable ballast, grown on demand.
    static STABLE_BALLAST: Mem = canister_hooks::memory::get(MemoryId::new(2));
    /// Heap ballast; `on_low_memory` frees it.
    static HEAP_BALLAST: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn ledger() -> Ledger {
    LEDGER.with_borrow(|l| l.get().clone())
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn update_ledger(f: impl FnOnce(&mut Ledger)) {
    LEDGER.with_borrow_mut(|cell| {
        let mut l = cell.get().clone();
        f(&mut l);
        cell.set(l);
    });
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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
                // One `raw_rand` call is answered per round: a cheap way to wait a round.
                let _ =
                    ic_cdk::call::Call::bounded_wait(Principal::management_canister(), "raw_rand")
                        .await;
            }
        }
    }
}

/// The load canister's hook handlers.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
pub struct LoadHooks;

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
canister_hooks::export_hooks!(LoadHooks);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn setup(arg: LoadInit) -> Setup {
    let mut s = Setup::new();
    if let Some(m) = arg.monitor {
        s = s.monitors(vec![m]);
    }
    s
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::init]
fn init(arg: Option<LoadInit>) {
    canister_hooks::init(setup(arg.unwrap_or_default()));
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::post_upgrade]
fn post_upgrade(arg: Option<LoadInit>) {
    canister_hooks::post_upgrade(setup(arg.unwrap_or_default()));
}

/// Burns `amount` cycles from the balance; returns the cycles actually burned.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update]
fn burn_cycles(amount: u128) -> u128 {
    let burned = ic_cdk::api::cycles_burn(amount);
    update_ledger(|l| l.burned += burned);
    burned
}

/// Executes about `instructions` Wasm instructions (cycles burned by execution, not by fiat).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update]
fn grow_heap(bytes: u64) -> Result<u64, String> {
    let bytes = logic::check_growth(bytes)?;
    HEAP_BALLAST.with_borrow_mut(|b| b.push(vec![0xA5; bytes as usize]));
    Ok(heap_ballast())
}

/// Drops the heap ballast (the Wasm heap itself never shrinks).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update]
fn free_heap() -> u64 {
    let freed = heap_ballast();
    HEAP_BALLAST.with_borrow_mut(|b| b.clear());
    freed
}

/// Grows stable memory by `bytes` (rounded up to pages, and written); returns stable bytes grown.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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

/// Sets how the hook handlers behave.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update]
fn set_hook_mode(mode: HookMode) {
    update_ledger(|l| l.mode = mode);
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn heap_ballast() -> u64 {
    HEAP_BALLAST.with_borrow(|b| b.iter().map(|v| v.len() as u64).sum())
}

#[cfg(all(feature = "canister", target_arch = "wasm32"))]
fn heap_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * logic::PAGE
}

#[cfg(all(feature = "canister", test, not(target_arch = "wasm32")))]
fn heap_bytes() -> u64 {
    0
}

/// Hook events handled, oldest first, after key `after` (at most 100).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
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
    }
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
ic_cdk::export_candid!();

#[cfg(all(test, feature = "canister"))]
/// `load.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-load did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("load.did");
}
