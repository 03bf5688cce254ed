//! Low-level engine behaviour with hand-written modules (WAT): rollback of globals and grown
//! memory, the `(start)` function, and the System API availability table.

mod common;

use candid::Principal;
use common::assert_mentions;
use ic_sim::{ErrorCode, RejectCode, Sim, SimConfig};

const MODULE: &str = r#"(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "performance_counter" (func $perf (param i32) (result i64)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (global $started (mut i32) (i32.const 0))
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (start $start)
  (func $reply_i32s (param i32 i32 i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 4) (local.get 1))
    (i32.store (i32.const 8) (local.get 2))
    (call $append (i32.const 0) (i32.const 12))
    (call $reply))
  (func (export "canister_update grow_and_trap")
    (drop (memory.grow (i32.const 2)))
    (global.set $g (i32.const 5))
    unreachable)
  (func (export "canister_update set")
    (global.set $g (i32.const 7))
    (call $reply_i32s (memory.size) (global.get $g) (global.get $started)))
  (func (export "canister_query read")
    (call $reply_i32s (memory.size) (global.get $g) (global.get $started)))
  (func (export "canister_update perf")
    (call $reply_i32s (i32.wrap_i64 (call $perf (i32.const 0))) (i32.const 0) (i32.const 0)))
)"#;

fn ints(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn setup(wat: &str) -> (Sim, Principal) {
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    sim.install_canister(id, wat::parse_str(wat).unwrap(), vec![], None)
        .unwrap();
    (sim, id)
}

#[test]
fn trap_rolls_back_globals_and_memory_growth_and_start_runs_once() {
    // Spec: a trap discards all state changes (globals and memory size included); the (start)
    // function runs once, at installation.
    let (mut sim, id) = setup(MODULE);
    let anon = Principal::anonymous();
    assert_eq!(
        ints(&sim.update_call(id, anon, "set", vec![]).unwrap()),
        vec![1, 7, 1]
    );
    let err = sim
        .update_call(id, anon, "grow_and_trap", vec![])
        .unwrap_err();
    assert_eq!(
        (err.reject_code, err.error_code),
        (RejectCode::CanisterError, ErrorCode::CanisterTrapped)
    );
    assert!(
        err.message.ends_with("trapped: unreachable"),
        "{}",
        err.message
    );
    assert_eq!(
        ints(&sim.query_call(id, anon, "read", vec![]).unwrap()),
        vec![1, 7, 1]
    );
}

#[test]
fn performance_counter_counts_instructions() {
    // Spec: performance_counter(0) is the number of instructions executed in this message.
    let (mut sim, id) = setup(MODULE);
    let n = ints(
        &sim.update_call(id, Principal::anonymous(), "perf", vec![])
            .unwrap(),
    )[0];
    assert!(n > 0 && n < 1000, "{n}");
}

#[test]
fn system_api_outside_its_context_traps() {
    // Spec availability table: "ic0.msg_reply ... // U RQ NRQ TQ CQ Ry Rt CRy CRt" — calling it
    // from canister_init traps, failing the installation.
    let wat = r#"(module
      (import "ic0" "msg_reply" (func $reply))
      (memory 1)
      (func (export "canister_init") (call $reply)))"#;
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    let err = sim
        .install_canister(id, wat::parse_str(wat).unwrap(), vec![], None)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert_mentions(&err, "\"ic0_msg_reply\" cannot be executed in init mode");
    // The failed installation leaves the canister empty.
    assert!(sim.canister_status(id, None).unwrap().module_hash.is_none());
}

#[test]
fn update_without_reply_is_canister_error() {
    // Spec: a call context that closes without a response is rejected (CANISTER_ERROR).
    let (mut sim, id) = setup(r#"(module (memory 1) (func (export "canister_update silent")))"#);
    let err = sim
        .update_call(id, Principal::anonymous(), "silent", vec![])
        .unwrap_err();
    assert_eq!(
        (err.reject_code, err.error_code),
        (RejectCode::CanisterError, ErrorCode::CanisterDidNotReply)
    );
}

/// Records the first byte of each `rec` argument; `list` replies with the record.
const RECORDER: &str = r#"(module
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "canister_update rec")
    (call $arg_copy (i32.add (i32.const 100) (global.get $n)) (i32.const 0) (i32.const 1))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (call $reply))
  (func (export "canister_query list")
    (call $append (i32.const 100) (global.get $n))
    (call $reply)))"#;

/// `go(callee)` sends `rec(1)`, `rec(2)`, `rec(3)` to the callee in one message, then replies.
const SENDER: &str = r#"(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_data_append" (func $call_append (param i32 i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $noop)
  (data (i32.const 50) "rec")
  (data (i32.const 60) "\01\02\03")
  (func $noop (param i32))
  (func $send (param $byte i32)
    (call $call_new (i32.const 0) (call $arg_size) (i32.const 50) (i32.const 3)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $call_append (local.get $byte) (i32.const 1))
    (drop (call $call_perform)))
  (func (export "canister_update go")
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (call $send (i32.const 60))
    (call $send (i32.const 61))
    (call $send (i32.const 62))
    (call $reply)))"#;

#[test]
fn requests_between_two_canisters_arrive_in_order() {
    // Spec: requests from one canister to another are delivered in the order they were made.
    let mut sim = Sim::new(SimConfig::default());
    let anon = Principal::anonymous();
    let recorder = sim.create_canister();
    sim.install_canister(recorder, wat::parse_str(RECORDER).unwrap(), vec![], None)
        .unwrap();
    let sender = sim.create_canister();
    sim.install_canister(sender, wat::parse_str(SENDER).unwrap(), vec![], None)
        .unwrap();
    sim.update_call(sender, anon, "go", recorder.as_slice().to_vec())
        .unwrap();
    for _ in 0..3 {
        sim.tick();
    }
    assert_eq!(
        sim.query_call(recorder, anon, "list", vec![]).unwrap(),
        vec![1, 2, 3]
    );
}
