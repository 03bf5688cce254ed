//! The monitor's hooks end to end: a real target crosses a threshold, the monitor's poll sees
//! it, and the target's own hook endpoint runs with the event. Also hysteresis (no repeats from a
//! value hovering at its threshold) and adaptive polling.

use candid::Principal;
use canister_hooks::events::{ErrorSource, EventOrigin};
use canister_hooks_testkit::monitor::{
    DeliveryStatus, EventKind, EventRecord, HookEvent, MemoryMetric, MemoryThresholds, PollBounds,
    RegisterArgs, NS,
};
use integration_tests::fleet::{fast_config, Fleet, T};

/// Asserts that the monitor delivered `record` and that the target handled exactly that event.
fn assert_handled_by_load(fleet: &Fleet, record: &EventRecord) {
    assert!(
        matches!(
            record.delivery,
            DeliveryStatus::Delivered { attempts: 1, .. }
        ),
        "{record:?}"
    );
    let received = fleet.load_received(record.canister_id);
    let copies = received.iter().filter(|e| **e == record.event).count();
    assert_eq!(
        copies, 1,
        "the target handled the monitor's event exactly once: {received:?}"
    );
}

#[test]
fn on_low_cycles_reaches_the_target_after_the_poll_that_sees_the_burn() {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    let reg = fleet.register_with_cycles_margin(load, T);
    let threshold = reg.cycles_threshold.unwrap();
    fleet.run_for(30, 5);
    assert!(
        fleet.events(Some(load)).is_empty(),
        "nothing fires above the threshold"
    );
    let polls_before = fleet.canister_state(load).polls;

    fleet.burn(load, T + T / 2);
    let burned_at = fleet.now_ns();
    assert!(
        fleet.events(Some(load)).is_empty(),
        "the monitor only learns of the burn by polling"
    );
    let seconds = fleet.run_until(120, 5, "on_low_cycles delivered", |f| {
        f.delivered(load, EventKind::LowCycles).is_some()
    });
    assert!(
        seconds <= 60,
        "caught within one max poll interval, took {seconds} s"
    );

    let record = fleet.delivered(load, EventKind::LowCycles).unwrap();
    let HookEvent::LowCycles(event) = &record.event else {
        unreachable!()
    };
    assert!(event.balance < threshold, "{event:?}");
    assert_eq!(event.threshold, threshold);
    assert_eq!(event.origin, EventOrigin::Monitor(fleet.monitor));
    assert!(
        event.observed_at_ns > burned_at,
        "observed by a poll after the burn"
    );
    assert!(fleet.canister_state(load).polls > polls_before);
    assert_handled_by_load(&fleet, &record);
    assert_eq!(fleet.load_status(load).received, (1, 0, 0));
    let trigger = fleet.trigger(load, "low_cycles");
    assert!(!trigger.armed, "fired, waiting for recovery: {trigger:?}");
}

/// Asserts that `record` is a low-memory event for `metric` at or over `threshold`, delivered and
/// handled by the target (see [`assert_handled_by_load`]).
fn assert_low_memory_handled(
    fleet: &Fleet,
    record: &EventRecord,
    metric: MemoryMetric,
    threshold: u64,
) {
    let HookEvent::LowMemory(e) = &record.event else {
        panic!("not a low-memory event: {record:?}")
    };
    assert_eq!((e.metric, e.threshold), (metric, threshold));
    assert!(e.value >= threshold, "{e:?}");
    assert_handled_by_load(fleet, record);
}

#[test]
fn on_low_memory_reaches_the_target_for_heap_and_for_stable_memory() {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    let status = fleet.load_status(load);
    let heap_threshold = status.heap_bytes + 4 * 1024 * 1024;
    let stable_threshold = status.stable_bytes + 8 * 1024 * 1024;
    fleet.register(RegisterArgs {
        memory: Some(MemoryThresholds {
            heap_bytes: Some(heap_threshold),
            stable_bytes: Some(stable_threshold),
            ..Default::default()
        }),
        ..Fleet::register_args(load)
    });
    fleet.run_for(20, 5);
    assert!(fleet.events(Some(load)).is_empty());

    let grown: Result<u64, String> = fleet.update(load, "grow_heap", (6u64 * 1024 * 1024,));
    grown.unwrap();
    fleet.run_until(90, 5, "heap on_low_memory delivered", |f| {
        f.delivered(load, EventKind::LowMemory).is_some()
    });
    let heap = fleet.delivered(load, EventKind::LowMemory).unwrap();
    assert_low_memory_handled(&fleet, &heap, MemoryMetric::Heap, heap_threshold);

    let grown: Result<u64, String> = fleet.update(load, "grow_stable", (10u64 * 1024 * 1024,));
    grown.unwrap();
    fleet.run_until(90, 5, "stable on_low_memory delivered", |f| {
        f.events_of(load, EventKind::LowMemory).len() == 2
            && f.events_of(load, EventKind::LowMemory)
                .iter()
                .all(|r| matches!(r.delivery, DeliveryStatus::Delivered { .. }))
    });
    let stable = fleet.events_of(load, EventKind::LowMemory).pop().unwrap();
    assert_low_memory_handled(&fleet, &stable, MemoryMetric::Stable, stable_threshold);
    assert_eq!(fleet.load_status(load).received, (0, 2, 0));
}

#[test]
fn on_error_reaches_the_worker_after_its_timer_traps() {
    let fleet = Fleet::new(fast_config());
    let worker = fleet.add_worker();
    fleet.register(Fleet::register_args(worker));
    let keys: Vec<u64> = fleet.update(worker, "submit", (vec![1666u64],));

    fleet.run_until(60, 2, "on_error delivered to the worker", |f| {
        f.delivered(worker, EventKind::Error).is_some()
    });
    let discarded: bool = fleet.update(worker, "discard", (keys[0],));
    assert!(discarded);
    let record = fleet.delivered(worker, EventKind::Error).unwrap();
    let HookEvent::Error(e) = &record.event else {
        unreachable!()
    };
    assert_eq!(e.source, ErrorSource::Timer("process".into()));
    assert_eq!(e.origin, EventOrigin::Monitor(fleet.monitor));
    assert_eq!(e.reject_code, Some(5), "a trap: {e:?}");
    assert!(e.message.contains("1666"), "{}", e.message);
    assert!(fleet.stats().errors_reported >= 1);

    // Let the events of traps reported before the discard drain, then compare both sides.
    fleet.run_for(30, 5);
    let stats = fleet.worker_stats(worker);
    let delivered = fleet
        .events_of(worker, EventKind::Error)
        .iter()
        .filter(|r| matches!(r.delivery, DeliveryStatus::Delivered { .. }))
        .count() as u64;
    assert!(delivered >= 1);
    assert_eq!(
        stats.ledger.errors_seen, delivered,
        "the worker handled each delivered on_error once"
    );
    assert!(
        stats
            .ledger
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("1666"),
        "{:?}",
        stats.ledger.last_error
    );
}

/// Brings the load canister to `balance` and has the monitor poll it.
fn observe_balance(fleet: &Fleet, load: Principal, balance: u128) {
    fleet.set_balance(load, balance);
    fleet.poll_now(load);
    // Room for a delivery the poll may have started.
    fleet.run_for(4, 1);
}

#[test]
fn hysteresis_stops_repeats_until_the_balance_recovers_past_the_margin() {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    let threshold = 4 * T;
    fleet.set_balance(load, threshold + T / 2);
    fleet.register(RegisterArgs {
        cycles_threshold: Some(threshold),
        hysteresis_percent: Some(10),
        ..Fleet::register_args(load)
    });
    let low_cycles = |f: &Fleet| f.events_of(load, EventKind::LowCycles).len();

    observe_balance(&fleet, load, threshold - T / 10);
    assert_eq!(low_cycles(&fleet), 1, "fires on crossing");
    // Still low, and lower: quiet.
    observe_balance(&fleet, load, threshold - T / 5);
    observe_balance(&fleet, load, threshold - T / 4);
    assert_eq!(low_cycles(&fleet), 1, "no repeat while still low");
    // Back above the threshold but within the 10 % margin, then down again: still quiet.
    observe_balance(&fleet, load, threshold + threshold / 20);
    let sample = fleet.canister_state(load).last_sample.unwrap();
    assert!(sample.cycles > threshold && sample.cycles < threshold + threshold / 10);
    assert!(!fleet.trigger(load, "low_cycles").armed);
    observe_balance(&fleet, load, threshold - T / 10);
    assert_eq!(
        low_cycles(&fleet),
        1,
        "hovering at the threshold does not storm"
    );
    // Past the margin: re-armed, and the next crossing fires again.
    observe_balance(&fleet, load, threshold + threshold / 5);
    assert!(fleet.trigger(load, "low_cycles").armed);
    observe_balance(&fleet, load, threshold - T / 10);
    assert_eq!(low_cycles(&fleet), 2, "fires again after recovering");

    fleet.run_until(30, 2, "both events delivered", |f| {
        f.events_of(load, EventKind::LowCycles)
            .iter()
            .all(|r| matches!(r.delivery, DeliveryStatus::Delivered { .. }))
    });
    let monitor_side: Vec<u64> = fleet
        .events_of(load, EventKind::LowCycles)
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(fleet.load_received_ids(load), monitor_side);
    assert!(fleet.canister_state(load).polls >= 8);
}

#[test]
fn adaptive_polling_watches_a_burning_canister_more_often_than_an_idle_one() {
    let fleet = Fleet::new(fast_config());
    let burning = fleet.add_load();
    let idle = fleet.add_load();
    let poll = PollBounds {
        min_interval_seconds: 5,
        max_interval_seconds: 300,
    };
    let threshold = 3 * T;
    for load in [burning, idle] {
        fleet.set_balance(load, threshold + 2 * T);
        fleet.register(RegisterArgs {
            cycles_threshold: Some(threshold),
            poll: Some(poll),
            ..Fleet::register_args(load)
        });
    }
    // 40 B cycles every 5 s: 480 B a minute, crossing the threshold after about 4 minutes.
    let mut crossed_at = None;
    for _ in 0..(6 * 60 / 5) {
        fleet.burn(burning, 40_000_000_000);
        if crossed_at.is_none() && fleet.pic.cycle_balance(burning) < threshold {
            crossed_at = Some(fleet.now_ns());
        }
        fleet.step(5);
    }
    let crossed_at = crossed_at.expect("the burning canister crossed its threshold");
    let (hot, cold) = (fleet.canister_state(burning), fleet.canister_state(idle));
    assert!(
        hot.polls >= 3 * cold.polls,
        "burning polled {} times, idle {} times",
        hot.polls,
        cold.polls
    );
    assert!(cold.polls <= 4, "idle: {cold:?}");
    let idle_interval = cold.next_poll_ns - cold.last_sample.as_ref().unwrap().at_ns;
    assert_eq!(
        idle_interval,
        300 * NS,
        "an idle canister waits the maximum interval"
    );
    assert!(hot.burn_rate_cycles_per_day > 100.0 * T as f64, "{hot:?}");

    let event = fleet
        .delivered(burning, EventKind::LowCycles)
        .expect("the burn was caught");
    let HookEvent::LowCycles(e) = &event.event else {
        unreachable!()
    };
    let latency = (e.observed_at_ns - crossed_at) / NS;
    assert!(latency <= 10, "crossing seen {latency} s after it happened");
    assert!(fleet.events(Some(idle)).is_empty());
}
