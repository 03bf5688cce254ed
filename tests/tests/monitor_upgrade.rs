//! The monitor can be stopped and upgraded while a target never replies to its hook call: only
//! bounded-wait calls are made, so the stop completes once the call times out. After the upgrade
//! the registry, the event history and the undelivered events are intact, and the events are
//! delivered, in order, once the target answers again.

use candid::Principal;
use canister_hooks_testkit::monitor::{
    init_with_config, ConfigUpdate, DeliveryStatus, EventKind, MemoryThresholds, RegisterArgs,
};
use canister_hooks_testkit::Ic;
use ic_management_canister_types::CanisterStatusType;
use integration_tests::fleet::{fast_config, Fleet, HookMode, T};
use integration_tests::lifecycle::upgrade_stopped_monitor;

const THRESHOLD: u128 = 4 * T;
const CALL_TIMEOUT_SECONDS: u64 = 10;

fn register(fleet: &Fleet, load: Principal, memory: Option<MemoryThresholds>) {
    fleet.set_balance(load, THRESHOLD + T / 2);
    fleet.register(RegisterArgs {
        cycles_threshold: Some(THRESHOLD),
        memory,
        ..Fleet::register_args(load)
    });
}

fn pending(fleet: &Fleet, canister: Principal) -> Vec<u64> {
    let mut ids: Vec<u64> = fleet
        .events(Some(canister))
        .iter()
        .filter(|e| e.delivery == DeliveryStatus::Pending)
        .map(|e| e.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_monitor_stops_and_upgrades_while_a_target_never_replies_and_loses_nothing() {
    let fleet = Fleet::new(ConfigUpdate {
        delivery_max_attempts: Some(10),
        ..fast_config()
    });
    let healthy = fleet.add_load();
    let slow = fleet.add_load();
    register(&fleet, healthy, None);
    let stable = fleet.load_status(slow).stable_bytes;
    register(
        &fleet,
        slow,
        Some(MemoryThresholds {
            stable_bytes: Some(stable + 1024 * 1024),
            ..Default::default()
        }),
    );

    // The slow target takes its low-cycles event and never answers; a low-memory event queues
    // behind it (one event at a time per target, in order).
    fleet.set_hook_mode(slow, HookMode::Slow(u32::MAX));
    fleet.burn(slow, T);
    fleet.run_until(60, 2, "a hook call in flight to the slow target", |f| {
        !f.load_received(slow).is_empty()
    });
    let grown: Result<u64, String> = fleet.update(slow, "grow_stable", (2u64 * 1024 * 1024,));
    grown.unwrap();
    fleet.poll_now(slow);
    let undelivered = pending(&fleet, slow);
    assert_eq!(undelivered.len(), 2, "{:?}", fleet.events(Some(slow)));
    assert_eq!(fleet.load_received_ids(slow), vec![undelivered[0]]);
    let registrations = fleet.registrations();
    let history = fleet.events(None);
    let stats = fleet.stats();

    // Stop: it waits for the hook call in flight, which the bounded wait ends.
    let stop = fleet.submit_management("stop_canister", fleet.monitor);
    fleet.step(2);
    assert!(
        fleet.pic.ingress_status(stop.clone()).is_none(),
        "the stop waits for the call in flight"
    );
    let waited = 2 + fleet.run_until(30, 2, "the monitor stopped", |f| {
        f.pic.ingress_status(stop.clone()).is_some()
    });
    fleet.pic.ingress_status(stop).unwrap().unwrap();
    assert!(
        waited <= CALL_TIMEOUT_SECONDS + 4,
        "stopped {waited} s after the stop was requested"
    );
    let status = Ic::canister_status(&fleet.pic, fleet.monitor, Some(fleet.admin)).unwrap();
    assert_eq!(status.status, CanisterStatusType::Stopped);

    // Upgrade (with a configuration change in the upgrade argument) and start again.
    upgrade_stopped_monitor(
        &fleet,
        init_with_config(ConfigUpdate {
            delivery_max_attempts: Some(12),
            ..Default::default()
        }),
    );

    assert_eq!(
        fleet.registrations(),
        registrations,
        "the registry is intact"
    );
    assert_eq!(fleet.events(None), history, "the event history is intact");
    assert_eq!(pending(&fleet, slow), undelivered);
    assert_eq!(fleet.canister_state(slow).pending_events, 2);
    let after = fleet.stats();
    assert_eq!(
        (
            after.registrations,
            after.events,
            after.outbox_pending,
            after.deliveries
        ),
        (
            stats.registrations,
            stats.events,
            stats.outbox_pending,
            stats.deliveries
        )
    );
    assert!(
        after.delivery_failures > stats.delivery_failures,
        "the timed-out call was recorded as a failed attempt"
    );
    let config: canister_hooks_testkit::monitor::Config =
        fleet.watcher().query("get_config", ()).unwrap();
    assert_eq!(config.delivery_max_attempts, 12);
    assert_eq!(config.call_timeout_seconds, CALL_TIMEOUT_SECONDS as u32);

    // The target answers again: both events are delivered, in order, each handled once.
    fleet.set_hook_mode(slow, HookMode::Normal);
    fleet.run_until(90, 2, "the undelivered events delivered", |f| {
        pending(f, slow).is_empty()
    });
    for id in &undelivered {
        assert!(
            matches!(fleet.event(*id).delivery, DeliveryStatus::Delivered { .. }),
            "{:?}",
            fleet.event(*id)
        );
    }
    assert_eq!(fleet.load_received_ids(slow), undelivered);
    assert!(fleet.dead_letters(None).is_empty());

    // Polling was re-armed by the upgrade: a new burn is caught and delivered.
    fleet.burn(healthy, T);
    fleet.run_until(90, 5, "the healthy target's hook after the upgrade", |f| {
        f.delivered(healthy, EventKind::LowCycles).is_some()
    });
    assert_eq!(fleet.load_status(healthy).received, (1, 0, 0));
}
