//! Example worker canister: interval timers and a heartbeat doing real work on a stable map, with
//! every run isolated by canister-hooks.
//!
//! - `process` (interval timer, 2 s): takes the oldest pending job, computes its result and caches
//!   it on the heap. It **traps** on a poison job (value ending in 666) — the SDK captures the trap,
//!   keeps the timer's schedule, and routes the error to `on_error`.
//! - `report` (interval timer, 10 s): refreshes the summary of processed work.
//! - heartbeat: compacts the stable map, folding processed jobs into a running total (skipped in
//!   degraded mode). It **traps** on a job it cannot archive (value ending in 999) — captured as a
//!   `Heartbeat` error; the next heartbeat starts only after the trapped one returned.
//! - hooks: `on_low_memory` frees the heap cache, `on_low_cycles` switches to degraded mode,
//!   `on_error` records and counts errors. The IC's native low-wasm-memory hook is forwarded to
//!   `on_low_memory` too (`canister_hooks::bridge_low_wasm_memory`).
//! - `config` (gated query): the configuration the `gated` example fetches during its post-init.

use std::borrow::Cow;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use std::cell::RefCell;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use std::collections::BTreeMap;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use std::time::Duration;

use candid::{CandidType, Principal};
use canister_hooks::events::LowMemoryEvent;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use canister_hooks::events::{ErrorEvent, LowCyclesEvent};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use canister_hooks::{Hooks, InitTask, Setup};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::storable::Bound;
use ic_stable_structures::Storable;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::{StableBTreeMap, StableCell};
use serde::{Deserialize, Serialize};

mod logic;

pub use logic::{check_archivable, is_poison, process_value};

/// Init and upgrade argument.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct WorkerInit {
    /// Monitor canister allowed to call the hooks.
    pub monitor: Option<Principal>,
    /// Greeting served to the `gated` example through `config`.
    pub greeting: Option<String>,
}

/// Configuration served to other canisters.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Greeting text.
    pub greeting: String,
    /// Jobs processed per timer run.
    pub batch_size: u32,
}

/// A job in the stable map.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The submitted value.
    pub value: u64,
    /// The computed result, once processed.
    pub result: Option<u64>,
}

/// Durable counters and mode.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Jobs folded away by the heartbeat.
    pub compacted: u64,
    /// Sum of compacted results.
    pub compacted_total: u128,
    /// `on_error` events handled.
    pub errors_seen: u64,
    /// The last error message handled.
    pub last_error: Option<String>,
    /// Whether `on_low_cycles` switched the worker to degraded mode.
    pub degraded: bool,
    /// `on_low_memory` events handled.
    pub cache_frees: u64,
    /// The last `on_low_memory` event handled.
    pub last_low_memory: Option<LowMemoryEvent>,
    /// Greeting served through `config`.
    pub greeting: String,
    /// Next job key.
    pub next_key: u64,
    /// Heartbeat compaction runs.
    pub heartbeat_runs: u64,
    /// `report` timer runs.
    pub report_runs: u64,
}

/// What `stats` returns.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs waiting for `process`.
    pub pending: u64,
    /// Jobs processed but not yet compacted.
    pub processed: u64,
    /// Entries in the heap cache.
    pub cache_entries: u64,
    /// Durable counters.
    pub ledger: Ledger,
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
candid_storable!(Job);
candid_storable!(Ledger);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
type Mem = canister_hooks::memory::Memory;

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
thread_local! {
    static JOBS: RefCell<StableBTreeMap<u64, Job, Mem>> =
        RefCell::new(StableBTreeMap::init(canister_hooks::memory::get(MemoryId::new(0))));
    static LEDGER: RefCell<StableCell<Ledger, Mem>> =
        RefCell::new(StableCell::init(canister_hooks::memory::get(MemoryId::new(1)), Ledger::default()));
    /// Heap cache of rendered results; freed by `on_low_memory`.
    static CACHE: RefCell<BTreeMap<u64, String>> = const { RefCell::new(BTreeMap::new()) };
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

/// The worker's hook handlers.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
pub struct WorkerHooks;

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
impl Hooks for WorkerHooks {
    async fn on_low_cycles(_event: LowCyclesEvent) {
        update_ledger(|l| l.degraded = true);
    }

    async fn on_low_memory(event: LowMemoryEvent) {
        CACHE.with_borrow_mut(|c| c.clear());
        update_ledger(|l| {
            l.cache_frees += 1;
            l.last_low_memory = Some(event);
        });
    }

    async fn on_error(event: ErrorEvent) {
        update_ledger(|l| {
            l.errors_seen += 1;
            l.last_error = Some(format!("{:?}: {}", event.source, event.message));
        });
    }
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
canister_hooks::export_hooks!(WorkerHooks, heartbeat);

/// The IC's own hook (heap within `wasm_memory_threshold` of `wasm_memory_limit`), forwarded to
/// `on_low_memory` as a `SelfRaised` event.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::on_low_wasm_memory]
fn low_wasm_memory() {
    canister_hooks::bridge_low_wasm_memory::<WorkerHooks>();
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn start(arg: WorkerInit, upgrade: bool) {
    if let Some(greeting) = arg.greeting {
        update_ledger(|l| l.greeting = greeting);
    } else if !upgrade {
        update_ledger(|l| l.greeting = "hello".into());
    }
    let mut setup = Setup::new().task(InitTask::new("check_jobs", || async {
        // A real, cheap consistency check: every key is below next_key.
        let next = ledger().next_key;
        match JOBS.with_borrow(|j| j.last_key_value().map(|(k, _)| k)) {
            Some(k) if k >= next => Err(format!("job key {k} is not below next_key {next}")),
            _ => Ok(()),
        }
    }));
    if let Some(m) = arg.monitor {
        setup = setup.monitors(vec![m]);
    }
    if upgrade {
        canister_hooks::post_upgrade(setup);
    } else {
        canister_hooks::init(setup);
    }
    canister_hooks::set_timer_interval_named("process", Duration::from_secs(2), || async {
        process_next();
    });
    canister_hooks::set_timer_interval_named("report", Duration::from_secs(10), || async {
        update_ledger(|l| l.report_runs += 1);
    });
    canister_hooks::set_heartbeat(|| async { compact() });
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::init]
fn init(arg: WorkerInit) {
    start(arg, false);
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::post_upgrade]
fn post_upgrade(arg: Option<WorkerInit>) {
    start(arg.unwrap_or_default(), true);
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::inspect_message]
fn inspect_message() {
    canister_hooks::inspect_message(&[]);
}

/// Processes the oldest pending job; traps on a poison value (the job stays pending).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn process_next() {
    let next = JOBS.with_borrow(|j| {
        j.iter()
            .find(|e| e.value().result.is_none())
            .map(|e| e.into_pair())
    });
    let Some((key, job)) = next else { return };
    let result = process_value(job.value);
    JOBS.with_borrow_mut(|j| {
        j.insert(
            key,
            Job {
                result: Some(result),
                ..job
            },
        )
    });
    CACHE.with_borrow_mut(|c| c.insert(key, format!("job {key}: {result}")));
}

/// Folds up to 50 processed jobs into the ledger total (skipped in degraded mode); traps on a
/// job that cannot be archived (the job stays until discarded).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn compact() {
    if ledger().degraded {
        return;
    }
    let done: Vec<(u64, u64)> = JOBS.with_borrow(|j| {
        j.iter()
            .filter_map(|e| {
                let (k, job) = e.into_pair();
                job.result.map(|r| {
                    check_archivable(job.value);
                    (k, r)
                })
            })
            .take(50)
            .collect()
    });
    JOBS.with_borrow_mut(|j| {
        for (k, _) in &done {
            j.remove(k);
        }
    });
    update_ledger(|l| {
        l.heartbeat_runs += 1;
        l.compacted += done.len() as u64;
        l.compacted_total += done.iter().map(|(_, r)| u128::from(*r)).sum::<u128>();
    });
}

/// Queues jobs; returns their keys.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update(guard = "canister_hooks::guard_ready")]
fn submit(values: Vec<u64>) -> Vec<u64> {
    let mut keys = Vec::with_capacity(values.len());
    for value in values {
        let mut key = 0;
        update_ledger(|l| {
            key = l.next_key;
            l.next_key += 1;
        });
        JOBS.with_borrow_mut(|j| {
            j.insert(
                key,
                Job {
                    value,
                    result: None,
                },
            )
        });
        keys.push(key);
    }
    keys
}

/// Drops a job (e.g. a poison one the `process` timer keeps trapping on).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update(guard = "canister_hooks::guard_ready")]
fn discard(key: u64) -> bool {
    JOBS.with_borrow_mut(|j| j.remove(&key)).is_some()
}

/// Leaves degraded mode (after topping up cycles).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update(guard = "canister_hooks::guard_ready")]
fn resume() {
    update_ledger(|l| l.degraded = false);
}

/// Counters, mode and queue sizes.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn stats() -> WorkerStats {
    let (pending, processed) = JOBS.with_borrow(|j| {
        j.iter().fold((0, 0), |(p, d), e| {
            if e.value().result.is_some() {
                (p, d + 1)
            } else {
                (p + 1, d)
            }
        })
    });
    WorkerStats {
        pending,
        processed,
        cache_entries: CACHE.with_borrow(|c| c.len() as u64),
        ledger: ledger(),
    }
}

/// Configuration for other canisters (the `gated` example fetches it during post-init).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn config() -> WorkerConfig {
    WorkerConfig {
        greeting: ledger().greeting,
        batch_size: 1,
    }
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
ic_cdk::export_candid!();

#[cfg(all(test, feature = "canister"))]
/// `worker.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-worker did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("worker.did");
}
