//! The upgrade guard and tracked calls, on two load canisters (`example-load`): the caller makes a
//! tracked call (`call_out`) to a hook of a target told to hang (`Slow`), so a response is owed.
//! While it is, `hooks_status` names the call and an upgrade is refused by `guard_upgrade` with a
//! message naming it and the two ways out; `skip_pre_upgrade` forces the upgrade past it; once
//! the call has completed a normal upgrade goes through.

use std::time::Duration;

use candid::{encode_args, encode_one, Principal};
use canister_hooks::events::{ErrorEvent, ErrorSource, EventOrigin};
use canister_hooks::types::CallsInFlight;
use canister_hooks_testkit::examples::{load_init, HookMode};
use integration_tests::sdk::*;
use pocket_ic::PocketIc;

const CONTROLLER: Principal = Principal::anonymous();

/// A caller and a hanging target (whose hooks the caller may call), the caller's tracked call to
/// the target's `on_error` sent and awaiting its answer.
struct Scene {
    pic: PocketIc,
    caller: Principal,
    target: Principal,
    call: pocket_ic::common::rest::RawMessageId,
}

fn error_event(id: u64) -> ErrorEvent {
    ErrorEvent {
        id,
        origin: EventOrigin::SelfRaised,
        source: ErrorSource::System("scenario".into()),
        message: "a failure to report".into(),
        reject_code: None,
        time_ns: 0,
        count: 1,
    }
}

fn call_out_arg(target: Principal, id: u64) -> Vec<u8> {
    encode_args((target, "on_error", encode_one(error_event(id)).unwrap())).unwrap()
}

/// Two load canisters, ready: a caller, and a target whose hooks the caller may call.
fn caller_and_target() -> (PocketIc, Principal, Principal) {
    let pic = PocketIc::new();
    let caller = install(&pic, "example-load", load_init(None));
    let target = install(&pic, "example-load", load_init(Some(caller)));
    wait_ready(&pic, caller, 20);
    wait_ready(&pic, target, 20);
    (pic, caller, target)
}

fn hanging_call() -> Scene {
    let (pic, caller, target) = caller_and_target();
    set_hook_mode(&pic, target, CONTROLLER, HookMode::Slow(u32::MAX));
    let call = pic
        .submit_call(caller, CONTROLLER, "call_out", call_out_arg(target, 1))
        .unwrap();
    settle(&pic, 3, Duration::from_secs(1));
    assert!(pic.ingress_status(call.clone()).is_none(), "the call hangs");
    Scene {
        pic,
        caller,
        target,
        call,
    }
}

fn upgrade_caller(s: &Scene, skip_pre_upgrade: bool) -> Result<(), pocket_ic::RejectResponse> {
    upgrade(
        &s.pic,
        s.caller,
        "example-load",
        load_init(None),
        CONTROLLER,
        skip_pre_upgrade,
    )
}

#[test]
fn an_upgrade_is_refused_while_a_tracked_call_awaits_and_goes_through_once_it_completed() {
    let s = hanging_call();
    assert_eq!(
        status(&s.pic, s.caller).calls_in_flight,
        [CallsInFlight {
            callee: s.target,
            method: "on_error".into(),
            count: 1
        }]
    );

    let refused = upgrade_caller(&s, false).unwrap_err().reject_message;
    assert!(
        refused.contains("upgrade refused: 1 outgoing call(s) await responses")
            && refused.contains(&format!("1 to {}.on_error", s.target)),
        "names how many and to what: {refused}"
    );
    assert!(
        refused.contains("Stop the canister first") && refused.contains("skip_pre_upgrade"),
        "tells the two ways out: {refused}"
    );
    assert_eq!(
        status(&s.pic, s.caller).calls_in_flight.len(),
        1,
        "the refused upgrade changed nothing"
    );

    // The target answers: the call completes and stops counting.
    set_hook_mode(&s.pic, s.target, CONTROLLER, HookMode::Normal);
    let reply = s.pic.await_call(s.call.clone()).unwrap();
    let answered: Result<Vec<u8>, String> = candid::decode_one(&reply).unwrap();
    assert!(answered.is_ok(), "{answered:?}");
    let after = status(&s.pic, s.caller);
    assert!(after.calls_in_flight.is_empty(), "{after:?}");

    // A one-way call is counted as such and never blocks an upgrade.
    let sent: Result<(), String> = s
        .pic
        .update_call(
            s.caller,
            CONTROLLER,
            "notify_out",
            call_out_arg(s.target, 2),
        )
        .map(|bytes| candid::decode_one(&bytes).unwrap())
        .unwrap();
    sent.unwrap();
    let after = status(&s.pic, s.caller);
    assert_eq!(
        (after.calls_in_flight.len(), after.one_way_calls_sent),
        (0, 1)
    );

    upgrade_caller(&s, false).expect("nothing in flight: the upgrade goes through");
    wait_ready(&s.pic, s.caller, 20);
}

#[test]
fn skip_pre_upgrade_forces_the_upgrade_past_the_guard() {
    let s = hanging_call();
    assert!(upgrade_caller(&s, false).is_err());
    upgrade_caller(&s, true).expect("skip_pre_upgrade bypasses the guard");
    wait_ready(&s.pic, s.caller, 20);
    assert!(
        status(&s.pic, s.caller).calls_in_flight.is_empty(),
        "the new code starts counting afresh"
    );
}

#[test]
fn a_call_ends_its_count_when_rejected_or_when_the_caller_traps_after_it() {
    let (pic, caller, target) = caller_and_target();

    let rejected: Result<Vec<u8>, String> = update(
        &pic,
        caller,
        CONTROLLER,
        "call_out",
        (target, "no_such_method", encode_one(()).unwrap()),
    )
    .unwrap();
    assert!(rejected.is_err(), "{rejected:?}");
    assert!(
        status(&pic, caller).calls_in_flight.is_empty(),
        "a reject ends the count"
    );

    // The trap after the answer rolls the callback back; the cleanup that follows drops the
    // call's future, which ends the count.
    let trapped = pic
        .update_call(
            caller,
            CONTROLLER,
            "call_out_then_trap",
            call_out_arg(target, 3),
        )
        .unwrap_err();
    assert!(
        trapped
            .reject_message
            .contains("told to trap after its call (answered)"),
        "{trapped}"
    );
    assert!(
        status(&pic, caller).calls_in_flight.is_empty(),
        "a trap after the call ends the count: {:?}",
        status(&pic, caller)
    );
    upgrade(
        &pic,
        caller,
        "example-load",
        load_init(None),
        CONTROLLER,
        false,
    )
    .expect("nothing is left in flight");
}
