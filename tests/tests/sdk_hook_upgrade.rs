//! A hook handler interrupted by an upgrade: the SDK's dedupe window must not keep the event
//! "in progress" forever, or every redelivery would be refused and the event could never land.

use std::time::Duration;

use candid::{encode_one, Principal};
use canister_hooks_testkit::examples::{load_init, HookMode};
use integration_tests::canister_wasm;
use integration_tests::sdk::*;
use pocket_ic::PocketIc;

#[test]
fn an_event_whose_handler_was_cut_short_by_an_upgrade_is_handled_on_redelivery() {
    let pic = PocketIc::new();
    let monitor = Principal::self_authenticating(b"a monitor");
    let init = || load_init(Some(monitor));
    let load = install(&pic, "example-load", init());
    wait_ready(&pic, load, 20);
    set_hook_mode(&pic, load, monitor, HookMode::Slow(u32::MAX));
    let event = low_cycles_event(7, monitor);
    let hanging = pic
        .submit_call(load, monitor, "on_low_cycles", encode_one(&event).unwrap())
        .unwrap();
    settle(&pic, 3, Duration::from_secs(1));
    assert!(
        pic.ingress_status(hanging.clone()).is_none(),
        "the handler waits"
    );
    let refused = update::<()>(&pic, load, monitor, "on_low_cycles", (&event,)).unwrap_err();
    assert!(
        refused
            .reject_message
            .contains("being handled by an earlier delivery"),
        "{}",
        refused.reject_message
    );

    pic.upgrade_canister(load, canister_wasm("example-load"), init(), None)
        .unwrap();
    wait_ready(&pic, load, 20);
    set_hook_mode(&pic, load, monitor, HookMode::Normal);
    let handled_before = status(&pic, load).hooks_handled;

    update::<()>(&pic, load, monitor, "on_low_cycles", (&event,))
        .expect("the redelivery after the upgrade runs the handler");
    let after = status(&pic, load);
    assert_eq!(after.hooks_handled, handled_before + 1);
    update::<()>(&pic, load, monitor, "on_low_cycles", (&event,)).unwrap();
    let again = status(&pic, load);
    assert_eq!(again.hooks_handled, after.hooks_handled, "now it is done");
    assert_eq!(again.duplicates_dropped, after.duplicates_dropped + 1);
}
