//! Maintenance mode, on the worker example (`example-worker`): updates refused with when and why
//! (by `inspect_message` for ingress, by the guard for calls from canisters), queries and the
//! methods kept open still served, the 503 page over HTTP, the readiness query showing the mode,
//! only monitors and controllers entering or leaving it, and the mode kept across an upgrade.

use candid::{encode_one, Principal};
use canister_hooks::types::{Maintenance, MaintenanceError};
use canister_hooks_testkit::examples::{WorkerInit, WorkerStats};
use canister_hooks_testkit::Ic;
use example_worker::{HttpRequest, HttpResponse};
use integration_tests::sdk::*;
use pocket_ic::{PocketIc, RejectCode};

const MINUTE_NS: u64 = 60_000_000_000;

/// A user principal configured as the worker's monitor (an operator's identity).
fn monitor() -> Principal {
    Principal::self_authenticating(b"the monitor")
}

/// A user who is neither a monitor nor a controller.
fn stranger() -> Principal {
    Principal::self_authenticating(b"a stranger")
}

fn deploy() -> (PocketIc, Principal) {
    let pic = PocketIc::new();
    let worker = install_ready_worker(&pic, Some(monitor()));
    (pic, worker)
}

fn submit(pic: &PocketIc, worker: Principal, values: Vec<u64>) -> Result<Vec<u64>, String> {
    update(pic, worker, Principal::anonymous(), "submit", (values,)).map_err(|e| {
        assert_eq!(e.reject_code, RejectCode::CanisterError, "{e}");
        e.reject_message
    })
}

fn http_get(pic: &PocketIc, worker: Principal) -> HttpResponse {
    let request = HttpRequest {
        method: "GET".into(),
        url: "/".into(),
        headers: vec![],
        body: vec![],
    };
    query(pic, worker, "http_request", (request,)).unwrap()
}

fn enter(pic: &PocketIc, worker: Principal, sender: Principal) -> Maintenance {
    let until = pic.time_ns() + 10 * MINUTE_NS;
    enter_maintenance(pic, worker, sender, "upgrade to v2", until)
        .unwrap()
        .unwrap()
}

#[test]
fn maintenance_refuses_updates_with_when_and_why_but_serves_queries_and_open_methods() {
    let (pic, worker) = deploy();
    let keys = submit(&pic, worker, vec![1666]).unwrap();
    let mode = enter(&pic, worker, monitor());
    assert_eq!(
        (mode.reason.as_str(), mode.entered_by),
        ("upgrade to v2", monitor())
    );

    // Ingress: inspect_message refuses it before it is charged (a trap in inspect_message).
    let refused = submit(&pic, worker, vec![1]).unwrap_err();
    assert!(
        refused.contains("in maintenance until")
            && refused.contains("(in 10 min): upgrade to v2; queries are still served"),
        "{refused}"
    );
    // From a canister (no inspect_message): the method's guard refuses it (a reject, code 4).
    let relay_id = install_relay(&pic);
    let (code, message) = relay_call(
        &pic,
        relay_id,
        worker,
        "submit",
        encode_one(vec![1u64]).unwrap(),
    )
    .unwrap_err();
    assert_eq!(code, 4, "{message}");
    assert!(message.contains("upgrade to v2"), "{message}");
    let resume = update::<()>(&pic, worker, Principal::anonymous(), "resume", ()).unwrap_err();
    assert!(
        resume.reject_message.contains("in maintenance until"),
        "{resume}"
    );

    // Queries serve; `discard` is kept open, for ingress and for canisters.
    let stats: WorkerStats = query(&pic, worker, "stats", ()).unwrap();
    assert_eq!(stats.pending, 1);
    let discarded: bool =
        update(&pic, worker, Principal::anonymous(), "discard", (keys[0],)).unwrap();
    assert!(discarded);
    relay_call(
        &pic,
        relay_id,
        worker,
        "discard",
        encode_one(99u64).unwrap(),
    )
    .unwrap();

    // Clients see the mode: readiness, status, and a 503 over HTTP.
    assert_eq!(readiness(&pic, worker).maintenance, Some(mode.clone()));
    assert_eq!(status(&pic, worker).maintenance, Some(mode.clone()));
    let page = http_get(&pic, worker);
    assert_eq!(page.status_code, 503);
    assert!(page
        .headers
        .contains(&("Retry-After".to_string(), "600".to_string())));
    assert!(String::from_utf8(page.body)
        .unwrap()
        .contains("upgrade to v2"));

    // Leaving it restores service.
    let ended = leave_maintenance(&pic, worker, monitor()).unwrap().unwrap();
    assert_eq!(ended, Some(mode));
    assert_eq!(submit(&pic, worker, vec![1]).unwrap(), vec![1]);
    assert_eq!(readiness(&pic, worker).maintenance, None);
    assert_eq!(http_get(&pic, worker).status_code, 200);
}

#[test]
fn a_stranger_may_not_enter_or_leave_maintenance_and_nothing_changes() {
    let (pic, worker) = deploy();
    let until = pic.time_ns() + MINUTE_NS;

    let ingress = enter_maintenance(&pic, worker, stranger(), "mine now", until).unwrap_err();
    assert!(
        ingress
            .reject_message
            .contains("monitor(s) and controllers only"),
        "inspect_message refuses it: {ingress}"
    );
    let relay_id = install_relay(&pic);
    let reply = relay_call(
        &pic,
        relay_id,
        worker,
        "hooks_enter_maintenance",
        candid::encode_args(("mine now", until)).unwrap(),
    )
    .unwrap();
    let refused: Result<Maintenance, MaintenanceError> = candid::decode_one(&reply).unwrap();
    assert_eq!(
        refused,
        Err(MaintenanceError::NotAllowed { caller: relay_id })
    );
    assert_eq!(readiness(&pic, worker).maintenance, None);
    submit(&pic, worker, vec![1]).unwrap();

    // Nor leave one a monitor entered.
    let mode = enter(&pic, worker, monitor());
    let reply = relay_call(
        &pic,
        relay_id,
        worker,
        "hooks_leave_maintenance",
        encode_one(()).unwrap(),
    );
    let refused: Result<Option<Maintenance>, MaintenanceError> =
        candid::decode_one(&reply.unwrap()).unwrap();
    assert_eq!(
        refused,
        Err(MaintenanceError::NotAllowed { caller: relay_id })
    );
    assert!(leave_maintenance(&pic, worker, stranger()).is_err());
    assert_eq!(readiness(&pic, worker).maintenance, Some(mode));
}

#[test]
fn a_controller_enters_maintenance_bad_requests_get_typed_errors_and_the_mode_survives_an_upgrade()
{
    let (pic, worker) = deploy();
    let controller = Principal::anonymous();
    let now = pic.time_ns();
    assert_eq!(
        enter_maintenance(&pic, worker, controller, " ", now + MINUTE_NS).unwrap(),
        Err(MaintenanceError::EmptyReason)
    );
    let past = enter_maintenance(&pic, worker, controller, "late", now).unwrap();
    assert!(
        matches!(past, Err(MaintenanceError::EndNotInFuture { .. })),
        "{past:?}"
    );
    let mode = enter(&pic, worker, controller);
    assert_eq!(mode.entered_by, controller);

    pic.upgrade_canister(
        worker,
        integration_tests::canister_wasm("example-worker"),
        encode_one(Option::<WorkerInit>::None).unwrap(),
        None,
    )
    .unwrap();
    wait_ready(&pic, worker, 60);
    assert_eq!(readiness(&pic, worker).maintenance, Some(mode.clone()));
    assert!(
        submit(&pic, worker, vec![1]).is_err(),
        "still in maintenance"
    );

    assert_eq!(
        leave_maintenance(&pic, worker, controller).unwrap(),
        Ok(Some(mode))
    );
    submit(&pic, worker, vec![1]).unwrap();
    assert_eq!(
        leave_maintenance(&pic, worker, controller).unwrap(),
        Ok(None),
        "leaving twice is harmless"
    );
}
