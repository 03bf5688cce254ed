//! Shared helpers: loading the test canisters built by scripts/build-canisters.sh.
#![allow(dead_code)]

use candid::{CandidType, Principal};
use ic_sim::management_types::{CanisterInfoArgs, CanisterInfoResult};
use ic_sim::{ErrorCode, MessageId, Sim, SimConfig, UserError};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// Where scripts/build-canisters.sh puts the wasm of workspace package `name`.
pub fn wasm_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/canisters")
        .join(format!("{name}.wasm"))
}

/// The wasm of workspace package `name` from target/canisters/.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = wasm_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}\nRun `bash scripts/build-canisters.sh` first to build the test canisters.", path.display())
    })
}

/// A controller used by tests.
pub fn admin() -> Principal {
    Principal::from_slice(&[0xad, 0x01])
}

/// A sim with the probe canister installed by `admin()`.
pub fn sim_with_probe() -> (Sim, Principal) {
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(
        id,
        wasm("sim-test-probe"),
        candid::encode_args(()).unwrap(),
        Some(admin()),
    )
    .expect("install probe");
    (sim, id)
}

/// Candid-encodes one value.
pub fn enc<T: CandidType>(v: T) -> Vec<u8> {
    candid::encode_one(v).unwrap()
}

/// Candid-decodes one value.
pub fn dec<T: CandidType + DeserializeOwned>(b: &[u8]) -> T {
    candid::decode_one(b).unwrap()
}

/// Result of the probe's `call` method.
pub type CallResult = Result<Vec<u8>, (u32, String)>;

/// Installs the counter canister (controlled by `admin()`) beside the probe.
pub fn add_counter(sim: &mut Sim) -> Principal {
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(id, wasm("sim-test-counter"), enc(()), Some(admin()))
        .expect("install counter");
    id
}

/// The argument of the probe's `call`: `method` of `target` with `arg`, bounded-wait for
/// `timeout` seconds when given.
pub fn call_arg(target: Principal, method: &str, arg: Vec<u8>, timeout: Option<u32>) -> Vec<u8> {
    candid::encode_args((target, method, arg, timeout)).unwrap()
}

/// Has `probe` call `method` of `target` with `arg` (unbounded wait) and returns what it got.
pub fn probe_call(
    sim: &mut Sim,
    probe: Principal,
    target: Principal,
    method: &str,
    arg: Vec<u8>,
) -> CallResult {
    let call = submit_probe_call(sim, probe, target, method, arg, None);
    await_probe_call(sim, &call)
}

/// What the probe's submitted `call` got.
pub fn await_probe_call(sim: &mut Sim, call: &MessageId) -> CallResult {
    dec(&sim.await_call(call).expect("the probe replies"))
}

/// The error of an update call to `id` by `admin()` that must fail.
pub fn update_err(sim: &mut Sim, id: Principal, method: &str, arg: Vec<u8>) -> UserError {
    sim.update_call(id, admin(), method, arg).unwrap_err()
}

/// Asserts that the error is the refusal of a caller that does not control the canister.
pub fn assert_invalid_controller(err: &UserError) {
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterInvalidController,
        "{}",
        err.message
    );
}

/// `canister_info` of `canister` with its last `changes` changes, as the probe `probe` gets it.
pub fn canister_info(
    sim: &mut Sim,
    probe: Principal,
    canister: Principal,
    changes: u64,
) -> CanisterInfoResult {
    let arg = enc(CanisterInfoArgs {
        canister_id: canister,
        num_requested_changes: Some(changes),
    });
    let management = Principal::management_canister();
    dec(&probe_call(sim, probe, management, "canister_info", arg).expect("canister_info replies"))
}

/// A probe (as `sim_with_probe` makes it) with an open bounded-wait call, `timeout` seconds, to
/// `inc` of a counter whose replies never arrive: the sim, the probe, the counter and the call.
pub fn probe_awaiting_silent_counter(timeout: u32) -> (Sim, Principal, Principal, MessageId) {
    let (mut sim, probe) = sim_with_probe();
    let counter = add_counter(&mut sim);
    sim.drop_replies_from(counter, true);
    let call = submit_probe_call(&mut sim, probe, counter, "inc", enc(()), Some(timeout));
    (sim, probe, counter, call)
}

/// Submits `stop_canister` of `id` by `admin()` as ingress, without waiting for it.
pub fn submit_stop(sim: &mut Sim, id: Principal) -> MessageId {
    sim.submit_ingress(ic_sim::Ingress {
        sender: admin(),
        canister_id: Principal::management_canister(),
        method: "stop_canister".into(),
        payload: enc(ic_sim::management_types::CanisterIdRecord { canister_id: id }),
        effective_canister_id: Some(id),
    })
    .expect("stop_canister is accepted")
}

/// Asserts that the error's message contains `text` (and shows the message when not).
pub fn assert_mentions(err: &UserError, text: &str) {
    assert!(err.message.contains(text), "{}", err.message);
}

/// The canister's memory size, as `canister_status` reports it to `admin()`.
pub fn memory_size(sim: &mut Sim, id: Principal) -> u64 {
    let status = sim.canister_status(id, Some(admin())).unwrap();
    status.memory_size.0.try_into().unwrap()
}

/// The canister's heap (wasm memory) size, as `canister_status` reports it to `admin()`.
pub fn heap_size(sim: &mut Sim, id: Principal) -> u64 {
    let status = sim.canister_status(id, Some(admin())).unwrap();
    status.memory_metrics.wasm_memory_size.0.try_into().unwrap()
}

/// Sets the canister's `wasm_memory_limit` (and `wasm_memory_threshold` when given) as `admin()`.
pub fn set_wasm_memory_limit(sim: &mut Sim, id: Principal, limit: u64, threshold: Option<u64>) {
    let settings = ic_sim::management_types::CanisterSettings {
        wasm_memory_limit: Some(limit.into()),
        wasm_memory_threshold: threshold.map(Into::into),
        ..Default::default()
    };
    sim.update_canister_settings(id, Some(admin()), settings)
        .unwrap();
}

/// Submits the probe's `call` of `method` of `target` (bounded-wait `timeout` seconds when given)
/// as ingress, without waiting for it.
pub fn submit_probe_call(
    sim: &mut Sim,
    probe: Principal,
    target: Principal,
    method: &str,
    arg: Vec<u8>,
    timeout: Option<u32>,
) -> MessageId {
    sim.submit_call(
        probe,
        admin(),
        "call",
        call_arg(target, method, arg, timeout),
    )
    .unwrap()
}

/// A canister whose `go` makes one call described by its argument: the cycles to attach (u64),
/// the lengths of the callee's id and of the method name (u32 each, all little-endian), then the
/// callee's id, the method name and the payload. Its callbacks reply with the reject code (0 for
/// a reply, i32), the refunded cycles (i64), then the reply bytes or the reject message. Its
/// `accept_cycles` replies empty (a target for self-calls).
const CALLER: &str = r#"(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_data_append" (func $call_data (param i32 i32)))
  (import "ic0" "call_cycles_add128" (func $cycles_add (param i64 i64)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_reject_msg_size" (func $reject_msg_size (result i32)))
  (import "ic0" "msg_reject_msg_copy" (func $reject_msg_copy (param i32 i32 i32)))
  (import "ic0" "msg_cycles_refunded" (func $refunded (result i64)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 80)
  (table 2 funcref)
  (elem (i32.const 0) $on_reply $on_reject)
  (func $answer (param $code i32) (param $size i32)
    (i32.store (i32.const 65536) (local.get $code))
    (i64.store (i32.const 65540) (call $refunded))
    (call $append (i32.const 65536) (i32.add (i32.const 12) (local.get $size)))
    (call $reply))
  (func $on_reply (param i32)
    (call $arg_copy (i32.const 65548) (i32.const 0) (call $arg_size))
    (call $answer (i32.const 0) (call $arg_size)))
  (func $on_reject (param i32)
    (call $reject_msg_copy (i32.const 65548) (i32.const 0) (call $reject_msg_size))
    (call $answer (call $reject_code) (call $reject_msg_size)))
  (func (export "canister_update accept_cycles")
    (call $reply))
  (func (export "canister_update go")
    (local $target_len i32) (local $method_len i32) (local $payload i32)
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (local.set $target_len (i32.load (i32.const 8)))
    (local.set $method_len (i32.load (i32.const 12)))
    (local.set $payload (i32.add (i32.const 16) (i32.add (local.get $target_len) (local.get $method_len))))
    (call $call_new (i32.const 16) (local.get $target_len)
      (i32.add (i32.const 16) (local.get $target_len)) (local.get $method_len)
      (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (call $call_data (local.get $payload) (i32.sub (call $arg_size) (local.get $payload)))
    (call $cycles_add (i64.const 0) (i64.load (i32.const 0)))
    (drop (call $call_perform))))"#;

/// Installs the wat caller canister (controlled by `admin()`).
pub fn add_caller(sim: &mut Sim) -> Principal {
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(id, wat::parse_str(CALLER).unwrap(), vec![], Some(admin()))
        .expect("install caller");
    id
}

/// What the caller's call got.
#[derive(Debug)]
pub struct CallerOutcome {
    /// The reject code, 0 for a reply.
    pub reject_code: u32,
    /// Cycles refunded to the caller.
    pub refunded: u64,
    /// The reply bytes, or the reject message.
    pub data: Vec<u8>,
}

/// Submits the caller canister's call of `method` of `target` with `payload`, attaching
/// `cycles`, without waiting for it ([`await_caller`] waits).
pub fn submit_from_caller(
    sim: &mut Sim,
    caller: Principal,
    target: Principal,
    method: &str,
    payload: Vec<u8>,
    cycles: u64,
) -> MessageId {
    let mut arg = cycles.to_le_bytes().to_vec();
    arg.extend_from_slice(&(target.as_slice().len() as u32).to_le_bytes());
    arg.extend_from_slice(&(method.len() as u32).to_le_bytes());
    arg.extend_from_slice(target.as_slice());
    arg.extend_from_slice(method.as_bytes());
    arg.extend_from_slice(&payload);
    sim.submit_call(caller, admin(), "go", arg).unwrap()
}

/// What the caller canister's submitted call got.
pub fn await_caller(sim: &mut Sim, call: &MessageId) -> CallerOutcome {
    let bytes = sim.await_call(call).unwrap();
    CallerOutcome {
        reject_code: u32::from_le_bytes(bytes[0..4].try_into().unwrap()),
        refunded: u64::from_le_bytes(bytes[4..12].try_into().unwrap()),
        data: bytes[12..].to_vec(),
    }
}
