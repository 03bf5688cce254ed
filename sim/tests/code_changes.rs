//! What code changes do to open call contexts (IC interface specification, `install_code`,
//! `uninstall_code`, `load_canister_snapshot`): upgrades, reinstalls and snapshot loads keep them,
//! so responses to calls the old code made run their callbacks in the new code; only an
//! uninstall rejects them. Also: loading a snapshot onto another canister.

mod common;

use candid::Principal;
use common::*;
use ic_sim::{ErrorCode, MessageId, RejectCode, Sim, SimConfig};
use std::time::Duration;

/// A canister whose `go` calls `inc` on the canister named by its argument, bounded-wait for 10
/// s, without replying; the callback (reply or reject) replies with this version's name.
fn caller(version: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_with_best_effort_response" (func $timeout (param i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $answer)
  (data (i32.const 100) "inc")
  (data (i32.const 200) "{version}")
  (func $answer (param i32)
    (call $append (i32.const 200) (i32.const {len}))
    (call $reply))
  (func (export "canister_update go")
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (call $call_new (i32.const 0) (call $arg_size) (i32.const 100) (i32.const 3)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $timeout (i32.const 10))
    (drop (call $call_perform))))"#,
        len = version.len()
    ))
    .unwrap()
}

/// A caller running `v1` with a call open to a callee whose reply never arrives, and the id of
/// the ingress message waiting on it.
fn open_call() -> (Sim, Principal, MessageId) {
    let mut sim = Sim::new(SimConfig::default());
    let callee = add_counter(&mut sim);
    sim.drop_replies_from(callee, true);
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(id, caller("v1"), vec![], Some(admin()))
        .unwrap();
    let msg = sim
        .submit_call(id, admin(), "go", callee.as_slice().to_vec())
        .unwrap();
    for _ in 0..3 {
        sim.tick();
    }
    assert!(sim.ingress_status(&msg).is_none(), "the call is open");
    (sim, id, msg)
}

/// What the caller of `open_call` finally answers when `change` changes its code while the call
/// is open.
fn answer_after_code_change(
    change: impl FnOnce(&mut Sim, Principal) -> Result<(), ic_sim::UserError>,
) -> Vec<u8> {
    let (mut sim, id, msg) = open_call();
    change(&mut sim, id).expect("the code change succeeds");
    answer_after_timeout(&mut sim, &msg)
}

/// Lets the bounded-wait call time out and returns what the caller finally answered.
fn answer_after_timeout(sim: &mut Sim, msg: &MessageId) -> Vec<u8> {
    assert!(
        sim.ingress_status(msg).is_none(),
        "still open after the code change"
    );
    sim.advance_time(Duration::from_secs(11));
    sim.await_call(msg).expect("the callback replied")
}

#[test]
fn an_upgrade_keeps_open_calls_and_their_callbacks_run_in_the_new_code() {
    let answer = answer_after_code_change(|sim, id| {
        sim.upgrade_canister(id, caller("v2"), vec![], Some(admin()))
    });
    assert_eq!(answer, b"v2");
}

#[test]
fn a_reinstall_keeps_open_calls_too() {
    let answer = answer_after_code_change(|sim, id| {
        sim.reinstall_canister(id, caller("v3"), vec![], Some(admin()))
    });
    assert_eq!(answer, b"v3");
}

#[test]
fn a_stop_waits_for_calls_that_survived_an_upgrade() {
    let (mut sim, id, msg) = open_call();
    sim.upgrade_canister(id, caller("v2"), vec![], Some(admin()))
        .unwrap();
    let stop = submit_stop(&mut sim, id);
    sim.tick();
    assert!(
        sim.ingress_status(&stop).is_none(),
        "stopping: a call is open"
    );
    assert_eq!(answer_after_timeout(&mut sim, &msg), b"v2");
    sim.await_call(&stop).expect("stopped once the call closed");
}

#[test]
fn loading_a_snapshot_keeps_open_calls_and_their_callbacks_run_in_the_loaded_code() {
    let answer = answer_after_code_change(|sim, id| {
        let v1 = sim.take_canister_snapshot(id, Some(admin()), None)?;
        sim.upgrade_canister(id, caller("v2"), vec![], Some(admin()))?;
        sim.load_canister_snapshot(id, Some(admin()), v1.id)
    });
    assert_eq!(answer, b"v1");
}

#[test]
fn an_uninstall_rejects_open_calls_at_once() {
    let (mut sim, id, msg) = open_call();
    sim.uninstall_canister(id, Some(admin())).unwrap();
    let err = sim.await_call(&msg).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
}

#[test]
fn a_snapshot_loads_onto_another_canister_controlled_by_the_caller() {
    // Spec: the snapshot may belong to another canister of the same subnet; the caller must
    // control both. The history names the canister it came from.
    let (mut sim, source) = sim_with_probe();
    sim.update_call(source, admin(), "set_heap", enc(42u64))
        .unwrap();
    let snapshot = sim
        .take_canister_snapshot(source, Some(admin()), None)
        .unwrap();
    let copy = sim.create_canister_with_settings(Some(admin()), None);
    sim.load_canister_snapshot(copy, Some(admin()), snapshot.id.clone())
        .unwrap();
    let heap: u64 = dec(&sim.query_call(copy, admin(), "get_heap", enc(())).unwrap());
    assert_eq!(heap, 42, "the copy runs the source's code with its state");
    let info = canister_info(&mut sim, source, copy, 1);
    let last = info.recent_changes.last().unwrap();
    let Some(ic_sim::management_types::ChangeDetails::LoadSnapshot(load)) = &last.details else {
        panic!("{:?}", last.details)
    };
    assert_eq!(load.from_canister_id, Some(source));

    // A caller controlling only the target may not read another canister's snapshot.
    let stranger = Principal::from_slice(&[0x57]);
    let other = sim.create_canister_with_settings(Some(stranger), None);
    let err = sim
        .load_canister_snapshot(other, Some(stranger), snapshot.id)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);
}
