//! Watching without control and catching unexpected changes, against the emulator: a canister
//! that shares its status with the monitor (but not control) is watched, topped up and gets its
//! hooks, while upgrades and backups of it are refused with a typed error, and its visibility
//! revoked is one fault; a target that requires cycles on incoming calls gets its hooks with them
//! attached, out of its top-up budget; a module or controllers change made outside the monitor
//! raises exactly one event, one an admin expected none, and one made by the monitor's own
//! upgrade pipeline none.

use candid::{Nat, Principal};
use canister_hooks_testkit::examples::load_release;
use canister_hooks_testkit::monitor::{
    BackupMode, ErrorSource, EventKind, ExpectChangeArgs, HookEvent, OperationError, Outcome,
    RegisterArgs, TopUpPolicy, UpgradeArgs, WatchAccess,
};
use canister_hooks_testkit::wasm::{sha256, tagged_release};
use canister_hooks_testkit::{canister_wasm, Ic};
use ic_management_canister_types::{CanisterSettings, StatusVisibility};
use integration_tests::fleet::{fast_config, Fleet, T};
use integration_tests::lifecycle::{self, wait_for_outcome};
use serde_bytes::ByteBuf;

/// Cycles the target of the incoming-cycles test requires on each call.
const MINIMUM_INCOMING: u128 = 1_000_000;

/// The `System` faults the monitor raised for `canister`, oldest first: name and message.
fn faults(fleet: &Fleet, canister: Principal) -> Vec<(String, String)> {
    fleet
        .events_of(canister, EventKind::Error)
        .into_iter()
        .filter_map(|r| match r.event {
            HookEvent::Error(e) => match e.source {
                ErrorSource::System(name) => Some((name, e.message)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn named<'a>(faults: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    faults
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, m)| m.as_str())
        .collect()
}

/// A load canister controlled by the operator only, whose hooks the monitor may call and whose
/// status it may read (`status_visibility = allowed_viewers [monitor]`).
fn shared_with_the_monitor(fleet: &Fleet) -> Principal {
    let load = fleet.add_load_calling_hooks_from(fleet.monitor);
    fleet.update_settings(
        load,
        CanisterSettings {
            status_visibility: Some(StatusVisibility::AllowedViewers(vec![fleet.monitor])),
            ..Default::default()
        },
    );
    load
}

/// Registration of `canister` with a cycles threshold `T` over its balance (the low-cycles hook
/// fires at once) and `top_up`.
fn low_with_top_up(
    fleet: &Fleet,
    canister: Principal,
    top_up: Option<TopUpPolicy>,
) -> RegisterArgs {
    RegisterArgs {
        cycles_threshold: Some(fleet.pic.cycle_balance(canister) + T),
        top_up,
        ..Fleet::register_args(canister)
    }
}

/// Polls `canister` now and runs a few seconds, whether the poll succeeds or not.
fn poll(fleet: &Fleet, canister: Principal) {
    fleet
        .watcher()
        .poll_now(canister)
        .unwrap()
        .unwrap_or_else(|e| panic!("poll_now: {e}"));
    fleet.run_for(6, 1);
}

#[test]
fn a_canister_sharing_only_its_status_is_watched_but_not_operated_and_a_revoked_view_is_one_fault()
{
    let fleet = Fleet::new(fast_config());
    let load = shared_with_the_monitor(&fleet);
    fleet.register(low_with_top_up(
        &fleet,
        load,
        Some(TopUpPolicy {
            amount: T / 10,
            daily_budget: T,
        }),
    ));
    fleet.run_until(60, 1, "the low-cycles hook handled", |f| {
        f.load_received(load)
            .iter()
            .any(|e| e.kind() == EventKind::LowCycles)
    });
    let state = fleet.canister_state(load);
    assert_eq!(state.watching.access, WatchAccess::StatusViewer);
    assert_eq!(state.watching.controllers, [fleet.admin]);
    assert_eq!(
        state.topped_up_total,
        T / 10,
        "deposit_cycles needs no control"
    );

    // What needs control is refused, naming why.
    let not_controller = Err(OperationError::NotController {
        canister_id: load,
        controllers: vec![fleet.admin],
    });
    let upgrade = UpgradeArgs::new(load, vec![1; 32], vec![vec![1; 32]], vec![]);
    assert_eq!(
        fleet.watcher().start_upgrade(upgrade).unwrap(),
        not_controller
    );
    assert_eq!(
        fleet
            .watcher()
            .start_backup(load, Some(BackupMode::Running))
            .unwrap(),
        not_controller
    );

    // The operator revokes the monitor's view: one fault, however often it polls.
    fleet.update_settings(
        load,
        CanisterSettings {
            status_visibility: Some(StatusVisibility::Controllers),
            ..Default::default()
        },
    );
    poll(&fleet, load);
    fleet.run_for(300, 10);
    let f = faults(&fleet, load);
    assert_eq!(named(&f, "status_access_lost").len(), 1, "{f:#?}");
    assert!(named(&f, "status_unreadable").is_empty(), "{f:#?}");
    assert!(
        named(&f, "status_access_lost")[0].contains("status_visibility"),
        "the fault says what to do: {f:#?}"
    );
    let state = fleet.canister_state(load);
    assert_eq!(state.watching.access, WatchAccess::Lost);
    assert!(state.consecutive_failures >= 2, "{state:?}");

    // Shared again: the access is back.
    fleet.make_status_public(load);
    poll(&fleet, load);
    fleet.run_until(120, 5, "the status read again", |f| {
        f.canister_state(load).watching.access == WatchAccess::StatusViewer
    });
}

#[test]
fn a_target_requiring_incoming_cycles_gets_its_hooks_with_them_out_of_its_budget() {
    let fleet = Fleet::new(fast_config());
    let requiring = MINIMUM_INCOMING;
    let settings = || CanisterSettings {
        minimum_incoming_canister_call_cycles: Some(Nat::from(requiring)),
        ..Default::default()
    };
    let paid = fleet.add_load();
    fleet.update_settings(paid, settings());
    fleet.register(low_with_top_up(
        &fleet,
        paid,
        Some(TopUpPolicy {
            amount: T / 10,
            daily_budget: T,
        }),
    ));
    fleet.run_until(60, 1, "the low-cycles hook handled", |f| {
        !f.load_received(paid).is_empty()
    });
    let state = fleet.canister_state(paid);
    assert_eq!(state.watching.minimum_incoming_call_cycles, requiring);
    assert_eq!(state.watching.hook_cycles_total, requiring);
    assert_eq!(
        state.topped_up_today,
        T / 10 + requiring,
        "the budget counts the deposit and the hook's cycles"
    );
    fleet.assert_metrics_contain(&format!(
        "canister_hook_cycles_total{{canister=\"{paid}\",label=\"target {paid}\"}} {requiring}"
    ));

    // Without a top-up budget the hook is not called, and the dead letter says why.
    let unpaid = fleet.add_load();
    fleet.update_settings(unpaid, settings());
    fleet.register(low_with_top_up(&fleet, unpaid, None));
    fleet.run_until(120, 2, "the hook dead-lettered", |f| {
        !f.dead_letters(Some(unpaid)).is_empty()
    });
    let dead = fleet.dead_letters(Some(unpaid));
    assert!(dead[0].reason.contains("no top_up budget"), "{dead:?}");
    assert!(fleet.load_received(unpaid).is_empty());
}

#[test]
fn changes_outside_the_monitor_raise_one_event_each_and_expected_ones_none() {
    let (fleet, load) = lifecycle::busy_load(Fleet::new(fast_config()));
    fleet.poll_now(load);
    assert!(faults(&fleet, load).is_empty());

    // The operator installs another release by hand.
    let v2 = tagged_release(&canister_wasm("example-load"), "v2");
    Ic::upgrade_canister(
        &fleet.pic,
        load,
        v2.clone(),
        load_release(Some(fleet.monitor), None),
        Some(fleet.admin),
    )
    .unwrap();
    for _ in 0..3 {
        fleet.poll_now(load);
    }
    let f = faults(&fleet, load);
    let changed = named(&f, "module_hash_changed");
    assert_eq!(changed.len(), 1, "{f:#?}");
    let hex: String = sha256(&v2).iter().map(|b| format!("{b:02x}")).collect();
    assert!(changed[0].contains(&hex), "{}", changed[0]);
    assert!(
        changed[0].contains(&format!("by user {}", fleet.admin)),
        "{}",
        changed[0]
    );

    // An announced release raises nothing.
    let v3 = tagged_release(&canister_wasm("example-load"), "v3");
    let expected = fleet
        .watcher()
        .expect_change(ExpectChangeArgs {
            canister_id: load,
            module_hash: Some(ByteBuf::from(sha256(&v3))),
            controllers: None,
            within_seconds: 3_600,
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        fleet.canister_state(load).watching.expected_change,
        Some(expected)
    );
    Ic::upgrade_canister(
        &fleet.pic,
        load,
        v3,
        load_release(Some(fleet.monitor), None),
        Some(fleet.admin),
    )
    .unwrap();
    fleet.poll_now(load);
    assert_eq!(named(&faults(&fleet, load), "module_hash_changed").len(), 1);
    assert_eq!(fleet.canister_state(load).watching.expected_change, None);

    // The operator removes the monitor as controller, its status still public: one change, and
    // the monitor now only views it.
    fleet.make_status_public(load);
    Ic::set_controllers(&fleet.pic, load, Some(fleet.admin), vec![fleet.admin]).unwrap();
    fleet.poll_now(load);
    fleet.poll_now(load);
    let f = faults(&fleet, load);
    let changed = named(&f, "controllers_changed");
    assert_eq!(changed.len(), 1, "{f:#?}");
    assert!(
        changed[0].contains(&fleet.monitor.to_text()),
        "{}",
        changed[0]
    );
    assert_eq!(
        fleet.canister_state(load).watching.access,
        WatchAccess::StatusViewer
    );
    assert!(named(&f, "status_access_lost").is_empty());

    // A stranger may not announce changes.
    let relay = fleet.add_relay();
    let refused: Result<
        canister_hooks_testkit::monitor::ExpectedChange,
        canister_hooks_testkit::monitor::ExpectChangeError,
    > = fleet.call_candid_via(
        relay,
        fleet.monitor,
        "expect_change",
        (ExpectChangeArgs {
            canister_id: load,
            module_hash: None,
            controllers: Some(vec![relay]),
            within_seconds: 60,
        },),
    );
    assert!(
        matches!(
            refused,
            Err(canister_hooks_testkit::monitor::ExpectChangeError::NotAuthorized { .. })
        ),
        "{refused:?}"
    );
}

#[test]
fn an_upgrade_through_the_monitors_pipeline_raises_no_change_event() {
    let (fleet, load) = lifecycle::busy_load(Fleet::new(fast_config()));
    fleet.poll_now(load);
    let v2 = tagged_release(&canister_wasm("example-load"), "v2");
    let args = lifecycle::upgrade_args(
        &fleet,
        load,
        &v2,
        load_release(Some(fleet.monitor), None),
        None,
    );
    fleet.watcher().start_upgrade(args).unwrap().unwrap();
    let view = wait_for_outcome(&fleet, load);
    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    fleet.poll_now(load);
    fleet.poll_now(load);
    let state = fleet.canister_state(load);
    assert_eq!(state.watching.module_hash, Some(ByteBuf::from(sha256(&v2))));
    let f = faults(&fleet, load);
    assert!(named(&f, "module_hash_changed").is_empty(), "{f:#?}");
    assert_eq!(
        state.watching.expected_change, None,
        "consumed by the change"
    );
}
