//! The worker example (`example-worker`): trap-capturing timers and heartbeat, hook endpoints'
//! caller rule and dedupe, and the handlers' effects.

use std::time::Duration;

use candid::{encode_one, CandidType, Principal};
use canister_hooks::events::{ErrorEvent, ErrorSource, EventOrigin, LowMemoryEvent, MemoryMetric};
use canister_hooks::types::AdminError;
use canister_hooks_testkit::examples::{WorkerInit, WorkerStats};
use integration_tests::canister_wasm;
use integration_tests::sdk::*;
use pocket_ic::{CanisterSettings, PocketIc};

/// Has `relay` call `worker.method(arg)` bounded-wait; the reply bytes or `(reject code, message)`.
fn relay<A: CandidType>(
    pic: &PocketIc,
    relay: Principal,
    worker: Principal,
    method: &str,
    arg: A,
) -> Result<Vec<u8>, (u32, String)> {
    relay_call(pic, relay, worker, method, encode_one(arg).unwrap())
}

fn deploy() -> (PocketIc, Principal) {
    let pic = PocketIc::new();
    let worker = install_ready_worker(&pic, None);
    (pic, worker)
}

fn stats(pic: &PocketIc, worker: Principal) -> WorkerStats {
    query(pic, worker, "stats", ()).unwrap()
}

fn submit(pic: &PocketIc, worker: Principal, values: Vec<u64>) -> Vec<u64> {
    update(pic, worker, Principal::anonymous(), "submit", (values,)).unwrap()
}

fn set_monitor(pic: &PocketIc, worker: Principal, monitor: Principal) {
    let r: Result<(), AdminError> = update(
        pic,
        worker,
        Principal::anonymous(),
        "hooks_set_monitors",
        (vec![monitor],),
    )
    .unwrap();
    r.unwrap();
}

#[test]
fn trapping_timer_is_captured_with_its_message_while_another_keeps_firing() {
    let (pic, worker) = deploy();
    let poison = submit(&pic, worker, vec![1666])[0];
    let reports_before = stats(&pic, worker).ledger.report_runs;
    settle(&pic, 12, Duration::from_secs(2));

    let errors = recent_errors(&pic, worker);
    let e = errors
        .iter()
        .find(|e| e.source == ErrorSource::Timer("process".into()))
        .expect("process trap captured");
    assert!(e.message.contains("poison job value 1666"), "{}", e.message);
    assert_eq!(e.reject_code, Some(5));
    assert!(e.count >= 2, "repeats folded: {e:?}");
    let s = stats(&pic, worker);
    assert!(
        s.ledger.report_runs >= reports_before + 2,
        "report kept firing: {s:?}"
    );
    assert!(s.ledger.errors_seen >= 1, "on_error ran: {s:?}");

    let discarded: bool =
        update(&pic, worker, Principal::anonymous(), "discard", (poison,)).unwrap();
    assert!(discarded);
    submit(&pic, worker, vec![1, 2]);
    settle(&pic, 6, Duration::from_secs(2));
    let s = stats(&pic, worker);
    assert_eq!(s.pending, 0, "process resumed on schedule: {s:?}");
}

#[test]
fn trapping_heartbeat_is_captured() {
    let (pic, worker) = deploy();
    submit(&pic, worker, vec![1999]);
    settle(&pic, 10, Duration::from_secs(1));
    let errors = recent_errors(&pic, worker);
    let e = errors
        .iter()
        .find(|e| e.source == ErrorSource::Heartbeat)
        .expect("heartbeat trap captured");
    assert!(e.message.contains("unarchivable"), "{}", e.message);
    assert_eq!(e.reject_code, Some(5));
}

#[test]
fn hook_from_a_stranger_is_rejected_with_who_may_call() {
    let (pic, worker) = deploy();
    let monitor = install_relay(&pic);
    let stranger = install_relay(&pic);
    set_monitor(&pic, worker, monitor);
    let (code, message) = relay(
        &pic,
        stranger,
        worker,
        "on_low_cycles",
        low_cycles_event(1, monitor),
    )
    .unwrap_err();
    assert_eq!(code, 4, "rejected by the guard: {message}");
    assert!(message.contains("may not call hook endpoints"), "{message}");
    assert!(
        message.contains(&monitor.to_text()),
        "names who may call: {message}"
    );
    // Ingress from a user who is not a monitor is refused by inspect_message.
    let user = Principal::from_slice(&[0x55; 29]);
    let err = update::<()>(
        &pic,
        worker,
        user,
        "on_low_cycles",
        (low_cycles_event(2, monitor),),
    )
    .unwrap_err();
    assert!(
        err.reject_message.contains("configured monitor"),
        "{}",
        err.reject_message
    );
    assert!(!stats(&pic, worker).ledger.degraded);
}

#[test]
fn same_event_id_delivered_twice_runs_the_handler_once() {
    let (pic, worker) = deploy();
    let monitor = install_relay(&pic);
    set_monitor(&pic, worker, monitor);
    let before = status(&pic, worker);
    let event = ErrorEvent {
        id: 7,
        origin: EventOrigin::Monitor(monitor),
        source: ErrorSource::System("frozen".into()),
        message: "canister frozen".into(),
        reject_code: None,
        time_ns: 1,
        count: 1,
    };
    let errors_seen = stats(&pic, worker).ledger.errors_seen;
    relay(&pic, monitor, worker, "on_error", event.clone()).unwrap();
    relay(&pic, monitor, worker, "on_error", event).unwrap();
    assert_eq!(stats(&pic, worker).ledger.errors_seen, errors_seen + 1);
    let after = status(&pic, worker);
    assert_eq!(after.duplicates_dropped, before.duplicates_dropped + 1);
    assert_eq!(after.hooks_handled, before.hooks_handled + 1);
}

#[test]
fn handlers_switch_to_degraded_mode_and_free_the_cache() {
    let (pic, worker) = deploy();
    let monitor = install_relay(&pic);
    set_monitor(&pic, worker, monitor);
    submit(&pic, worker, vec![1, 2, 3]);
    settle(&pic, 4, Duration::from_secs(2));
    relay(
        &pic,
        monitor,
        worker,
        "on_low_cycles",
        low_cycles_event(1, monitor),
    )
    .unwrap();
    assert!(stats(&pic, worker).ledger.degraded);

    submit(&pic, worker, vec![4]);
    settle(&pic, 2, Duration::from_secs(2));
    assert!(stats(&pic, worker).cache_entries > 0);
    let low_memory = LowMemoryEvent {
        id: 2,
        origin: EventOrigin::Monitor(monitor),
        metric: MemoryMetric::Heap,
        value: 10,
        threshold: 5,
        limit: None,
        observed_at_ns: 0,
    };
    relay(&pic, monitor, worker, "on_low_memory", low_memory).unwrap();
    let s = stats(&pic, worker);
    assert_eq!((s.cache_entries, s.ledger.cache_frees), (0, 1));
}

#[test]
fn timers_and_error_log_after_upgrade() {
    let (pic, worker) = deploy();
    submit(&pic, worker, vec![2666]);
    settle(&pic, 3, Duration::from_secs(2));
    assert!(!recent_errors(&pic, worker).is_empty());
    pic.upgrade_canister(
        worker,
        canister_wasm("example-worker"),
        encode_one(Option::<WorkerInit>::None).unwrap(),
        None,
    )
    .unwrap();
    wait_ready(&pic, worker, 60);
    let process_count = |pic: &PocketIc| {
        recent_errors(pic, worker)
            .into_iter()
            .find(|e| e.source == ErrorSource::Timer("process".into()))
            .map_or(0, |e| e.count)
    };
    let count_before = process_count(&pic);
    assert!(count_before >= 1, "the error log survived the upgrade");
    settle(&pic, 3, Duration::from_secs(2));
    assert!(
        process_count(&pic) > count_before,
        "timers re-armed in post_upgrade and the log kept counting"
    );
}

/// The worker's Wasm heap in bytes, as `canister_status` reports it.
fn heap_bytes(pic: &PocketIc, worker: Principal) -> u64 {
    let status = pic.canister_status(worker, None).unwrap();
    u64::try_from(status.memory_metrics.wasm_memory_size.0).unwrap()
}

#[test]
fn native_low_wasm_memory_hook_reaches_on_low_memory_as_self_raised_heap() {
    let (pic, worker) = deploy();
    // The IC runs `canister_on_low_wasm_memory` once `wasm_memory_limit - heap` falls below
    // `wasm_memory_threshold`: with these settings, as soon as the heap grows by one page.
    let heap_before = heap_bytes(&pic, worker);
    let room = 64 << 20;
    pic.update_canister_settings(
        worker,
        None,
        CanisterSettings {
            wasm_memory_limit: Some((heap_before + room).into()),
            wasm_memory_threshold: Some((room - 1).into()),
            ..CanisterSettings::default()
        },
    )
    .unwrap();
    settle(&pic, 3, Duration::from_secs(1));
    assert_eq!(
        stats(&pic, worker).ledger.cache_frees,
        0,
        "nothing fires while the heap stays put"
    );

    // A large batch of jobs: decoding it and answering it grows the heap.
    submit(&pic, worker, vec![1; 2_000]);
    let heap_after = heap_bytes(&pic, worker);
    assert!(
        heap_after > heap_before,
        "heap grew: {heap_before} -> {heap_after}"
    );
    settle(&pic, 3, Duration::from_secs(1));

    let ledger = stats(&pic, worker).ledger;
    assert_eq!(ledger.cache_frees, 1, "on_low_memory ran once: {ledger:?}");
    let event = ledger.last_low_memory.expect("the event the handler saw");
    assert_eq!(event.origin, EventOrigin::SelfRaised);
    assert_eq!(event.metric, MemoryMetric::Heap);
    assert!(
        event.value > heap_before && event.value <= heap_bytes(&pic, worker),
        "value is the heap size when the hook ran: {event:?}"
    );
}
