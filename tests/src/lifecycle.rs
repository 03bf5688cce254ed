//! Helpers of the lifecycle tests (upgrades, backups, restores by the monitor) on a [`Fleet`]:
//! a busy canister, a call that hangs, the monitor upgraded mid-operation, waiting for an
//! operation's outcome, and what the management canister says of a canister afterwards.

use crate::fleet::{Fleet, HookMode};
use crate::sdk;
use candid::Principal;
use canister_hooks_testkit::monitor::{
    encode_init, ErrorEvent, ErrorSource, EventOrigin, OperationView, Outcome, PipelineTimeouts,
    StepKind, UpgradeArgs,
};
use canister_hooks_testkit::{canister_wasm, Ic};
use ic_management_canister_types::CanisterStatusType;
use pocket_ic::common::rest::RawMessageId;

/// Bytes of stable memory and of heap [`busy_load`] writes.
pub const WRITTEN: u64 = 65_536;

/// A fleet with one registered load canister holding some state: [`WRITTEN`] bytes of stable
/// memory and of heap.
pub fn busy_load(fleet: Fleet) -> (Fleet, Principal) {
    let load = fleet.add_load();
    fleet.register(Fleet::register_args(load));
    write(&fleet, load, WRITTEN);
    (fleet, load)
}

/// Grows `load`'s stable memory and heap by `bytes` (its state changes).
pub fn write(fleet: &Fleet, load: Principal, bytes: u64) {
    for method in ["grow_stable", "grow_heap"] {
        let grown: Result<u64, String> = fleet.update(load, method, (bytes,));
        grown.unwrap_or_else(|e| panic!("{method}: {e}"));
    }
}

/// What the load canister reports of its state: stable bytes grown, heap ballast.
pub fn state(fleet: &Fleet, load: Principal) -> (u64, u64) {
    let s = fleet.load_status(load);
    (s.ledger.stable_grown, s.heap_ballast)
}

/// Makes `caller` wait for a response: a load canister whose hooks `caller` may call is told to
/// hang, and `caller`'s `method` (`call_out` of a load canister, tracked by its SDK; `forward`
/// of a relay, untracked) calls its `on_error`. Returns the hanging canister and the call.
pub fn hang_a_call(fleet: &Fleet, caller: Principal, method: &str) -> (Principal, RawMessageId) {
    let hanging = fleet.add_load_calling_hooks_from(caller);
    fleet.set_hook_mode(hanging, HookMode::Slow(u32::MAX));
    let event = candid::encode_one(ErrorEvent {
        id: 1,
        origin: EventOrigin::SelfRaised,
        source: ErrorSource::System("scenario".into()),
        message: "a call that hangs".into(),
        reject_code: None,
        time_ns: 0,
        count: 1,
    })
    .unwrap();
    let arg = candid::encode_args((hanging, "on_error", event)).unwrap();
    let call = fleet
        .pic
        .submit_call(caller, fleet.admin, method, arg)
        .unwrap_or_else(|e| panic!("{method} was not accepted: {e}"));
    fleet.step(1);
    (hanging, call)
}

/// Stops the monitor (waiting for its open calls), upgrades it to the same module and starts it.
pub fn upgrade_monitor(fleet: &Fleet) {
    let stop = fleet.submit_management("stop_canister", fleet.monitor);
    fleet.run_until(60, 1, "the monitor stopped", |f| {
        f.pic.ingress_status(stop.clone()).is_some()
    });
    upgrade_stopped_monitor(fleet, encode_init(None));
}

/// Upgrades the stopped monitor to the same module with the upgrade argument `arg` and starts it.
pub fn upgrade_stopped_monitor(fleet: &Fleet, arg: Vec<u8>) {
    fleet
        .pic
        .upgrade_canister(
            fleet.monitor,
            canister_wasm("hooks-monitor"),
            arg,
            Some(fleet.admin),
        )
        .unwrap();
    fleet
        .pic
        .start_canister(fleet.monitor, Some(fleet.admin))
        .unwrap();
}

/// Uploads `wasm` to `canister` through the monitor; the arguments of its upgrade with `arg`,
/// no rehearsal and `timeouts`.
pub fn upgrade_args(
    fleet: &Fleet,
    canister: Principal,
    wasm: &[u8],
    arg: Vec<u8>,
    timeouts: Option<PipelineTimeouts>,
) -> UpgradeArgs {
    let (wasm_module_hash, chunk_hashes) = fleet
        .watcher()
        .upload_module(canister, wasm)
        .unwrap_or_else(|e| panic!("upload: {e}"));
    UpgradeArgs {
        timeouts,
        ..UpgradeArgs::new(canister, wasm_module_hash, chunk_hashes, arg)
    }
}

/// The running or latest operation of `canister`.
pub fn status(fleet: &Fleet, canister: Principal) -> Option<OperationView> {
    fleet.watcher().operation_status(canister).unwrap()
}

/// Runs 1 s steps until `canister`'s current operation ends (at most 10 minutes).
pub fn wait_for_outcome(fleet: &Fleet, canister: Principal) -> OperationView {
    fleet.run_until(600, 1, "the operation ends", |f| {
        status(f, canister).is_some_and(|o| o.outcome.is_some())
    });
    status(fleet, canister).unwrap()
}

/// The module `canister` runs.
pub fn module_hash(fleet: &Fleet, canister: Principal) -> Option<Vec<u8>> {
    Ic::canister_status(&fleet.pic, canister, Some(fleet.admin))
        .unwrap()
        .module_hash
}

/// Ids of `canister`'s snapshots, sorted.
pub fn snapshot_ids(fleet: &Fleet, canister: Principal) -> Vec<Vec<u8>> {
    let mut ids: Vec<Vec<u8>> = fleet
        .pic
        .list_canister_snapshots(canister, Some(fleet.admin))
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

/// `canister` (an SDK canister) serves: running, ready, out of maintenance.
pub fn assert_serving(fleet: &Fleet, canister: Principal) {
    let status = Ic::canister_status(&fleet.pic, canister, Some(fleet.admin)).unwrap();
    assert_eq!(status.status, CanisterStatusType::Running);
    sdk::wait_ready(&fleet.pic, canister, 20);
    assert_eq!(sdk::status(&fleet.pic, canister).maintenance, None);
}

/// The reason of an operation that was aborted at step `at`; panics on any other outcome.
pub fn aborted_at(view: &OperationView, at: StepKind) -> &str {
    match &view.outcome {
        Some(Outcome::Aborted { step, reason }) if *step == at => reason,
        _ => panic!("not aborted at {at:?}: {view:#?}"),
    }
}

/// The reason of an operation that was rolled back after step `at` failed; panics on any other
/// outcome.
pub fn rolled_back_at(view: &OperationView, at: StepKind) -> &str {
    match &view.outcome {
        Some(Outcome::RolledBack { step, reason }) if *step == at => reason,
        _ => panic!("not rolled back at {at:?}: {view:#?}"),
    }
}
