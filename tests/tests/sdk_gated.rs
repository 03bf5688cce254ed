//! The readiness-gated example (`example-gated`) fetching its configuration from the worker:
//! gating before ready, inspect_message, RNG seeding, init-task retries, upgrades.

use std::time::Duration;

use candid::Principal;
use canister_hooks::events::ErrorSource;
use canister_hooks::types::{Phase, StepState};
use canister_hooks_testkit::examples::{gated_init, worker_init, GatedState};
use integration_tests::canister_wasm;
use integration_tests::sdk::*;
use pocket_ic::{PocketIc, RejectCode};

/// The worker's install argument: no monitor, greeting with `greeting`.
fn worker_arg(greeting: &str) -> Vec<u8> {
    worker_init(None, Some(greeting.into()))
}

/// The gated canister's install argument: its configuration from `source`, no monitor.
fn gated_arg(source: Principal) -> Vec<u8> {
    gated_init(source, None)
}

/// A gated canister whose config source exists but has no code yet, so `fetch_config` fails
/// until [`install_source`] installs the worker there: the source and the gated canister.
fn gated_awaiting_its_source(pic: &PocketIc) -> (Principal, Principal) {
    let source = pic.create_canister();
    pic.add_cycles(source, CYCLES);
    let gated = install(pic, "example-gated", gated_arg(source));
    (source, gated)
}

/// Installs the worker, greeting with `greeting`, on the config source `source`.
fn install_source(pic: &PocketIc, source: Principal, greeting: &str) {
    let wasm = canister_wasm("example-worker");
    pic.install_canister(source, wasm, worker_arg(greeting), None);
}

fn deploy() -> (PocketIc, Principal, Principal) {
    let pic = PocketIc::new();
    let worker = install(&pic, "example-worker", worker_arg("hi"));
    let gated = install(&pic, "example-gated", gated_arg(worker));
    (pic, worker, gated)
}

#[test]
fn guarded_query_is_rejected_with_the_step_until_ready_then_served() {
    let (pic, _worker, gated) = deploy();
    let err = query::<String>(&pic, gated, "greet", ("ada",)).unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert!(
        err.reject_message.contains("initializing"),
        "{}",
        err.reject_message
    );
    assert!(
        err.reject_message.contains("seed_rng"),
        "{}",
        err.reject_message
    );

    let ready = wait_ready(&pic, gated, 60);
    assert!(ready.ready_at_ns.is_some());
    assert!(ready
        .steps
        .iter()
        .all(|s| matches!(s.state, StepState::Done(_))));
    assert_eq!(
        query::<String>(&pic, gated, "greet", ("ada",)).unwrap(),
        "hi, ada!"
    );
}

#[test]
fn inspect_message_refuses_gated_ingress_before_ready() {
    let (pic, _worker, gated) = deploy();
    let err = update::<u64>(&pic, gated, Principal::anonymous(), "draw", ()).unwrap_err();
    assert!(
        err.reject_message.contains("initializing"),
        "{}",
        err.reject_message
    );
    wait_ready(&pic, gated, 60);
    update::<u64>(&pic, gated, Principal::anonymous(), "draw", ()).unwrap();
}

#[test]
fn two_canisters_get_different_random_seeds() {
    let (pic, worker, a) = deploy();
    let b = install(&pic, "example-gated", gated_arg(worker));
    wait_ready(&pic, a, 60);
    wait_ready(&pic, b, 60);
    let x: u64 = update(&pic, a, Principal::anonymous(), "draw", ()).unwrap();
    let y: u64 = update(&pic, b, Principal::anonymous(), "draw", ()).unwrap();
    assert_ne!(x, y);
}

#[test]
fn failing_init_task_is_retried_visible_and_raised_then_succeeds() {
    let pic = PocketIc::new();
    let (source, gated) = gated_awaiting_its_source(&pic);
    settle(&pic, 40, Duration::from_secs(1));

    let r = readiness(&pic, gated);
    assert_eq!(
        r.phase,
        Phase::Initializing {
            step: "fetch_config".into()
        }
    );
    let step = &r.steps[1];
    assert!(step.attempts >= 2, "retried: {step:?}");
    assert!(step.last_error.is_some(), "error visible: {step:?}");
    let logged = recent_errors(&pic, gated);
    let entry = logged
        .iter()
        .find(|e| e.source == ErrorSource::InitTask("fetch_config".into()))
        .expect("init task failure in the error log");
    assert!(entry.count >= 2);
    assert!(
        status(&pic, gated).hooks_handled >= 1,
        "on_error ran locally"
    );

    install_source(&pic, source, "hey");
    wait_ready(&pic, gated, 400);
    assert_eq!(
        query::<String>(&pic, gated, "greet", ("bo",)).unwrap(),
        "hey, bo!"
    );
}

#[test]
fn upgrade_reruns_declared_tasks_skips_run_once_and_keeps_the_error_log() {
    let pic = PocketIc::new();
    let (source, gated) = gated_awaiting_its_source(&pic);
    settle(&pic, 5, Duration::from_secs(1)); // fetch_config fails at least once
    install_source(&pic, source, "hi");
    wait_ready(&pic, gated, 400);
    let before: GatedState = query(&pic, gated, "state_view", ()).unwrap();
    assert_eq!(before.config_fetches, 1);
    let errors_before = recent_errors(&pic, gated);
    assert!(!errors_before.is_empty());

    pic.upgrade_canister(
        gated,
        canister_wasm("example-gated"),
        candid::encode_args(()).unwrap(),
        None,
    )
    .unwrap();
    assert!(
        query::<String>(&pic, gated, "greet", ("x",)).is_err(),
        "gated again after upgrade"
    );
    let r = wait_ready(&pic, gated, 60);
    assert_eq!(r.steps[2].state, StepState::CompletedBeforeUpgrade);
    let after: GatedState = query(&pic, gated, "state_view", ()).unwrap();
    assert_eq!(after.config_fetches, 2, "fetch_config re-ran");
    assert_eq!(
        after.instance_id, before.instance_id,
        "run-once task did not re-run"
    );
    let errors_after = recent_errors(&pic, gated);
    assert!(
        errors_after.iter().any(|e| e.seq == errors_before[0].seq),
        "error log survived"
    );
}
