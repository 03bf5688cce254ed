//! Message execution: traps, responses, calls, timers, inspect_message, limits (each test names
//! the interface-specification rule it checks).

mod common;

use candid::{Decode, Encode, Principal};
use common::*;
use ic_sim::{ErrorCode, RejectCode, Sim, SimConfig};
use std::time::Duration;

#[test]
fn first_canister_id_is_pocket_ic_range_start() {
    let mut sim = Sim::new(SimConfig::default());
    assert_eq!(
        sim.create_canister().to_text(),
        "lxzze-o7777-77777-aaaaa-cai"
    );
}

#[test]
fn counter_state_persists_between_messages() {
    // Spec: "canister state ... persists between message executions" (heap and globals).
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    sim.install_canister(id, wasm("sim-test-counter"), Encode!().unwrap(), None)
        .unwrap();
    for i in 1..=3u64 {
        let r = sim
            .update_call(id, Principal::anonymous(), "inc", Encode!().unwrap())
            .unwrap();
        assert_eq!(dec::<u64>(&r), i);
    }
    let r = sim
        .query_call(id, Principal::anonymous(), "get", Encode!().unwrap())
        .unwrap();
    assert_eq!(dec::<u64>(&r), 3);
}

#[test]
fn trap_rolls_back_heap_and_stable_memory_and_is_logged() {
    // Spec: "if the execution traps, all changes to the canister state are discarded" and the
    // caller gets CANISTER_ERROR; the trap is recorded in the canister log.
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "set_heap", enc(7u64)).unwrap();
    let events_before: Vec<String> = dec(&sim.query_call(id, admin(), "events", enc(())).unwrap());
    let stable_before = sim.stable_memory(id).unwrap();
    let err = update_err(&mut sim, id, "write_then_trap", enc(99u64));
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap);
    assert_mentions(&err, &format!("Canister {id} trapped: boom"));
    assert_eq!(
        dec::<u64>(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap()),
        7
    );
    let events_after: Vec<String> = dec(&sim.query_call(id, admin(), "events", enc(())).unwrap());
    assert_eq!(events_before, events_after);
    assert_eq!(stable_before, sim.stable_memory(id).unwrap());
    let logs = sim.fetch_canister_logs(id, admin()).unwrap();
    assert!(logs
        .iter()
        .any(|r| String::from_utf8_lossy(&r.content).contains("trapped: boom")));
}

#[test]
fn query_state_changes_are_discarded() {
    // Spec: "canister_query ... any state changes are discarded".
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "set_heap", enc(5u64)).unwrap();
    assert_eq!(
        dec::<u64>(
            &sim.query_call(id, admin(), "query_writes", enc(42u64))
                .unwrap()
        ),
        42
    );
    assert_eq!(
        dec::<u64>(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap()),
        5
    );
}

#[test]
fn reply_then_trap_delivers_the_trap_not_the_reply() {
    // Spec: a trap discards the whole execution, including a reply it made.
    let (mut sim, id) = sim_with_probe();
    let err = update_err(&mut sim, id, "reply_then_trap", enc(()));
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert!(err.message.contains("trap after reply"));
}

#[test]
fn double_reply_traps() {
    // Spec: "ic0.msg_reply ... can be called at most once (a second call will trap)".
    let (mut sim, id) = sim_with_probe();
    let err = update_err(&mut sim, id, "double_reply", enc(()));
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert_mentions(&err, "msg_reply");
}

#[test]
fn explicit_reject_is_canister_reject() {
    // Spec: msg_reject gives reject code CANISTER_REJECT (4).
    let (mut sim, id) = sim_with_probe();
    let err = update_err(&mut sim, id, "reject_it", enc("nope".to_string()));
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert_eq!(err.message, "nope");
}

#[test]
fn missing_method_and_missing_canister_reject_codes() {
    // Spec: calling a method the canister does not export is CANISTER_ERROR; a call to a canister
    // that does not exist is DESTINATION_INVALID.
    let (mut sim, id) = sim_with_probe();
    let err = update_err(&mut sim, id, "no_such_method", enc(()));
    assert_eq!(
        (err.reject_code, err.error_code),
        (RejectCode::CanisterError, ErrorCode::CanisterMethodNotFound)
    );
    // Inter-canister: the probe calls a missing method of itself and a missing canister.
    let r = probe_call(&mut sim, id, id, "no_such_method", enc(()));
    assert_eq!(r.unwrap_err().0, RejectCode::CanisterError as u32);
    let ghost = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0x99, 0x99, 1, 1]);
    let r = probe_call(&mut sim, id, ghost, "x", enc(()));
    assert_eq!(r.unwrap_err().0, RejectCode::DestinationInvalid as u32);
    let err = update_err(&mut sim, ghost, "x", enc(()));
    assert_eq!(err.reject_code, RejectCode::DestinationInvalid);
}

#[test]
fn self_call_and_inter_canister_call_reply() {
    // Spec: inter-canister calls (including to self) deliver the reply to the reply callback.
    let (mut sim, id) = sim_with_probe();
    let other = add_counter(&mut sim);
    let r = probe_call(&mut sim, id, other, "inc", Encode!().unwrap());
    assert_eq!(dec::<u64>(&r.unwrap()), 1);
    sim.update_call(id, admin(), "set_heap", enc(11u64))
        .unwrap();
    let call = submit_probe_call(&mut sim, id, id, "get_heap", enc(()), Some(10));
    let r = await_probe_call(&mut sim, &call);
    assert_eq!(dec::<u64>(&r.unwrap()), 11);
}

#[test]
fn call_to_stopped_canister_is_rejected() {
    // Spec: "a stopped canister rejects calls" (CANISTER_ERROR, CanisterStopped).
    let (mut sim, id) = sim_with_probe();
    let other = add_counter(&mut sim);
    sim.stop_canister(other, Some(admin())).unwrap();
    let err = update_err(&mut sim, other, "inc", Encode!().unwrap());
    assert_eq!(err.error_code, ErrorCode::CanisterStopped);
    let r = probe_call(&mut sim, id, other, "inc", Encode!().unwrap());
    assert_eq!(r.unwrap_err().0, RejectCode::CanisterError as u32);
    sim.start_canister(other, Some(admin())).unwrap();
    assert!(sim
        .update_call(other, admin(), "inc", Encode!().unwrap())
        .is_ok());
}

#[test]
fn bounded_wait_timeout_gives_sys_unknown_and_late_reply_is_dropped() {
    // Spec: a bounded-wait call whose deadline passes is rejected with SYS_UNKNOWN; a response
    // arriving later is dropped.
    let (mut sim, _, other, msg) = probe_awaiting_silent_counter(5);
    for _ in 0..3 {
        sim.tick();
    }
    assert!(
        sim.ingress_status(&msg).is_none(),
        "still waiting before the deadline"
    );
    // The callee did execute (the reply was lost), so the counter moved.
    assert_eq!(
        dec::<u64>(
            &sim.query_call(other, admin(), "get", Encode!().unwrap())
                .unwrap()
        ),
        1
    );
    sim.advance_time(Duration::from_secs(6));
    let r: CallResult = dec(&sim.await_call(&msg).unwrap());
    assert_eq!(r.unwrap_err().0, RejectCode::SysUnknown as u32);
    sim.drop_replies_from(other, false);
    sim.tick();
    assert_eq!(sim.queued_messages(), 0);
}

#[test]
fn heartbeat_and_timer_fire() {
    // Spec: canister_heartbeat runs every round; canister_global_timer runs once time passes the
    // timer (ic-cdk-timers builds on it).
    let (mut sim, id) = sim_with_probe();
    sim.update_call(id, admin(), "start_timer", enc(10u64))
        .unwrap();
    sim.tick();
    let (hb, timers, _) = counts(&mut sim, id);
    assert!(hb >= 1);
    assert_eq!(timers, 0);
    sim.advance_time(Duration::from_secs(11));
    for _ in 0..3 {
        sim.tick();
    }
    let (hb2, timers, _) = counts(&mut sim, id);
    assert!(hb2 > hb);
    assert_eq!(timers, 1);
}

#[test]
fn inspect_message_can_reject_ingress() {
    // Spec: "canister_inspect_message ... if it does not call ic0.accept_message, the message is
    // rejected" (at submission).
    let (mut sim, id) = sim_with_probe();
    let err = sim
        .submit_call(id, admin(), "forbidden", enc(()))
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterRejectedMessage);
    assert!(sim.submit_call(id, admin(), "set_heap", enc(1u64)).is_ok());
}

#[test]
fn instruction_limit_traps_with_the_ic_message() {
    // Spec: a message exceeding its instruction limit traps (CanisterInstructionLimitExceeded).
    let mut config = SimConfig::default();
    config.limits.update = 50_000_000;
    let mut sim = Sim::new(config);
    let id = sim.create_canister_with_settings(Some(admin()), None);
    sim.install_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    let used: u64 = dec(&sim.update_call(id, admin(), "burn", enc(1000u64)).unwrap());
    assert!(used > 0, "performance_counter(0) counts instructions");
    let err = update_err(&mut sim, id, "burn", enc(100_000_000u64));
    assert_eq!(err.error_code, ErrorCode::CanisterInstructionLimitExceeded);
    assert_mentions(&err, "exceeded the limit of 50000000 instructions");
}

#[test]
fn call_fee_matches_the_fee_formula() {
    // 13-node fee schedule: a call costs 260_000 + 1_000 per byte (method + payload), and the
    // transmission of a maximal (2 MiB) reply is reserved at call time.
    let (mut sim, id) = sim_with_probe();
    let other = add_counter(&mut sim);
    let arg = Encode!().unwrap();
    let (taken, predicted) = Decode!(
        &sim.update_call(
            id,
            admin(),
            "oneway_cost",
            Encode!(&other, &"inc".to_string(), &arg).unwrap()
        )
        .unwrap(),
        u128,
        u128
    )
    .unwrap();
    let expected = 260_000 + 1_000 * (3 + arg.len() as u128) + 1_000 * 2 * 1024 * 1024;
    assert_eq!(taken, expected);
    assert_eq!(predicted, expected);
}

#[test]
fn raw_rand_is_deterministic_per_seed() {
    // raw_rand: 32 bytes from a seeded generator; same seed, same bytes.
    let (mut a, ida) = sim_with_probe();
    let (mut b, idb) = sim_with_probe();
    let ra: Vec<u8> = dec(&a.update_call(ida, admin(), "random", enc(())).unwrap());
    let rb: Vec<u8> = dec(&b.update_call(idb, admin(), "random", enc(())).unwrap());
    assert_eq!(ra.len(), 32);
    assert_eq!(ra, rb);
    let ra2: Vec<u8> = dec(&a.update_call(ida, admin(), "random", enc(())).unwrap());
    assert_ne!(ra, ra2);
}

#[test]
fn raw_rand_is_answered_in_the_next_round() {
    // On the IC, raw_rand's randomness comes from the next round: a canister awaiting it
    // resumes one round later, so a loop of raw_rand calls advances one step per round.
    let (mut sim, id) = sim_with_probe();
    let msg = sim.submit_call(id, admin(), "random", enc(())).unwrap();
    sim.tick();
    assert!(
        sim.ingress_status(&msg).is_none(),
        "answered in the round the call was made"
    );
    sim.tick();
    let bytes: Vec<u8> = dec(&sim.ingress_status(&msg).expect("answered").unwrap());
    assert_eq!(bytes.len(), 32);
}

#[test]
fn injected_rejects_and_freezing() {
    // Fault injection: the next N calls reject with the chosen code; a frozen canister rejects
    // ingress (CanisterOutOfCycles, SYS_TRANSIENT) as on the IC.
    let (mut sim, id) = sim_with_probe();
    sim.inject_rejects(
        id,
        Some("set_heap"),
        2,
        RejectCode::SysTransient,
        "injected",
    );
    for _ in 0..2 {
        let e = update_err(&mut sim, id, "set_heap", enc(1u64));
        assert_eq!(
            (e.reject_code, e.message.as_str()),
            (RejectCode::SysTransient, "injected")
        );
    }
    sim.update_call(id, admin(), "set_heap", enc(1u64)).unwrap();
    sim.freeze_canister(id, true).unwrap();
    let e = update_err(&mut sim, id, "set_heap", enc(2u64));
    assert_eq!(
        (e.reject_code, e.error_code),
        (RejectCode::SysTransient, ErrorCode::CanisterOutOfCycles)
    );
    sim.freeze_canister(id, false).unwrap();
    // Below the freezing reserve by balance: also frozen.
    let reserve = sim.freezing_reserve(id).unwrap();
    sim.set_cycle_balance(id, reserve / 2).unwrap();
    let e = update_err(&mut sim, id, "set_heap", enc(2u64));
    assert_eq!(e.error_code, ErrorCode::CanisterOutOfCycles);
}

#[test]
fn wasm_memory_limit_makes_growth_fail() {
    // Spec: wasm_memory_limit: growing the heap beyond it fails (the allocation traps).
    let (mut sim, id) = probe_with_memory_headroom(4, None);
    let e = update_err(&mut sim, id, "grow_heap", enc(64u64));
    assert_eq!(e.reject_code, RejectCode::CanisterError);
}

#[test]
fn low_wasm_memory_hook_fires_once() {
    // canister_on_low_wasm_memory runs when wasm_memory_limit - heap < wasm_memory_threshold.
    let (mut sim, id) = probe_with_memory_headroom(64, Some(32));
    sim.update_call(id, admin(), "grow_heap", enc(40u64))
        .unwrap();
    for _ in 0..3 {
        sim.tick();
    }
    let (_, _, low) = counts(&mut sim, id);
    assert_eq!(low, 1);
}

/// The probe's `counts`: heartbeats, timer runs and low-memory hook runs so far.
fn counts(sim: &mut Sim, id: Principal) -> (u64, u64, u64) {
    let bytes = sim.query_call(id, admin(), "counts", enc(())).unwrap();
    candid::decode_args(&bytes).unwrap()
}

/// A probe whose `wasm_memory_limit` is `pages` wasm pages above its heap, with a
/// `wasm_memory_threshold` of `threshold_pages` when given.
fn probe_with_memory_headroom(pages: u64, threshold_pages: Option<u64>) -> (Sim, Principal) {
    const WASM_PAGE: u64 = 65536;
    let (mut sim, id) = sim_with_probe();
    let limit = heap_size(&mut sim, id) + pages * WASM_PAGE;
    set_wasm_memory_limit(&mut sim, id, limit, threshold_pages.map(|p| p * WASM_PAGE));
    (sim, id)
}
