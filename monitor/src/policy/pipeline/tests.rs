//! Every edge of the upgrade pipeline, driven by scripted replies.

use super::plan::{choose_replacement, main_plan};
use super::*;
use StepKind::*;

const S: u64 = 1_000_000_000;

fn target() -> Principal {
    Principal::from_slice(&[1; 10])
}
fn scratch() -> Principal {
    Principal::from_slice(&[2; 10])
}

fn module() -> Module {
    Module {
        hash: vec![7; 32],
        chunk_hashes: vec![vec![1; 32]],
        arg: vec![],
        skip_pre_upgrade: false,
    }
}

fn request() -> Request {
    Request {
        id: 1,
        target: target(),
        started_by: Principal::anonymous(),
        work: upgrade(None),
        sdk: true,
        health_query: None,
        replaceable: vec![],
        reason: "upgrade to v2".into(),
        timeouts: PipelineTimeouts::default(),
    }
}

fn upgrade(rehearsal: Option<Principal>) -> Work {
    Work::Upgrade {
        module: module(),
        rehearsal,
        keep_rehearsal: false,
    }
}

fn step(kind: StepKind, on: StepOn) -> Step {
    Step { kind, on }
}

fn snap(id: u8, at: u64) -> SnapshotInfo {
    SnapshotInfo {
        id: vec![id],
        taken_at_ns: at,
        bytes: 1024,
    }
}

/// Answers each call with `reply_for`, one call per emulated second, until the operation ends;
/// returns the steps called, in order, and the outcome.
fn drive(
    op: &mut Pipeline,
    mut reply_for: impl FnMut(&Action, &Pipeline) -> Reply,
) -> Vec<(Step, PipelinePhase)> {
    let mut now = op.started_ns;
    let mut called = vec![];
    for _ in 0..10_000 {
        match op.next(now) {
            Next::Finished(_) => return called,
            Next::WaitUntil(t) => now = t,
            Next::Call(a) => {
                let running = op.view().running.expect("a call belongs to a running step");
                called.push((running.step, running.phase));
                let reply = reply_for(&a, op);
                now += S;
                op.record(reply, now);
            }
        }
    }
    panic!("the operation never finished");
}

/// A canister that does everything asked at once.
fn healthy(a: &Action, _: &Pipeline) -> Reply {
    match a {
        Action::ListSnapshots { .. } => Reply::Snapshots(vec![snap(9, 1)]),
        Action::TakeSnapshot { .. } => Reply::Taken(snap(10, 5)),
        Action::ReadModuleHash { .. } => Reply::ModuleHash(Some(module().hash)),
        _ => Reply::Done,
    }
}

/// The calls made in `phase`.
fn in_phase(called: &[(Step, PipelinePhase)], phase: PipelinePhase) -> Vec<(Step, PipelinePhase)> {
    called
        .iter()
        .filter(|(_, p)| *p == phase)
        .copied()
        .collect()
}

fn kinds(called: &[(Step, PipelinePhase)]) -> Vec<StepKind> {
    called.iter().map(|(s, _)| s.kind).collect()
}

/// The request of an upgrade of a canister without the SDK (no maintenance, no drain).
fn plain_request() -> Request {
    Request {
        sdk: false,
        ..request()
    }
}

/// The reason of an operation that aborted at `at`; panics on any other outcome.
fn aborted_at(op: &Pipeline, at: StepKind) -> &str {
    match &op.outcome {
        Some(Outcome::Aborted { step, reason }) if *step == at => reason,
        other => panic!("expected an abort at {at:?}, got {other:?}"),
    }
}

/// A canister whose calls in flight never end, so the drain times out.
fn never_drains(a: &Action, o: &Pipeline) -> Reply {
    match a {
        Action::ReadInFlight { .. } => Reply::NotYet("1 call in flight to slow.wait".into()),
        _ => healthy(a, o),
    }
}

/// Checks that an operation whose drain timed out only left maintenance (the canister never
/// stopped, so nothing starts it) and never reached `skipped`.
fn assert_drain_abort_only_left_maintenance(called: &[(Step, PipelinePhase)], skipped: StepKind) {
    assert_eq!(
        kinds(&in_phase(called, PipelinePhase::Abort)),
        [LeaveMaintenance],
        "never stopped: nothing to start"
    );
    assert!(!kinds(called).contains(&skipped));
}

#[test]
fn plans_follow_the_request() {
    let up = request();
    let sdk_plan = [
        EnterMaintenance,
        Drain,
        Stop,
        ListSnapshots,
        TakeSnapshot,
        Install,
        VerifyModule,
        Start,
        AwaitReady,
        LeaveMaintenance,
    ];
    let plan_kinds = |r: &Request| main_plan(r).iter().map(|s| s.kind).collect::<Vec<_>>();
    assert_eq!(plan_kinds(&up), sdk_plan);
    // Without the SDK: no maintenance and no drain around the same steps.
    assert_eq!(plan_kinds(&plain_request()), sdk_plan[2..9]);
    let rehearsed = Request {
        work: upgrade(Some(scratch())),
        ..up
    };
    let copy_steps: Vec<_> = main_plan(&rehearsed)
        .into_iter()
        .filter(|s| s.on == StepOn::Copy)
        .map(|s| s.kind)
        .collect();
    assert_eq!(
        copy_steps,
        [Stop, LoadSnapshot, Install, Start, AwaitReady, Uninstall]
    );
}

#[test]
fn a_clean_upgrade_runs_every_step_once_and_counts_the_stopped_time() {
    let mut op = Pipeline::start(request(), 100 * S);
    let called = drive(&mut op, healthy);
    assert_eq!(
        kinds(&called),
        kinds(
            &main_plan(&op.request)
                .into_iter()
                .map(|s| (s, PipelinePhase::Main))
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
    assert_eq!(op.snapshot, Some(snap(10, 5)));
    // Stopped when Stop ended (t+3) until Start ended (t+8).
    assert_eq!(op.stopped_ns, 5 * S);
    assert!(op
        .history
        .iter()
        .all(|r| r.error.is_none() && r.attempts == 1));
}

#[test]
fn waiting_steps_repeat_after_the_poll_pause_until_met() {
    let mut op = Pipeline::start(request(), 0);
    let mut drains = 0;
    drive(&mut op, |a, o| match a {
        Action::ReadInFlight { .. } => {
            drains += 1;
            if drains < 4 {
                Reply::NotYet("2 calls in flight to ledger.transfer".into())
            } else {
                Reply::Done
            }
        }
        _ => healthy(a, o),
    });
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        op.history
            .iter()
            .find(|r| r.step.kind == Drain)
            .unwrap()
            .attempts,
        4
    );
}

#[test]
fn next_waits_until_the_retry_time() {
    let mut op = Pipeline::start(request(), 0);
    op.record(Reply::Done, S); // EnterMaintenance
    op.record(Reply::NotYet("1 call in flight".into()), 2 * S);
    assert_eq!(op.next(2 * S), Next::WaitUntil(3 * S));
    assert_eq!(
        op.next(3 * S),
        Next::Call(Action::ReadInFlight { canister: target() })
    );
}

#[test]
fn a_drain_that_times_out_aborts_and_leaves_maintenance_without_a_needless_start() {
    let mut op = Pipeline::start(request(), 0);
    let called = drive(&mut op, never_drains);
    let reason = aborted_at(&op, Drain);
    assert!(
        reason.contains("300 s") && reason.contains("slow.wait"),
        "{reason}"
    );
    assert_drain_abort_only_left_maintenance(&called, Install);
}

#[test]
fn a_stop_that_times_out_starts_the_canister_again() {
    let mut op = Pipeline::start(plain_request(), 0);
    let called = drive(&mut op, |a, o| match a {
        Action::Stop { .. } => {
            Reply::Unknown("stop_canister timed out: canister is stopping".into())
        }
        _ => healthy(a, o),
    });
    aborted_at(&op, Stop);
    assert_eq!(called.last().unwrap().0.kind, Start);
    assert_eq!(op.stopped_ns, 0, "it never stopped");
}

#[test]
fn a_trapping_post_upgrade_keeps_the_old_code_and_restarts_without_rollback() {
    let mut op = Pipeline::start(request(), 0);
    let called = drive(&mut op, |a, o| match a {
        Action::Install { .. } => Reply::Refused("Canister trapped in post_upgrade: boom".into()),
        _ => healthy(a, o),
    });
    assert!(aborted_at(&op, Install).contains("boom"));
    assert!(
        !kinds(&called).contains(&LoadSnapshot),
        "the install was atomic: nothing to roll back"
    );
    assert_eq!(
        &kinds(&called)[called.len() - 2..],
        [Start, LeaveMaintenance]
    );
}

#[test]
fn a_version_that_never_becomes_ready_is_rolled_back_from_the_snapshot() {
    let mut op = Pipeline::start(request(), 0);
    let mut rolled_back = false;
    let called = drive(&mut op, |a, o| match a {
        Action::CheckReady { .. } if !rolled_back => {
            Reply::NotYet("init task fetch_config pending".into())
        }
        Action::LoadSnapshot { canister, snapshot } => {
            assert_eq!((*canister, snapshot.clone()), (target(), vec![10]));
            rolled_back = true;
            Reply::Done
        }
        _ => healthy(a, o),
    });
    assert!(
        matches!(
            op.outcome,
            Some(Outcome::RolledBack {
                step: AwaitReady,
                ..
            })
        ),
        "{:?}",
        op.outcome
    );
    let rollback = kinds(&in_phase(&called, PipelinePhase::Rollback));
    assert_eq!(
        rollback,
        [Stop, LoadSnapshot, Start, AwaitReady, LeaveMaintenance]
    );
    // The failure was detected at the ready deadline; service was back 4 s later.
    let back_after_ns = op.view().recovery_ns().unwrap();
    assert!(back_after_ns <= 60 * S);
}

#[test]
fn an_unknown_install_or_a_wrong_module_rolls_back() {
    for bad in [
        (|a: &Action, o: &Pipeline| match a {
            Action::Install { .. } => Reply::Unknown("timed out".into()),
            _ => healthy(a, o),
        }) as fn(&Action, &Pipeline) -> Reply,
        |a, o| match a {
            Action::ReadModuleHash { .. } => Reply::ModuleHash(Some(vec![1; 32])),
            _ => healthy(a, o),
        },
    ] {
        let mut op = Pipeline::start(request(), 0);
        drive(&mut op, bad);
        assert!(
            matches!(op.outcome, Some(Outcome::RolledBack { .. })),
            "{:?}",
            op.outcome
        );
    }
}

#[test]
fn a_failed_rehearsal_leaves_the_target_untouched_and_clears_the_scratch_canister() {
    let req = Request {
        work: upgrade(Some(scratch())),
        ..request()
    };
    let mut op = Pipeline::start(req, 0);
    let called = drive(&mut op, |a, o| match a {
        Action::CheckReady { canister, .. } if *canister == scratch() => {
            Reply::Refused("init task failed".into())
        }
        _ => healthy(a, o),
    });
    aborted_at(&op, AwaitReady);
    assert!(!called
        .iter()
        .any(|(s, _)| *s == step(Install, StepOn::Target)));
    let recovery: Vec<Step> = in_phase(&called, PipelinePhase::Abort)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        recovery,
        [
            step(Uninstall, StepOn::Copy),
            step(Start, StepOn::Target),
            step(LeaveMaintenance, StepOn::Target)
        ]
    );
}

#[test]
fn the_rehearsal_installs_on_the_scratch_canister_from_the_targets_chunk_store() {
    let req = Request {
        work: upgrade(Some(scratch())),
        ..request()
    };
    let mut op = Pipeline::start(req, 0);
    let mut installs = vec![];
    drive(&mut op, |a, o| {
        if let Action::Install {
            canister, store, ..
        } = a
        {
            installs.push((*canister, *store));
        }
        healthy(a, o)
    });
    assert_eq!(installs, [(scratch(), target()), (target(), target())]);
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
}

#[test]
fn replacement_takes_the_oldest_replaceable_snapshot_only_at_the_limit() {
    let nine: Vec<_> = (0..9).map(|i| snap(i, 100 - i as u64)).collect();
    assert_eq!(choose_replacement(&nine, &[vec![1]]), Ok(None));
    let ten: Vec<_> = (0..10).map(|i| snap(i, 100 - i as u64)).collect();
    // Snapshots 3 and 5 are ours; 5 is older (taken at 95).
    assert_eq!(
        choose_replacement(&ten, &[vec![3], vec![5]]),
        Ok(Some(vec![5]))
    );
    let err = choose_replacement(&ten, &[vec![42]]).unwrap_err();
    assert!(
        err.contains("10 snapshots") && err.contains("by hand"),
        "{err}"
    );
}

#[test]
fn at_the_limit_with_only_hand_made_snapshots_the_upgrade_aborts_before_any_change() {
    let mut op = Pipeline::start(request(), 0);
    let called = drive(&mut op, |a, o| match a {
        Action::ListSnapshots { .. } => {
            Reply::Snapshots((0..10).map(|i| snap(i, i as u64)).collect())
        }
        _ => healthy(a, o),
    });
    aborted_at(&op, ListSnapshots);
    assert!(!kinds(&called).contains(&TakeSnapshot));
}

#[test]
fn an_unknown_snapshot_call_adopts_the_snapshot_it_made_instead_of_taking_another() {
    let mut op = Pipeline::start(request(), 0);
    let mut took = 0;
    let called = drive(&mut op, |a, o| match a {
        Action::TakeSnapshot { .. } => {
            took += 1;
            Reply::Unknown("timed out".into())
        }
        Action::ListSnapshots { .. } if took > 0 => Reply::Snapshots(vec![snap(9, 1), snap(11, 7)]),
        _ => healthy(a, o),
    });
    assert_eq!(took, 1, "no second snapshot");
    assert_eq!(op.snapshot, Some(snap(11, 7)));
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        kinds(&called)
            .iter()
            .filter(|k| **k == ListSnapshots)
            .count(),
        2
    );
}

#[test]
fn a_failed_recovery_step_is_reported_and_the_rest_of_the_recovery_still_runs() {
    let mut op = Pipeline::start(request(), 0);
    let called = drive(&mut op, |a, o| match a {
        Action::CheckReady { .. } => Reply::NotYet("never".into()),
        _ => healthy(a, o),
    });
    let Some(Outcome::NeedsOperator {
        step: AwaitReady,
        recovery_step: AwaitReady,
        ..
    }) = &op.outcome
    else {
        panic!("{:?}", op.outcome)
    };
    assert_eq!(
        called.last().unwrap().0.kind,
        LeaveMaintenance,
        "maintenance is left even so"
    );
}

#[test]
fn a_persisted_operation_resumes_where_it_stopped() {
    let mut op = Pipeline::start(request(), 0);
    let mut now = 0;
    for _ in 0..4 {
        let Next::Call(a) = op.next(now) else {
            panic!()
        };
        now += S;
        op.record(healthy(&a, &op), now);
    }
    let bytes = candid::encode_one(&op).unwrap();
    let mut resumed: Pipeline = candid::decode_one(&bytes).unwrap();
    assert_eq!(resumed, op);
    assert_eq!(
        resumed.next(now),
        Next::Call(Action::TakeSnapshot {
            canister: target(),
            replace: None
        })
    );
    drive(&mut resumed, healthy);
    assert_eq!(resumed.outcome, Some(Outcome::Succeeded));
}

#[test]
fn maintenance_announces_the_plans_longest_duration() {
    let op = Pipeline::start(request(), 50 * S);
    let Next::Call(Action::EnterMaintenance {
        until_ns, reason, ..
    }) = op.next(50 * S)
    else {
        panic!()
    };
    assert_eq!(reason, "upgrade to v2");
    let t = PipelineTimeouts::default();
    // The main plan (drain, stop, ready and seven calls) and a rollback (stop, ready, four calls).
    let main = t.drain_seconds + t.stop_seconds + t.ready_seconds + 7 * t.call_seconds;
    let rollback = t.stop_seconds + t.ready_seconds + 3 * t.call_seconds;
    let total = main + rollback;
    assert_eq!(until_ns, 50 * S + total * S);
}

#[test]
fn a_call_in_flight_when_the_monitor_was_upgraded_counts_as_unknown() {
    let mut op = Pipeline::start(plain_request(), 0);
    // Stop, then list; the take is made and the monitor is upgraded before its reply.
    op.record(Reply::Done, S);
    op.record(Reply::Snapshots(vec![snap(9, 1)]), 2 * S);
    op.begin_call();
    let stored: Pipeline = candid::decode_one(&candid::encode_one(&op).unwrap()).unwrap();
    let mut resumed = stored;
    assert!(resumed.resume(3 * S), "a lost call is recorded");
    // It lists again and adopts the snapshot the lost call took, rather than take another.
    assert_eq!(
        resumed.next(3 * S),
        Next::Call(Action::ListSnapshots { canister: target() })
    );
    resumed.record(Reply::Snapshots(vec![snap(9, 1), snap(12, 2)]), 4 * S);
    assert_eq!(resumed.snapshot, Some(snap(12, 2)));
    assert_eq!(resumed.current(), Some(step(Install, StepOn::Target)));

    // Without a call in flight, resuming changes nothing.
    let mut idle = Pipeline::start(request(), 0);
    let before = idle.clone();
    assert!(!idle.resume(S));
    assert_eq!(idle, before);
}

#[test]
fn calls_wait_no_longer_than_the_step_has_left() {
    let mut op = Pipeline::start(plain_request(), 0);
    // Stop may take 300 s.
    assert_eq!(op.call_timeout_seconds(0, 60), 60);
    assert_eq!(op.call_timeout_seconds(280 * S, 60), 20);
    assert_eq!(op.call_timeout_seconds(300 * S, 60), 1);
    op.record(Reply::Unknown("timed out".into()), 299 * S);
    assert_eq!(
        op.next(299 * S),
        Next::WaitUntil(300 * S),
        "retried after the pause"
    );
    op.record(Reply::Unknown("timed out".into()), 300 * S);
    assert!(op.outcome.is_none() && op.view().running.unwrap().phase == PipelinePhase::Abort);
}

#[test]
fn the_view_shows_the_running_step_then_the_outcome() {
    let mut op = Pipeline::start(request(), 7 * S);
    op.record(Reply::Done, 8 * S);
    op.record(Reply::NotYet("1 call(s) await responses".into()), 9 * S);
    let v = op.view();
    let running = v.running.clone().unwrap();
    assert_eq!(running.step, step(Drain, StepOn::Target));
    assert_eq!(running.last_seen, "1 call(s) await responses");
    assert_eq!(running.deadline_ns, 8 * S + 300 * S);
    assert_eq!((v.steps.len(), v.outcome.clone()), (1, None));
    drive(&mut op, healthy);
    let v = op.view();
    assert_eq!((v.running, v.outcome), (None, Some(Outcome::Succeeded)));
    assert_eq!(v.snapshot_id, Some(vec![10]));
    assert!(v.ended_at_ns.is_some() && v.target_stopped_ns > 0);
}

fn backup(stop: bool, keep: u8, backups_before: &[u8]) -> Request {
    Request {
        work: Work::Backup {
            stop,
            keep,
            replace_any: false,
        },
        replaceable: backups_before.iter().map(|i| vec![*i]).collect(),
        ..request()
    }
}

#[test]
fn a_stopped_backup_quiesces_snapshots_resumes_then_deletes_the_oldest_backups_beyond_keep() {
    // Backups 1, 2, 3 of the policy (oldest first) and 9 taken by hand; keep 2.
    let mut op = Pipeline::start(backup(true, 2, &[1, 2, 3]), 0);
    let mut deleted = vec![];
    let called = drive(&mut op, |a, o| match a {
        Action::ListSnapshots { .. } => {
            Reply::Snapshots(vec![snap(9, 0), snap(1, 10), snap(2, 20), snap(3, 30)])
        }
        Action::DeleteSnapshot { snapshot, .. } => {
            deleted.push(snapshot.clone());
            Reply::Done
        }
        _ => healthy(a, o),
    });
    assert_eq!(
        kinds(&called),
        [
            EnterMaintenance,
            Drain,
            Stop,
            ListSnapshots,
            TakeSnapshot,
            Start,
            AwaitReady,
            LeaveMaintenance,
            DeleteSnapshot,
            DeleteSnapshot
        ]
    );
    assert_eq!(
        deleted,
        [vec![1], vec![2]],
        "the two oldest backups, never the hand-made one"
    );
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
    assert_eq!(op.deleted, deleted);
    let held: Vec<SnapshotId> = op.snapshots_held().into_iter().map(|s| s.id).collect();
    assert_eq!(held, [vec![9], vec![3], vec![10]]);
}

#[test]
fn a_running_backup_never_stops_the_canister_and_skips_retention_with_nothing_to_delete() {
    let mut op = Pipeline::start(backup(false, 5, &[1]), 0);
    let called = drive(&mut op, healthy);
    assert_eq!(kinds(&called), [ListSnapshots, TakeSnapshot]);
    assert_eq!((op.outcome, op.stopped_ns), (Some(Outcome::Succeeded), 0));
}

#[test]
fn a_backup_whose_drain_times_out_is_skipped_and_the_canister_keeps_running() {
    let mut op = Pipeline::start(backup(true, 2, &[]), 0);
    let called = drive(&mut op, never_drains);
    aborted_at(&op, Drain);
    assert_drain_abort_only_left_maintenance(&called, TakeSnapshot);
}

/// The request to restore snapshot 4 onto the target, or onto `onto`.
fn restore(onto: Option<Principal>) -> Request {
    Request {
        work: Work::Restore {
            snapshot: vec![4],
            onto,
        },
        ..request()
    }
}

#[test]
fn a_restore_loads_the_chosen_snapshot_onto_the_target_or_a_clone() {
    let mut op = Pipeline::start(restore(None), 0);
    let mut loaded = vec![];
    let called = drive(&mut op, |a, o| {
        if let Action::LoadSnapshot { canister, snapshot } = a {
            loaded.push((*canister, snapshot.clone()));
        }
        healthy(a, o)
    });
    assert_eq!(
        kinds(&called),
        [
            EnterMaintenance,
            Drain,
            Stop,
            LoadSnapshot,
            Start,
            AwaitReady,
            LeaveMaintenance
        ]
    );
    assert_eq!(loaded, [(target(), vec![4])]);

    let mut clone = Pipeline::start(restore(Some(scratch())), 0);
    let called = drive(&mut clone, healthy);
    assert!(
        called.iter().all(|(s, _)| s.on == StepOn::Copy),
        "the target is not touched"
    );
    assert_eq!(
        kinds(&called),
        [Stop, LoadSnapshot, Start, AwaitReady, LeaveMaintenance]
    );
    assert_eq!(clone.snapshot, None, "a restore takes no snapshot");
}

#[test]
fn a_restore_that_fails_to_load_starts_the_target_again() {
    let mut op = Pipeline::start(restore(None), 0);
    let called = drive(&mut op, |a, o| match a {
        Action::LoadSnapshot { .. } => Reply::Refused("snapshot 04 does not exist".into()),
        _ => healthy(a, o),
    });
    aborted_at(&op, LoadSnapshot);
    assert_eq!(
        &kinds(&called)[called.len() - 2..],
        [Start, LeaveMaintenance]
    );
}

#[test]
fn a_backup_told_to_replace_any_snapshot_also_deletes_the_oldest_ones_it_did_not_take() {
    let mut request = backup(false, 2, &[3]);
    request.work = Work::Backup {
        stop: false,
        keep: 2,
        replace_any: true,
    };
    let mut op = Pipeline::start(request, 0);
    let mut deleted = vec![];
    drive(&mut op, |a, o| match a {
        // Hand-made 9 (oldest), the upgrade pipeline's 4, the policy's 3 (newest).
        Action::ListSnapshots { .. } => {
            Reply::Snapshots(vec![snap(9, 0), snap(4, 10), snap(3, 20)])
        }
        Action::DeleteSnapshot { snapshot, .. } => {
            deleted.push(snapshot.clone());
            Reply::Done
        }
        _ => healthy(a, o),
    });
    assert_eq!(op.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        deleted,
        [vec![9], vec![4]],
        "oldest first, whoever took them"
    );
    // At the limit it may replace any snapshot too.
    let mut at_limit = Pipeline::start(
        Request {
            work: Work::Backup {
                stop: false,
                keep: 9,
                replace_any: true,
            },
            ..backup(false, 9, &[])
        },
        0,
    );
    let mut replaced = None;
    drive(&mut at_limit, |a, o| match a {
        Action::ListSnapshots { .. } => {
            Reply::Snapshots((0..10).map(|i| snap(i, u64::from(i))).collect())
        }
        Action::TakeSnapshot { replace, .. } => {
            replaced = replace.clone();
            healthy(a, o)
        }
        _ => healthy(a, o),
    });
    assert_eq!(replaced, Some(vec![0]));
}
