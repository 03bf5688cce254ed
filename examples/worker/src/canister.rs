//! The canister layer of the worker example: its state, hooks, lifecycle and endpoints (compiled
//! for wasm and for its own tests only, so the types in the crate root stay importable natively).

use super::*;
use canister_hooks::events::{ErrorEvent, LowCyclesEvent};
use canister_hooks::{Hooks, InitTask, Setup};
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::{StableBTreeMap, StableCell};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

type Mem = canister_hooks::memory::Memory;

thread_local! {
    static JOBS: RefCell<StableBTreeMap<u64, Job, Mem>> =
        RefCell::new(StableBTreeMap::init(canister_hooks::memory::get(MemoryId::new(0))));
    static LEDGER: RefCell<StableCell<Ledger, Mem>> =
        RefCell::new(StableCell::init(canister_hooks::memory::get(MemoryId::new(1)), Ledger::default()));
    /// Heap cache of rendered results; freed by `on_low_memory`.
    static CACHE: RefCell<BTreeMap<u64, String>> = const { RefCell::new(BTreeMap::new()) };
}

fn ledger() -> Ledger {
    LEDGER.with_borrow(|l| l.get().clone())
}

fn update_ledger(f: impl FnOnce(&mut Ledger)) {
    canister_hooks::memory::update_cell(&LEDGER, f)
}

/// The worker's hook handlers.
pub struct WorkerHooks;

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

canister_hooks::export_hooks!(WorkerHooks, heartbeat);

/// The IC's own hook (heap within `wasm_memory_threshold` of `wasm_memory_limit`), forwarded to
/// `on_low_memory` as a `SelfRaised` event.
#[ic_cdk::on_low_wasm_memory]
fn low_wasm_memory() {
    canister_hooks::bridge_low_wasm_memory::<WorkerHooks>();
}

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

#[ic_cdk::init]
fn init(arg: WorkerInit) {
    start(arg, false);
}

#[ic_cdk::post_upgrade]
fn post_upgrade(arg: Option<WorkerInit>) {
    start(arg.unwrap_or_default(), true);
}

/// Refuses an upgrade while tracked outgoing calls await responses (none today, but any the
/// worker makes through `canister_hooks::call::Call` count).
#[ic_cdk::pre_upgrade]
fn pre_upgrade() {
    canister_hooks::guard_upgrade();
}

#[ic_cdk::inspect_message]
fn inspect_message() {
    // `discard` stays open in maintenance: it is how an operator drops a poison job.
    canister_hooks::inspect_message_allowing(&[], &["discard"]);
}

/// Processes the oldest pending job; traps on a poison value (the job stays pending).
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

/// Queues jobs; returns their keys (refused in maintenance).
#[ic_cdk::update(guard = "canister_hooks::guard_ready_and_not_in_maintenance")]
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

/// Drops a job (e.g. a poison one the `process` timer keeps trapping on); open in maintenance.
#[ic_cdk::update(guard = "canister_hooks::guard_ready")]
fn discard(key: u64) -> bool {
    JOBS.with_borrow_mut(|j| j.remove(&key)).is_some()
}

/// Leaves degraded mode (after topping up cycles); refused in maintenance.
#[ic_cdk::update(guard = "canister_hooks::guard_ready_and_not_in_maintenance")]
fn resume() {
    update_ledger(|l| l.degraded = false);
}

/// Counters, mode and queue sizes.
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
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn config() -> WorkerConfig {
    WorkerConfig {
        greeting: ledger().greeting,
        batch_size: 1,
    }
}

/// A plain-text summary over HTTP; while in maintenance, 503 with `Retry-After` and a small page.
#[ic_cdk::query]
fn http_request(_request: HttpRequest) -> HttpResponse {
    if let Some(unavailable) = canister_hooks::maintenance_http_response() {
        return HttpResponse {
            status_code: unavailable.status_code,
            headers: unavailable.headers,
            body: unavailable.body,
        };
    }
    let l = ledger();
    let body = format!(
        "worker: {} jobs queued in all, {} compacted, {} errors seen\n",
        l.next_key, l.compacted, l.errors_seen
    );
    HttpResponse {
        status_code: 200,
        headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
        body: body.into_bytes(),
    }
}

ic_cdk::export_candid!();

#[cfg(test)]
/// `worker.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-worker did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("worker.did");
}
