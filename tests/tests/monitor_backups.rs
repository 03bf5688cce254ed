//! Backups and restores by the monitor, against the emulator: a daily backup taken in its UTC
//! window and not outside it, with retention; retention at the snapshot limit keeping the
//! snapshots taken by hand and by the upgrade pipeline; a stopped backup of a canister waiting on
//! a hanging callee (skipped and reported, the canister keeps running); a restore that brings
//! back the exact state and module; a restore onto a clone; the monitor upgraded in the middle
//! of a backup; and requests refused with typed errors.

use candid::Principal;
use canister_hooks_testkit::canister_wasm;
use canister_hooks_testkit::examples::load_release;
use canister_hooks_testkit::monitor::{
    BackupMode, BackupPolicy, BackupWindow, BackupsView, DeliveryStatus, ErrorSource, EventKind,
    HookEvent, OperationError, OperationKind, OperationView, Outcome, PipelineTimeouts,
    RegisterArgs, RegistrationError, RestoreArgs, StepKind, StepOn, UpgradeArgs,
};
use canister_hooks_testkit::wasm::tagged_release;
use integration_tests::fleet::{fast_config, Fleet, HookMode};
use integration_tests::lifecycle::{
    self, aborted_at, assert_serving, hang_a_call, module_hash, snapshot_ids, state, status,
    upgrade_monitor, wait_for_outcome, write,
};
use integration_tests::sdk;

const NS: u64 = 1_000_000_000;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

fn busy_load() -> (Fleet, Principal) {
    lifecycle::busy_load(Fleet::new(fast_config()))
}

fn daily(start_hour: u8, keep: u8) -> BackupPolicy {
    BackupPolicy {
        interval_hours: 24,
        window: Some(BackupWindow {
            start_hour,
            end_hour: start_hour + 1,
        }),
        keep,
        mode: BackupMode::Stopped,
        replace_any: false,
    }
}

fn backups(fleet: &Fleet, canister: Principal) -> BackupsView {
    fleet.watcher().backups(canister).unwrap()
}

fn backup_now(fleet: &Fleet, canister: Principal) -> OperationView {
    fleet
        .watcher()
        .start_backup(canister, None)
        .unwrap()
        .unwrap_or_else(|e| panic!("start_backup: {e}"));
    wait_for_outcome(fleet, canister)
}

fn restore(fleet: &Fleet, args: RestoreArgs) -> OperationView {
    let canister = args.canister_id;
    fleet
        .watcher()
        .start_restore(args)
        .unwrap()
        .unwrap_or_else(|e| panic!("start_restore: {e}"));
    wait_for_outcome(fleet, canister)
}

fn restore_args(canister: Principal, snapshot_id: Vec<u8>, onto: Option<Principal>) -> RestoreArgs {
    RestoreArgs {
        canister_id: canister,
        snapshot_id,
        onto,
        reason: None,
        timeouts: None,
    }
}

/// Steps `step` seconds at a time until the emulated clock reads `hour` o'clock UTC.
fn run_to_hour(fleet: &Fleet, hour: u64, step: u64) {
    let target =
        |now: u64| now / NS % DAY >= hour * HOUR && now / NS % DAY < hour * HOUR + step + 1;
    while !target(fleet.now_ns()) {
        fleet.step(step);
    }
}

fn hour_of(ns: u64) -> f64 {
    (ns / NS % DAY) as f64 / HOUR as f64
}

#[test]
fn a_daily_backup_runs_in_its_window_only_and_keeps_the_newest() {
    let (fleet, load) = busy_load();
    let start_hour = (fleet.now_ns() / NS % DAY / HOUR + 3) % 24;
    let start_hour = start_hour.min(20) as u8;
    let next = fleet
        .watcher()
        .set_backup_policy(load, Some(daily(start_hour, 1)))
        .unwrap()
        .unwrap()
        .expect("a first backup is scheduled");
    let h = hour_of(next);
    assert!(
        (f64::from(start_hour)..f64::from(start_hour) + 0.75).contains(&h),
        "due at {h} h"
    );

    // Up to the window: no backup.
    run_to_hour(&fleet, u64::from(start_hour), 600);
    assert!(
        backups(&fleet, load).backups.is_empty(),
        "nothing before the window"
    );
    assert_eq!(status(&fleet, load), None);
    // Through the window: one backup, taken inside it, stopped around the snapshot.
    run_to_hour(&fleet, u64::from(start_hour) + 1, 300);
    let first = status(&fleet, load).expect("the backup ran");
    assert_eq!(first.outcome, Some(Outcome::Succeeded), "{first:#?}");
    assert_eq!(
        first.kind,
        OperationKind::Backup {
            mode: BackupMode::Stopped,
            replace_any: false,
            keep: 1
        }
    );
    assert!(first.steps.iter().any(|s| s.step.kind == StepKind::Stop));
    let taken = hour_of(first.started_at_ns);
    assert!(
        (f64::from(start_hour)..f64::from(start_hour) + 1.0).contains(&taken),
        "at {taken} h"
    );
    assert_eq!(first.started_by, fleet.monitor, "scheduled by the monitor");
    assert_serving(&fleet, load);
    let view = backups(&fleet, load);
    assert_eq!(view.backups.len(), 1);
    assert_eq!(Some(view.backups[0].snapshot_id.clone()), first.snapshot_id);
    assert!(
        view.snapshot_bytes > 0 && view.snapshot_cycles_per_day > 0,
        "{view:?}"
    );
    let next = view.next_at_ns.expect("the next one is scheduled");
    let days = |ns: u64| ns / NS / DAY;
    assert_eq!(days(next), days(first.started_at_ns) + 1, "the next day");
    assert_eq!(hour_of(next) as u8, start_hour, "in the window");

    // A day later: a second backup; keeping one, the first is deleted.
    fleet.run_for(DAY, 600);
    let second = status(&fleet, load).unwrap();
    assert!(second.id > first.id && second.outcome == Some(Outcome::Succeeded));
    assert_eq!(
        second.deleted_snapshot_ids,
        [first.snapshot_id.clone().unwrap()]
    );
    assert_eq!(
        snapshot_ids(&fleet, load),
        [second.snapshot_id.clone().unwrap()]
    );
    fleet.assert_metrics_contain(
        "monitor_operations_total{kind=\"backup\",outcome=\"succeeded\"} 2",
    );
}

#[test]
fn at_the_snapshot_limit_backups_replace_their_own_and_keep_hand_made_and_upgrade_snapshots() {
    let (fleet, load) = busy_load();
    // Eight snapshots by hand and one by the upgrade pipeline.
    fleet.pic.stop_canister(load, Some(fleet.admin)).unwrap();
    for _ in 0..8 {
        fleet
            .pic
            .take_canister_snapshot(load, Some(fleet.admin), None)
            .unwrap();
    }
    fleet.pic.start_canister(load, Some(fleet.admin)).unwrap();
    let wasm = tagged_release(&canister_wasm("example-load"), "v2");
    let (wasm_module_hash, chunk_hashes) = fleet.watcher().upload_module(load, &wasm).unwrap();
    fleet
        .watcher()
        .start_upgrade(UpgradeArgs::new(
            load,
            wasm_module_hash,
            chunk_hashes,
            load_release(Some(fleet.monitor), None),
        ))
        .unwrap()
        .unwrap();
    let upgrade = wait_for_outcome(&fleet, load);
    assert_eq!(upgrade.outcome, Some(Outcome::Succeeded));
    let kept_before = snapshot_ids(&fleet, load);
    assert_eq!(kept_before.len(), 9);

    fleet
        .watcher()
        .set_backup_policy(load, Some(daily(3, 2)))
        .unwrap()
        .unwrap();
    let first = backup_now(&fleet, load);
    assert_eq!(first.outcome, Some(Outcome::Succeeded), "{first:#?}");
    assert_eq!(snapshot_ids(&fleet, load).len(), 10, "at the limit");
    let second = backup_now(&fleet, load);
    assert_eq!(second.outcome, Some(Outcome::Succeeded), "{second:#?}");
    assert_eq!(
        second.replaced_snapshot_id, first.snapshot_id,
        "its own backup, replaced"
    );
    let mut expected = kept_before.clone();
    expected.push(second.snapshot_id.clone().unwrap());
    expected.sort();
    assert_eq!(
        snapshot_ids(&fleet, load),
        expected,
        "hand-made and upgrade snapshots kept"
    );
    assert_serving(&fleet, load);
}

#[test]
fn a_stopped_backup_of_a_canister_waiting_on_a_hanging_call_is_skipped_and_reported() {
    let (fleet, load) = busy_load();
    let (hanging, _) = hang_a_call(&fleet, load, "call_out");
    fleet
        .watcher()
        .set_backup_policy(load, Some(daily(3, 2)))
        .unwrap()
        .unwrap();
    let skipped = backup_now(&fleet, load);
    let reason = aborted_at(&skipped, StepKind::Drain);
    assert!(reason.contains("await responses"), "{reason}");
    assert_eq!(skipped.snapshot_id, None);
    assert!(snapshot_ids(&fleet, load).is_empty(), "no snapshot");
    assert_serving(&fleet, load);
    let failure = backups(&fleet, load)
        .last_failure
        .expect("the failure stays visible");
    assert!(failure.contains("aborted at drain calls"), "{failure}");
    fleet.run_until(60, 1, "the failure delivered to on_error", |f| {
        f.events_of(load, EventKind::Error).iter().any(|r| {
            matches!(&r.event, HookEvent::Error(e) if e.source == ErrorSource::System("backup_failed".into()))
                && matches!(r.delivery, DeliveryStatus::Delivered { .. })
        })
    });
    // Once the call is answered, the next backup succeeds and clears the failure.
    fleet.set_hook_mode(hanging, HookMode::Normal);
    fleet.run_until(60, 1, "the call completes", |_| {
        sdk::status(&fleet.pic, load).calls_in_flight.is_empty()
    });
    assert_eq!(backup_now(&fleet, load).outcome, Some(Outcome::Succeeded));
    assert_eq!(backups(&fleet, load).last_failure, None);
}

#[test]
fn a_restore_brings_back_the_exact_state_and_module_and_a_clone_gets_it_without_touching_the_target(
) {
    let (fleet, load) = busy_load();
    let module = module_hash(&fleet, load);
    let backed_up = state(&fleet, load);
    let backup = backup_now(&fleet, load);
    assert_eq!(backup.outcome, Some(Outcome::Succeeded));
    let snapshot = backup.snapshot_id.unwrap();
    // A bad write after the backup.
    write(&fleet, load, 1 << 20);
    let damaged = state(&fleet, load);
    assert_ne!(damaged, backed_up);

    // Onto a clone: the clone holds the backed-up state, the target keeps its own.
    let clone = fleet.add_spare();
    let to_clone = restore(&fleet, restore_args(load, snapshot.clone(), Some(clone)));
    assert_eq!(to_clone.outcome, Some(Outcome::Succeeded), "{to_clone:#?}");
    assert!(to_clone.steps.iter().all(|s| s.step.on == StepOn::Copy));
    assert_serving(&fleet, clone);
    assert_eq!(state(&fleet, clone), backed_up);
    assert_eq!(module_hash(&fleet, clone), module);
    assert_eq!(state(&fleet, load), damaged, "the target is not touched");

    // Onto the target: the state before the bad write is back.
    let restored = restore(&fleet, restore_args(load, snapshot, None));
    assert_eq!(restored.outcome, Some(Outcome::Succeeded), "{restored:#?}");
    assert_serving(&fleet, load);
    assert_eq!(state(&fleet, load), backed_up);
    assert_eq!(module_hash(&fleet, load), module);
}

#[test]
fn a_backup_resumes_after_the_monitor_is_upgraded_in_its_middle_and_leaks_nothing() {
    let (fleet, load) = busy_load();
    let (hanging, _) = hang_a_call(&fleet, load, "call_out");
    fleet
        .watcher()
        .start_backup(load, Some(BackupMode::Stopped))
        .unwrap()
        .unwrap();
    fleet.run_until(30, 1, "the backup waits in the drain step", |f| {
        status(f, load)
            .and_then(|o| o.running)
            .is_some_and(|r| r.step.kind == StepKind::Drain)
    });
    upgrade_monitor(&fleet);
    fleet.set_hook_mode(hanging, HookMode::Normal);
    let done = wait_for_outcome(&fleet, load);
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    assert_eq!(
        snapshot_ids(&fleet, load),
        [done.snapshot_id.unwrap()],
        "no snapshot leaked"
    );
    assert_serving(&fleet, load);
}

#[test]
fn strangers_and_bad_policies_get_typed_errors_and_change_nothing() {
    let (fleet, load) = busy_load();
    let relay = fleet.add_relay();
    let policy: Result<Option<u64>, OperationError> = fleet.call_candid_via(
        relay,
        fleet.monitor,
        "set_backup_policy",
        (load, Some(daily(3, 2))),
    );
    assert_eq!(policy, Err(OperationError::NotAuthorized { caller: relay }));
    let restored: Result<OperationView, OperationError> = fleet.call_candid_via(
        relay,
        fleet.monitor,
        "start_restore",
        (restore_args(load, vec![1], None),),
    );
    assert_eq!(
        restored,
        Err(OperationError::NotAuthorized { caller: relay })
    );
    let backed: Result<OperationView, OperationError> = fleet.call_candid_via(
        relay,
        fleet.monitor,
        "start_backup",
        (load, None::<BackupMode>),
    );
    assert_eq!(backed, Err(OperationError::NotAuthorized { caller: relay }));
    let stranger = Principal::self_authenticating(b"a stranger");
    assert!(fleet
        .update_as::<_, Result<Option<u64>, OperationError>>(
            fleet.monitor,
            stranger,
            "set_backup_policy",
            (load, Some(daily(3, 2)))
        )
        .is_err());
    assert_eq!(backups(&fleet, load).policy, None, "nothing changed");
    assert_eq!(status(&fleet, load), None);

    let field = |policy: BackupPolicy| match fleet
        .watcher()
        .set_backup_policy(load, Some(policy))
        .unwrap()
    {
        Err(OperationError::InvalidArgument { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(BackupPolicy {
            window: Some(BackupWindow {
                start_hour: 3,
                end_hour: 25
            }),
            ..daily(3, 2)
        }),
        "window"
    );
    assert_eq!(field(daily(3, 10)), "keep");
    assert_eq!(
        field(BackupPolicy {
            interval_hours: 36,
            ..daily(3, 2)
        }),
        "interval_hours"
    );
    assert_eq!(backups(&fleet, load).policy, None);
    let unknown = fleet
        .watcher()
        .start_restore(restore_args(load, vec![9; 8], None))
        .unwrap()
        .unwrap();
    let failed = wait_for_outcome(&fleet, load);
    assert_eq!(unknown.id, failed.id);
    aborted_at(&failed, StepKind::LoadSnapshot);
    assert_serving(&fleet, load);
    let timeouts = RestoreArgs {
        timeouts: Some(PipelineTimeouts {
            stop_seconds: 0,
            ..Default::default()
        }),
        ..restore_args(load, vec![1], None)
    };
    assert!(matches!(
        fleet.watcher().start_restore(timeouts).unwrap(),
        Err(OperationError::InvalidArgument { field, .. }) if field == "timeouts.stop_seconds"
    ));
}

#[test]
fn a_backup_policy_can_be_set_with_the_registration_of_a_canister_the_monitor_controls() {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    let registered = fleet.watcher().register(RegisterArgs {
        backup: Some(daily(3, 2)),
        ..Fleet::register_args(load)
    });
    assert!(matches!(registered, Ok(Ok(_))), "{registered:?}");
    let view = backups(&fleet, load);
    assert_eq!(view.policy, Some(daily(3, 2)));
    assert!(view.next_at_ns.is_some(), "scheduled");

    // A canister the monitor only reads (public status) cannot be backed up: refused, and
    // nothing is registered.
    let watched_only = fleet.add_relay();
    fleet.make_status_public(watched_only);
    let refused = fleet
        .watcher()
        .register(RegisterArgs {
            backup: Some(daily(3, 2)),
            ..Fleet::register_args(watched_only)
        })
        .unwrap();
    let Err(RegistrationError::NotController {
        field, canister_id, ..
    }) = refused
    else {
        panic!("{refused:?}")
    };
    assert_eq!((field.as_str(), canister_id), ("backup", watched_only));
    assert!(fleet
        .watcher()
        .canister_state(watched_only)
        .unwrap()
        .is_none());
}
