//! `minimum_incoming_canister_call_cycles` (IC interface specification 0.64, `canister_settings`
//! and "Calls with insufficient cycles are rejected"): calls from other canisters attaching fewer
//! cycles are rejected with CANISTER_ERROR and refunded; ingress and self-calls are exempt.

mod common;

use candid::Principal;
use common::*;
use ic_sim::management_types::CanisterSettings;
use ic_sim::{RejectCode, Sim, SimConfig};

/// Has the caller canister call `accept_cycles` of `target` attaching `cycles`; returns the
/// reject code (0 for a reply), the refund and the reject message.
fn call_with_cycles(
    sim: &mut Sim,
    caller: Principal,
    target: Principal,
    cycles: u64,
) -> (u32, u64, String) {
    let call = submit_from_caller(sim, caller, target, "accept_cycles", enc(()), cycles);
    let out = await_caller(sim, &call);
    let message = String::from_utf8_lossy(&out.data).into_owned();
    (out.reject_code, out.refunded, message)
}

/// Sets `minimum_incoming_canister_call_cycles` of `id` as `admin()`.
fn set_minimum(sim: &mut Sim, id: Principal, minimum: u64) {
    let settings = CanisterSettings {
        minimum_incoming_canister_call_cycles: Some(minimum.into()),
        ..Default::default()
    };
    sim.update_canister_settings(id, Some(admin()), settings)
        .unwrap();
}

#[test]
fn the_minimum_is_zero_by_default_and_canister_status_reports_it() {
    let (mut sim, id) = sim_with_probe();
    let status = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(status.settings.minimum_incoming_canister_call_cycles, 0u64);
    set_minimum(&mut sim, id, 1_000_000);
    let status = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(
        status.settings.minimum_incoming_canister_call_cycles,
        1_000_000u64
    );
}

#[test]
fn a_call_attaching_fewer_cycles_is_rejected_and_refunded() {
    let mut sim = Sim::new(SimConfig::default());
    let caller = add_caller(&mut sim);
    let target = add_caller(&mut sim); // no heartbeat: its balance moves only by calls
    set_minimum(&mut sim, target, 1_000_000);
    let balance_before = sim.cycle_balance(target).unwrap();
    let (code, refunded, message) = call_with_cycles(&mut sim, caller, target, 999_999);
    assert_eq!(code, RejectCode::CanisterError as u32);
    assert_eq!(refunded, 999_999, "all attached cycles are refunded");
    assert!(message.contains("requires at least 1000000"), "{message}");
    let balance_after = sim.cycle_balance(target).unwrap();
    assert_eq!(balance_after, balance_before, "the callee pays nothing");
}

#[test]
fn a_call_attaching_the_minimum_is_executed() {
    let (mut sim, target) = sim_with_probe();
    let caller = add_caller(&mut sim);
    set_minimum(&mut sim, target, 1_000_000);
    let (code, refunded, message) = call_with_cycles(&mut sim, caller, target, 1_000_000);
    assert_eq!(code, 0, "{message}");
    assert_eq!(refunded, 0, "the probe's accept_cycles keeps them all");
}

#[test]
fn ingress_and_self_calls_are_exempt() {
    let (mut sim, target) = sim_with_probe();
    set_minimum(&mut sim, target, 1_000_000);
    sim.update_call(target, admin(), "accept_cycles", enc(()))
        .expect("ingress is not subject to the minimum");
    let caller = add_caller(&mut sim);
    set_minimum(&mut sim, caller, 1_000_000);
    let (code, _, message) = call_with_cycles(&mut sim, caller, caller, 0);
    assert_eq!(code, 0, "{message}");
}

#[test]
fn a_call_attaching_no_cycles_is_rejected_when_a_minimum_is_set() {
    // The probe's `call` attaches no cycles.
    let (mut sim, probe) = sim_with_probe();
    let counter = add_counter(&mut sim);
    set_minimum(&mut sim, counter, 1);
    let (code, message) = probe_call(&mut sim, probe, counter, "inc", enc(())).unwrap_err();
    assert_eq!(code, RejectCode::CanisterError as u32);
    assert!(message.contains("transferred cycles"), "{message}");
}
