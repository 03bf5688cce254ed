//! The monitor's upgrade pipeline against the emulator, one test per outcome: a clean upgrade of
//! a busy SDK canister; a release whose `post_upgrade` traps (the IC keeps the old code); a
//! release that never becomes ready (rolled back from the snapshot); a failed rehearsal (the
//! target untouched); a stop that times out on a canister waiting for a hanging callee (aborted,
//! running again); the monitor upgraded while a pipeline waits (it resumes and finishes);
//! snapshot rotation at the limit of 10 that keeps the snapshots taken by hand; and requests
//! refused with typed errors (strangers, canisters the monitor does not control, a second
//! pipeline).

use candid::Principal;
use canister_hooks_testkit::examples::{load_release, ReleaseFault};
use canister_hooks_testkit::monitor::{
    DeliveryStatus, ErrorSource, EventKind, HookEvent, OperationError, OperationFilter,
    OperationView, Outcome, PipelinePhase, PipelineTimeouts, StepKind, StepOn, UpgradeArgs,
};
use canister_hooks_testkit::wasm::{sha256, tagged_release};
use canister_hooks_testkit::{canister_wasm, Ic};
use ic_management_canister_types::CanisterStatusType;
use integration_tests::fleet::{fast_config, Fleet, HookMode};
use integration_tests::lifecycle::{
    self, aborted_at, assert_serving, hang_a_call, module_hash, rolled_back_at, snapshot_ids,
    state, status, upgrade_monitor, wait_for_outcome, WRITTEN,
};

const NS: u64 = 1_000_000_000;

/// Step deadlines short enough for a test, long enough for every healthy step.
const TIMEOUTS: PipelineTimeouts = PipelineTimeouts {
    drain_seconds: 20,
    stop_seconds: 15,
    ready_seconds: 20,
    call_seconds: 30,
};

fn busy_load() -> (Fleet, Principal) {
    lifecycle::busy_load(Fleet::new(fast_config()))
}

/// The load canister's module as release `name` (another hash, the same code).
fn load_release_wasm(name: &str) -> Vec<u8> {
    tagged_release(&canister_wasm("example-load"), name)
}

/// Uploads `wasm` (over 1 MiB: chunked) to `canister` through the monitor; the arguments of
/// its upgrade with [`TIMEOUTS`].
fn upgrade_args(fleet: &Fleet, canister: Principal, wasm: &[u8], arg: Vec<u8>) -> UpgradeArgs {
    let args = lifecycle::upgrade_args(fleet, canister, wasm, arg, Some(TIMEOUTS));
    assert!(
        args.chunk_hashes.len() >= 2,
        "the module is over 1 MiB: chunked"
    );
    args
}

/// The arguments of an upgrade of `canister` to release `name` of the load canister, with
/// `fault` if any.
fn release_args(
    fleet: &Fleet,
    canister: Principal,
    name: &str,
    fault: Option<ReleaseFault>,
) -> UpgradeArgs {
    let arg = load_release(Some(fleet.monitor), fault);
    upgrade_args(fleet, canister, &load_release_wasm(name), arg)
}

fn start(fleet: &Fleet, args: UpgradeArgs) -> Result<OperationView, OperationError> {
    fleet
        .watcher()
        .start_upgrade(args)
        .expect("start_upgrade is not rejected")
}

/// Starts the pipeline and runs 1 s steps until it ends.
fn run_upgrade(fleet: &Fleet, args: UpgradeArgs) -> OperationView {
    let canister = args.canister_id;
    start(fleet, args).unwrap_or_else(|e| panic!("start_upgrade: {e}"));
    wait_for_outcome(fleet, canister)
}

/// The load canister is back in service: running, ready, out of maintenance, running `module`,
/// its stable state kept (an upgrade clears the heap by design).
fn assert_in_service(fleet: &Fleet, load: Principal, module: &[u8]) {
    assert_serving(fleet, load);
    assert_eq!(module_hash(fleet, load).as_deref(), Some(module));
    assert_eq!(state(fleet, load).0, WRITTEN, "the state is kept");
}

/// The kinds of the steps `view` ran in `phase`.
fn steps_in(view: &OperationView, phase: PipelinePhase) -> Vec<(StepKind, StepOn)> {
    view.steps
        .iter()
        .filter(|r| r.phase == phase)
        .map(|r| (r.step.kind, r.step.on))
        .collect()
}

/// The message of the `on_error` event the pipeline raised for `load`, once delivered to it.
fn delivered_upgrade_error(fleet: &Fleet, load: Principal) -> String {
    let pipeline = ErrorSource::System("upgrade_failed".into());
    let raised = |f: &Fleet| {
        f.events_of(load, EventKind::Error)
            .into_iter()
            .find_map(|r| match r.event {
                HookEvent::Error(e) if e.source == pipeline => Some((r.id, r.delivery, e.message)),
                _ => None,
            })
    };
    fleet.run_until(60, 1, "the upgrade failure delivered to on_error", |f| {
        raised(f).is_some_and(|(_, d, _)| matches!(d, DeliveryStatus::Delivered { .. }))
    });
    let (id, _, message) = raised(fleet).unwrap();
    assert!(
        fleet.load_received_ids(load).contains(&id),
        "the canister handled it"
    );
    message
}

#[test]
fn a_clean_upgrade_keeps_the_state_changes_the_module_and_ends_ready() {
    let (fleet, load) = busy_load();
    let v2 = load_release_wasm("v2");
    let view = run_upgrade(
        &fleet,
        upgrade_args(&fleet, load, &v2, load_release(Some(fleet.monitor), None)),
    );

    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    assert_in_service(&fleet, load, &sha256(&v2));
    use StepKind::*;
    let on_target = |k| (k, StepOn::Target);
    assert_eq!(
        steps_in(&view, PipelinePhase::Main),
        [
            EnterMaintenance,
            Drain,
            Stop,
            ListSnapshots,
            TakeSnapshot,
            Install,
            VerifyModule,
            Start,
            AwaitReady,
            LeaveMaintenance
        ]
        .map(on_target)
    );
    assert!(view.steps.iter().all(|s| s.error.is_none()));
    let snapshot = view.snapshot_id.clone().expect("a snapshot was taken");
    assert_eq!(
        snapshot_ids(&fleet, load),
        [snapshot],
        "the snapshot is kept for a later rollback"
    );
    // The emulator's clock moves between steps only: the whole stop lasts under one step.
    assert!(view.target_stopped_ns <= NS, "{view:#?}");
    assert_eq!(
        fleet
            .watcher()
            .operations(OperationFilter::default())
            .unwrap(),
        [view]
    );
    fleet.assert_metrics_contain(
        "monitor_operations_total{kind=\"upgrade\",outcome=\"succeeded\"} 1",
    );
}

#[test]
fn a_release_whose_post_upgrade_traps_leaves_the_old_code_running_and_tells_the_canister() {
    let (fleet, load) = busy_load();
    let v1 = module_hash(&fleet, load).unwrap();
    let view = run_upgrade(
        &fleet,
        release_args(&fleet, load, "v2", Some(ReleaseFault::TrapInPostUpgrade)),
    );

    let reason = aborted_at(&view, StepKind::Install);
    assert!(
        reason.contains("cannot read the state it was given"),
        "{reason}"
    );
    assert_eq!(
        steps_in(&view, PipelinePhase::Abort),
        [
            (StepKind::Start, StepOn::Target),
            (StepKind::LeaveMaintenance, StepOn::Target)
        ],
        "the install was atomic: nothing to roll back"
    );
    assert_in_service(&fleet, load, &v1);
    let told = delivered_upgrade_error(&fleet, load);
    assert!(told.contains("aborted at install"), "{told}");
}

#[test]
fn a_release_that_never_becomes_ready_is_rolled_back_from_the_snapshot_within_a_minute() {
    let (fleet, load) = busy_load();
    let v1 = module_hash(&fleet, load).unwrap();
    let view = run_upgrade(
        &fleet,
        release_args(&fleet, load, "v2", Some(ReleaseFault::NeverReady)),
    );

    let reason = rolled_back_at(&view, StepKind::AwaitReady);
    assert!(
        reason.contains("connect_dependency"),
        "names the step it waited for: {reason}"
    );
    use StepKind::*;
    assert_eq!(
        steps_in(&view, PipelinePhase::Rollback),
        [Stop, LoadSnapshot, Start, AwaitReady, LeaveMaintenance].map(|k| (k, StepOn::Target))
    );
    assert_in_service(&fleet, load, &v1);
    let back_after_ns = view
        .recovery_ns()
        .expect("a failed step and a readiness check");
    assert!(
        back_after_ns <= 60 * NS,
        "service back {} s after the failure",
        back_after_ns / NS
    );
    assert!(delivered_upgrade_error(&fleet, load).contains("rolled back"));
}

#[test]
fn a_failed_rehearsal_leaves_the_target_untouched_and_clears_the_scratch_canister() {
    let (fleet, load) = busy_load();
    let v1 = module_hash(&fleet, load).unwrap();
    let scratch = fleet.add_spare();
    let args = UpgradeArgs {
        rehearse_on: Some(scratch),
        ..release_args(&fleet, load, "v2", Some(ReleaseFault::NeverReady))
    };
    let view = run_upgrade(&fleet, args);

    aborted_at(&view, StepKind::AwaitReady);
    let rehearsed: Vec<StepKind> = view
        .steps
        .iter()
        .filter(|s| s.step.on == StepOn::Copy)
        .map(|s| s.step.kind)
        .collect();
    use StepKind::*;
    assert_eq!(
        rehearsed,
        [Stop, LoadSnapshot, Install, Start, AwaitReady, Uninstall]
    );
    assert!(
        !view.steps.iter().any(|s| s.step
            == canister_hooks_testkit::monitor::Step {
                kind: Install,
                on: StepOn::Target
            }),
        "the target was never installed"
    );
    assert_in_service(&fleet, load, &v1);
    assert_eq!(
        module_hash(&fleet, scratch),
        None,
        "the scratch canister was cleared"
    );
}

#[test]
fn a_good_rehearsal_then_upgrades_the_target() {
    let (fleet, load) = busy_load();
    let scratch = fleet.add_spare();
    let v2 = load_release_wasm("v2");
    let args = UpgradeArgs {
        rehearse_on: Some(scratch),
        keep_rehearsal: true,
        ..upgrade_args(&fleet, load, &v2, load_release(Some(fleet.monitor), None))
    };
    let view = run_upgrade(&fleet, args);
    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    assert_in_service(&fleet, load, &sha256(&v2));
    assert_eq!(
        module_hash(&fleet, scratch),
        Some(sha256(&v2)),
        "the kept rehearsal runs v2"
    );
    assert_eq!(state(&fleet, scratch).0, WRITTEN, "with the target's state");
}

#[test]
fn a_stop_that_times_out_aborts_and_leaves_the_canister_running() {
    let fleet = Fleet::new(fast_config());
    // A relay (no SDK) the monitor controls, with a call out to a load canister that hangs.
    let relay = fleet.add_watched_relay();
    fleet.register(Fleet::register_args(relay));
    let (hanging, call) = hang_a_call(&fleet, relay, "forward");
    let v1 = module_hash(&fleet, relay).unwrap();
    let v2 = tagged_release(&canister_wasm("test-relay"), "v2");
    let no_arg = candid::encode_args(()).unwrap();
    let view = run_upgrade(
        &fleet,
        lifecycle::upgrade_args(&fleet, relay, &v2, no_arg, Some(TIMEOUTS)),
    );

    let reason = aborted_at(&view, StepKind::Stop);
    assert!(reason.contains("not done within 15 s"), "{reason}");
    let relay_status = Ic::canister_status(&fleet.pic, relay, Some(fleet.admin)).unwrap();
    assert_eq!(relay_status.status, CanisterStatusType::Running);
    assert_eq!(module_hash(&fleet, relay), Some(v1));
    assert_eq!(view.snapshot_id, None, "nothing was taken");
    // The hanging callee answers: the relay's call completes, the relay serves again.
    fleet.set_hook_mode(hanging, HookMode::Normal);
    fleet.run_until(60, 1, "the relay's call completes", |f| {
        f.pic.ingress_status(call.clone()).is_some()
    });
}

#[test]
fn the_pipeline_resumes_after_the_monitor_is_upgraded_between_two_steps() {
    let (fleet, load) = busy_load();
    // A tracked call of the load canister to a hanging canister holds the drain step.
    let (hanging, _) = hang_a_call(&fleet, load, "call_out");
    let v2 = load_release_wasm("v2");
    let args = UpgradeArgs {
        timeouts: Some(PipelineTimeouts {
            drain_seconds: 600,
            ..TIMEOUTS
        }),
        ..upgrade_args(&fleet, load, &v2, load_release(Some(fleet.monitor), None))
    };
    start(&fleet, args).unwrap();
    fleet.run_until(30, 1, "the pipeline waits in the drain step", |f| {
        status(f, load).and_then(|u| u.running).is_some_and(|r| {
            r.step.kind == StepKind::Drain && r.last_seen.contains("await responses")
        })
    });

    upgrade_monitor(&fleet);
    fleet.step(1);
    assert!(
        status(&fleet, load).unwrap().running.is_some(),
        "still running after the upgrade"
    );

    // The hanging callee answers; the pipeline goes on from where it was.
    fleet.set_hook_mode(hanging, HookMode::Normal);
    let view = wait_for_outcome(&fleet, load);
    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    assert_eq!(
        view.steps
            .iter()
            .filter(|s| s.step.kind == StepKind::Drain)
            .count(),
        1
    );
    assert_in_service(&fleet, load, &sha256(&v2));
}

#[test]
fn at_the_snapshot_limit_the_pipeline_replaces_its_own_snapshot_and_keeps_those_taken_by_hand() {
    let (fleet, load) = busy_load();
    fleet.pic.stop_canister(load, Some(fleet.admin)).unwrap();
    let by_hand: Vec<Vec<u8>> = (0..9)
        .map(|_| {
            fleet
                .pic
                .take_canister_snapshot(load, Some(fleet.admin), None)
                .unwrap()
                .id
        })
        .collect();
    fleet.pic.start_canister(load, Some(fleet.admin)).unwrap();

    let first = run_upgrade(&fleet, release_args(&fleet, load, "v2", None));
    assert_eq!(first.outcome, Some(Outcome::Succeeded), "{first:#?}");
    let ours = first.snapshot_id.clone().unwrap();
    assert_eq!(snapshot_ids(&fleet, load).len(), 10);

    let second = run_upgrade(&fleet, release_args(&fleet, load, "v3", None));
    assert_eq!(second.outcome, Some(Outcome::Succeeded), "{second:#?}");
    assert_eq!(second.replaced_snapshot_id, Some(ours.clone()));
    let mut kept = snapshot_ids(&fleet, load);
    kept.sort();
    let mut expected = by_hand.clone();
    expected.push(second.snapshot_id.clone().unwrap());
    expected.sort();
    assert_eq!(kept, expected, "the hand-made snapshots are all kept");

    // Ten snapshots and none the pipeline may replace: refused before any change.
    fleet.pic.stop_canister(load, Some(fleet.admin)).unwrap();
    fleet
        .pic
        .delete_canister_snapshot(load, Some(fleet.admin), second.snapshot_id.clone().unwrap())
        .unwrap();
    fleet
        .pic
        .take_canister_snapshot(load, Some(fleet.admin), None)
        .unwrap();
    fleet.pic.start_canister(load, Some(fleet.admin)).unwrap();
    let v3 = module_hash(&fleet, load).unwrap();
    let refused = run_upgrade(&fleet, release_args(&fleet, load, "v4", None));
    let reason = aborted_at(&refused, StepKind::ListSnapshots);
    assert!(reason.contains("taken by hand"), "{reason}");
    assert_in_service(&fleet, load, &v3);
}

#[test]
fn strangers_canisters_not_controlled_and_second_pipelines_get_typed_errors() {
    let (fleet, load) = busy_load();
    let args = release_args(&fleet, load, "v2", None);

    // A stranger's ingress is turned away; a canister calling gets the typed error.
    let stranger = Principal::self_authenticating(b"a stranger");
    let ingress = fleet.update_as::<_, Result<OperationView, OperationError>>(
        fleet.monitor,
        stranger,
        "start_upgrade",
        (args.clone(),),
    );
    assert!(ingress.is_err(), "{ingress:?}");
    let relay = fleet.add_relay();
    let typed: Result<OperationView, OperationError> =
        fleet.call_candid_via(relay, fleet.monitor, "start_upgrade", (&args,));
    assert_eq!(typed, Err(OperationError::NotAuthorized { caller: relay }));
    let chunk: Result<serde_bytes::ByteBuf, OperationError> = fleet.call_candid_via(
        relay,
        fleet.monitor,
        "upload_chunk",
        (load, serde_bytes::ByteBuf::from(vec![0u8; 8])),
    );
    assert_eq!(chunk, Err(OperationError::NotAuthorized { caller: relay }));
    assert_eq!(status(&fleet, load), None, "nothing was started");

    // A canister the monitor only reads (public status) is not upgraded.
    let watched_only = fleet.add_relay();
    fleet.make_status_public(watched_only);
    fleet.register(Fleet::register_args(watched_only));
    let not_ours = start(
        &fleet,
        UpgradeArgs {
            canister_id: watched_only,
            ..args.clone()
        },
    );
    assert_eq!(
        not_ours,
        Err(OperationError::NotController {
            canister_id: watched_only,
            controllers: vec![fleet.admin],
        })
    );

    // One pipeline per canister.
    let first = start(&fleet, args.clone()).unwrap();
    let Err(OperationError::AlreadyRunning { id, .. }) = start(&fleet, args.clone()) else {
        panic!("a second pipeline was accepted")
    };
    assert_eq!(id, first.id);
    // Bad arguments name the field.
    let Err(OperationError::InvalidArgument { field, .. }) = start(
        &fleet,
        UpgradeArgs {
            wasm_module_hash: vec![1, 2, 3],
            ..args
        },
    ) else {
        panic!("a short hash was accepted")
    };
    assert_eq!(field, "wasm_module_hash");
}
