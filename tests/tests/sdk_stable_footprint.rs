//! The SDK's stable-memory footprint, read from `canister_status`'s memory metrics: an SDK
//! canister's own structures fit in one `MemoryManager` bucket when idle, and still after an
//! error-log entry and a delivered hook.

use std::time::Duration;

use candid::{encode_args, Principal};
use canister_hooks::types::AdminError;
use integration_tests::sdk::*;
use pocket_ic::PocketIc;

/// A wasm page, and the `MemoryManager` header at the start of stable memory (one page).
const PAGE: u64 = 64 * 1024;
/// One `MemoryManager` bucket (128 pages).
const BUCKET: u64 = 128 * PAGE;
/// Buckets the worker's own memories take (`MemoryId` 0: jobs, 1: ledger).
const WORKER_APP_BUCKETS: u64 = 2;

/// A user made the canister's monitor, so it may deliver a hook by ingress.
fn monitor() -> Principal {
    Principal::from_slice(&[0x42; 29])
}

/// Makes [`monitor`] the canister's monitor (which writes the SDK's config).
fn set_monitor(pic: &PocketIc, canister: Principal) {
    let set: Result<(), AdminError> = update(
        pic,
        canister,
        Principal::anonymous(),
        "hooks_set_monitors",
        (vec![monitor()],),
    )
    .unwrap();
    set.unwrap();
}

/// Stable memory bytes of `canister`, from `canister_status`.
fn stable_bytes(pic: &PocketIc, canister: Principal) -> u64 {
    let status = pic.canister_status(canister, None).unwrap();
    u64::try_from(&status.memory_metrics.stable_memory_size.0).unwrap()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[test]
fn an_idle_sdk_only_canister_holds_one_bucket() {
    let pic = PocketIc::new();
    let canister = install(&pic, "bench-timers-hooks", encode_args(()).unwrap());
    wait_ready(&pic, canister, 60);
    set_monitor(&pic, canister);
    let stable = stable_bytes(&pic, canister);
    eprintln!(
        "idle bench-timers-hooks with a monitor: {:.3} MiB stable",
        mib(stable)
    );
    assert!(
        stable <= PAGE + BUCKET,
        "{stable} bytes: more than the manager header and one bucket"
    );
}

#[test]
fn the_sdk_stays_in_one_bucket_after_an_error_and_a_hook() {
    let pic = PocketIc::new();
    let worker = install_ready_worker(&pic, Some(monitor()));
    let sdk_bytes = |pic: &PocketIc| stable_bytes(pic, worker) - PAGE - WORKER_APP_BUCKETS * BUCKET;
    let idle = sdk_bytes(&pic);

    let poison: Vec<u64> = update(
        &pic,
        worker,
        Principal::anonymous(),
        "submit",
        (vec![1666u64],),
    )
    .unwrap();
    settle(&pic, 3, Duration::from_secs(2));
    assert!(
        !recent_errors(&pic, worker).is_empty(),
        "the poison job's trap is logged"
    );
    let discarded: bool = update(
        &pic,
        worker,
        Principal::anonymous(),
        "discard",
        (poison[0],),
    )
    .unwrap();
    assert!(discarded);
    let after_error = sdk_bytes(&pic);

    let handled = status(&pic, worker).hooks_handled;
    let event = low_cycles_event(1, monitor());
    let _: () = update(&pic, worker, monitor(), "on_low_cycles", (event,)).unwrap();
    assert_eq!(
        status(&pic, worker).hooks_handled,
        handled + 1,
        "the hook ran"
    );
    let after_hook = sdk_bytes(&pic);

    eprintln!(
        "example-worker, SDK share of stable memory: idle {:.3} MiB, after an error {:.3} MiB, after a hook {:.3} MiB",
        mib(idle),
        mib(after_error),
        mib(after_hook)
    );
    for (when, bytes) in [
        ("idle", idle),
        ("after an error", after_error),
        ("after a hook", after_hook),
    ] {
        assert!(
            bytes <= BUCKET,
            "{when}: the SDK holds {bytes} bytes, more than one bucket"
        );
    }
}
