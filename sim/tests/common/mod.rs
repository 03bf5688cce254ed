//! Shared helpers: loading the test canisters built by scripts/build-canisters.sh.
#![allow(dead_code)]

use candid::{CandidType, Principal};
use ic_sim::{MessageId, Sim, SimConfig, UserError};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// The wasm of workspace package `name` from target/canisters/.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/canisters")
        .join(format!("{name}.wasm"));
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
