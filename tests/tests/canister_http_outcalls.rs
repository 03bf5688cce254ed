//! Canister HTTPS outcalls through the `pocket-ic` client's own methods: a canister's
//! `http_request` shows up in `get_canister_http` after the rounds that make it, and
//! `mock_canister_http_response` answers it (success through the transform, an error status, a
//! timeout, an oversized body).

use candid::{decode_args, encode_args, Principal};
use ic_management_canister_types::{
    HttpHeader, HttpMethod, HttpRequestArgs, HttpRequestResult, TransformContext, TransformFunc,
};
use integration_tests::canister_wasm;
use pocket_ic::common::rest::{
    CanisterHttpHeader, CanisterHttpMethod, CanisterHttpReject, CanisterHttpReplication,
    CanisterHttpReply, CanisterHttpRequest, CanisterHttpResponse, MockCanisterHttpResponse,
};
use pocket_ic::PocketIc;

/// Cycles attached to each outcall (more than any fee here; the rest is refunded).
const ATTACHED: u128 = 1_000_000_000_000;

/// What the probe's `outcall` got: the result (or reject code and message) and the refund.
type Outcome = (Result<HttpRequestResult, (u32, String)>, u128);

/// An instance with the engine tests' probe canister installed.
fn probe() -> (PocketIc, Principal) {
    let pic = PocketIc::new();
    let id = pic.create_canister();
    pic.add_cycles(id, 10 * ATTACHED);
    pic.install_canister(
        id,
        canister_wasm("sim-test-probe"),
        encode_args(()).unwrap(),
        None,
    );
    (pic, id)
}

/// A non-replicated POST of a webhook with a 1,000-byte response limit; `transform` names the
/// probe's transform function when given.
fn webhook(probe: Principal, transform: Option<&str>) -> HttpRequestArgs {
    HttpRequestArgs {
        url: "https://hooks.example.com/t/secret".into(),
        max_response_bytes: Some(1_000),
        method: HttpMethod::POST,
        headers: vec![HttpHeader {
            name: "idempotency-key".into(),
            value: "event-7".into(),
        }],
        body: Some(b"{\"event\":7}".to_vec()),
        transform: transform.map(|method| TransformContext {
            function: TransformFunc(candid::Func {
                principal: probe,
                method: method.into(),
            }),
            context: b"ctx".to_vec(),
        }),
        is_replicated: Some(false),
        ..Default::default()
    }
}

/// Has the probe make outcall `args`, ticks until it is pending, and returns the call and the
/// pending request.
fn make_outcall(
    pic: &PocketIc,
    probe: Principal,
    args: &HttpRequestArgs,
) -> (pocket_ic::common::rest::RawMessageId, CanisterHttpRequest) {
    let arg = encode_args((args, ATTACHED)).unwrap();
    let call = pic
        .submit_call(probe, Principal::anonymous(), "outcall", arg)
        .unwrap();
    // As on PocketIC: one round executes the canister's call, one more the management canister's.
    pic.tick();
    pic.tick();
    let mut pending = pic.get_canister_http();
    assert_eq!(pending.len(), 1, "{pending:?}");
    (call, pending.remove(0))
}

/// Answers `request` with `response` and returns what the probe got.
fn answer(
    pic: &PocketIc,
    call: pocket_ic::common::rest::RawMessageId,
    request: &CanisterHttpRequest,
    response: CanisterHttpResponse,
) -> Outcome {
    pic.mock_canister_http_response(MockCanisterHttpResponse {
        subnet_id: request.subnet_id,
        request_id: request.request_id,
        response,
        additional_responses: vec![],
    });
    assert!(
        pic.get_canister_http().is_empty(),
        "answered: no longer pending"
    );
    decode_args(&pic.await_call(call).unwrap()).unwrap()
}

fn reply(status: u16, body: &[u8]) -> CanisterHttpResponse {
    CanisterHttpResponse::CanisterHttpReply(CanisterHttpReply {
        status,
        headers: vec![CanisterHttpHeader {
            name: "content-type".into(),
            value: "text/plain".into(),
        }],
        body: body.to_vec(),
    })
}

#[test]
fn pending_outcalls_are_listed_and_answered_with_mock_responses() {
    let (pic, probe) = probe();

    // Success, through the transform (which the management canister calls).
    let (call, request) = make_outcall(&pic, probe, &webhook(probe, Some("transform")));
    assert_eq!(request.url, "https://hooks.example.com/t/secret");
    assert_eq!(request.http_method, CanisterHttpMethod::POST);
    assert_eq!(request.body, b"{\"event\":7}");
    assert_eq!(request.max_response_bytes, Some(1_000));
    assert_eq!(request.replication, CanisterHttpReplication::NonReplicated);
    assert_eq!(request.headers[0].value, "event-7");
    assert_eq!(Some(request.subnet_id), pic.get_subnet(probe));
    let (result, refunded) = answer(&pic, call, &request, reply(200, b"delivered"));
    let result = result.unwrap();
    assert_eq!(result.status, 200u16);
    assert!(result.headers.is_empty(), "the transform drops them");
    assert_eq!(result.body, b"ctx|aaaaa-aa|0|delivered");
    assert!(
        refunded > 0 && refunded < ATTACHED,
        "the fee is kept, the rest refunded"
    );

    // An error status is a reply like any other.
    let (call, request) = make_outcall(&pic, probe, &webhook(probe, None));
    let (result, _) = answer(&pic, call, &request, reply(500, b"oops"));
    let result = result.unwrap();
    assert_eq!(
        (result.status, result.body),
        (500u16.into(), b"oops".to_vec())
    );

    // A timeout: the call is rejected with the mocked code and message.
    let (call, request) = make_outcall(&pic, probe, &webhook(probe, None));
    let timeout = CanisterHttpResponse::CanisterHttpReject(CanisterHttpReject {
        reject_code: 2,
        message: "Canister http request timed out".into(),
    });
    let (result, _) = answer(&pic, call, &request, timeout);
    assert_eq!(
        result.unwrap_err(),
        (2, "Canister http request timed out".into())
    );

    // A body over max_response_bytes: SYS_FATAL, as on the IC.
    let (call, request) = make_outcall(&pic, probe, &webhook(probe, None));
    let (result, _) = answer(&pic, call, &request, reply(200, &[b'x'; 1_001]));
    let (code, message) = result.unwrap_err();
    assert_eq!(code, 1);
    assert_eq!(message, "Http body exceeds size limit of 1000 bytes.");
}
