//! HTTPS outcalls (the management canister's `http_request`): the probe makes an outcall, the
//! test answers it as the driver (`pending_outcalls`, `answer_outcall`), and the probe reports
//! what it received and the cycles refunded.

mod common;

use candid::Principal;
use common::*;
use ic_sim::management_types::{
    HttpHeader, HttpMethod, HttpRequestArgs, HttpRequestResult, TransformContext, TransformFunc,
};
use ic_sim::{cycles, Ingress, MessageId, OutcallError, OutcallResponse, RejectCode, Sim};

/// What the probe's `outcall` got: the result (or reject code and message) and the refund.
type Outcome = (Result<HttpRequestResult, (u32, String)>, u128);

/// Cycles the tests attach beyond the fee (they come back as the refund).
const EXTRA: u128 = 1_000_000;

const URL: &str = "https://example.com/hook?token=secret";

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader {
        name: name.into(),
        value: value.into(),
    }
}

/// A replicated GET of `URL` with a 1,000-byte response limit and no transform.
fn get() -> HttpRequestArgs {
    HttpRequestArgs {
        url: URL.into(),
        max_response_bytes: Some(1_000),
        method: HttpMethod::GET,
        headers: vec![header("accept", "application/json")],
        ..Default::default()
    }
}

/// `args` with the probe's transform `method` and `context`.
fn with_transform(
    args: HttpRequestArgs,
    probe: Principal,
    method: &str,
    context: &[u8],
) -> HttpRequestArgs {
    HttpRequestArgs {
        transform: Some(TransformContext {
            function: TransformFunc(candid::Func {
                principal: probe,
                method: method.into(),
            }),
            context: context.to_vec(),
        }),
        ..args
    }
}

/// The fee of `args` by the spec's formula (request size: URL, headers, body, transform).
fn fee(args: &HttpRequestArgs) -> u128 {
    let headers: usize = args
        .headers
        .iter()
        .map(|h| h.name.len() + h.value.len())
        .sum();
    let transform = args
        .transform
        .as_ref()
        .map_or(0, |t| t.function.0.method.len() + t.context.len());
    let size = args.url.len() + headers + args.body.as_ref().map_or(0, Vec::len) + transform;
    let limit = args
        .max_response_bytes
        .unwrap_or(cycles::MAX_HTTP_RESPONSE_BYTES);
    cycles::http_request_fee(size as u64, limit)
}

/// Has the probe make outcall `args` attaching `attached` cycles (as ingress, not awaited).
fn submit(sim: &mut Sim, probe: Principal, args: &HttpRequestArgs, attached: u128) -> MessageId {
    let arg = candid::encode_args((args, attached)).unwrap();
    sim.submit_call(probe, admin(), "outcall", arg).unwrap()
}

/// What the probe's `outcall` got.
fn outcome(sim: &mut Sim, call: &MessageId) -> Outcome {
    candid::decode_args(&sim.await_call(call).unwrap()).unwrap()
}

/// Makes outcall `args` (attaching its fee and `EXTRA`), waits a round for it to be pending, and
/// answers it with `response`: what the probe got.
fn answered(
    sim: &mut Sim,
    probe: Principal,
    args: &HttpRequestArgs,
    response: OutcallResponse,
) -> Outcome {
    let call = submit(sim, probe, args, fee(args) + EXTRA);
    sim.tick();
    let pending = sim.pending_outcalls();
    assert_eq!(pending.len(), 1, "the outcall is pending after the round");
    sim.answer_outcall(pending[0].id, response).unwrap();
    outcome(sim, &call)
}

/// The reject code and message of an outcall that must fail.
fn rejected(outcome: Outcome) -> (u32, String) {
    outcome.0.expect_err("the outcall is rejected")
}

#[test]
fn a_pending_outcall_shows_the_request_as_the_canister_made_it() {
    let (mut sim, probe) = sim_with_probe();
    let args = HttpRequestArgs {
        method: HttpMethod::POST,
        body: Some(b"{\"event\":1}".to_vec()),
        is_replicated: Some(false),
        ..with_transform(get(), probe, "transform", b"ctx")
    };
    let call = submit(&mut sim, probe, &args, fee(&args) + EXTRA);
    assert!(
        sim.pending_outcalls().is_empty(),
        "not before the round runs"
    );
    sim.tick();
    let pending = sim.pending_outcalls();
    assert_eq!(pending.len(), 1);
    let outcall = &pending[0];
    assert_eq!(outcall.caller, probe);
    assert_eq!(outcall.url, URL);
    assert_eq!(outcall.method, HttpMethod::POST);
    assert_eq!(outcall.headers, args.headers);
    assert_eq!(outcall.body, b"{\"event\":1}");
    assert_eq!(outcall.max_response_bytes, Some(1_000));
    assert!(!outcall.is_replicated);
    assert_eq!(outcall.transform, args.transform);
    assert_eq!(outcall.fee, fee(&args));
    assert_eq!(outcall.requested_at_ns, sim.time_ns());
    assert!(
        sim.ingress_status(&call).is_none(),
        "the call waits for the answer"
    );
}

#[test]
fn a_reply_passes_through_the_transform_called_by_the_management_canister() {
    let (mut sim, probe) = sim_with_probe();
    let args = with_transform(get(), probe, "transform", b"ctx");
    let reply = OutcallResponse::reply(200, vec![header("date", "today")], b"hello".to_vec());
    let (result, refunded) = answered(&mut sim, probe, &args, reply);
    let result = result.unwrap();
    assert_eq!(result.status, 200u16);
    assert!(result.headers.is_empty(), "the transform dropped them");
    assert_eq!(result.body, b"ctx|aaaaa-aa|0|hello");
    assert_eq!(
        refunded, EXTRA,
        "the attached cycles beyond the fee come back"
    );
}

#[test]
fn without_a_transform_an_error_status_arrives_as_the_server_sent_it() {
    let (mut sim, probe) = sim_with_probe();
    let headers = vec![header("retry-after", "30")];
    let reply = OutcallResponse::reply(503, headers.clone(), b"busy".to_vec());
    let (result, _) = answered(&mut sim, probe, &get(), reply);
    let result = result.unwrap();
    assert_eq!(result.status, 503u16);
    assert_eq!(result.headers, headers);
    assert_eq!(result.body, b"busy");
}

#[test]
fn the_fee_is_burned_and_only_the_rest_refunded() {
    let (mut sim, probe) = sim_with_probe();
    let balance = sim.cycle_balance(probe).unwrap();
    let reply = OutcallResponse::reply(200, vec![], vec![]);
    let (_, refunded) = answered(&mut sim, probe, &get(), reply);
    assert_eq!(refunded, EXTRA);
    let spent = balance - sim.cycle_balance(probe).unwrap();
    assert!(
        spent >= fee(&get()),
        "the balance pays at least the fee: {spent}"
    );
    // 13 nodes: 49.14 M base + 5,200 per request byte + 10,400 per response byte.
    assert_eq!(fee(&get()), 49_140_000 + 5_200 * (37 + 22) + 10_400 * 1_000);
}

#[test]
fn the_callers_callback_runs_in_the_round_after_the_answer() {
    let (mut sim, probe) = sim_with_probe();
    let call = submit(&mut sim, probe, &get(), fee(&get()));
    sim.tick();
    let id = sim.pending_outcalls()[0].id;
    sim.answer_outcall(id, OutcallResponse::reply(200, vec![], vec![]))
        .unwrap();
    assert!(
        sim.pending_outcalls().is_empty(),
        "answered outcalls are no longer pending"
    );
    assert!(sim.ingress_status(&call).is_none());
    sim.tick();
    assert!(
        sim.ingress_status(&call).is_some(),
        "the reply arrived in the next round"
    );
}

#[test]
fn a_timeout_answer_rejects_with_sys_transient_and_refunds() {
    let (mut sim, probe) = sim_with_probe();
    let (code, message) = rejected(answered(
        &mut sim,
        probe,
        &get(),
        OutcallResponse::timeout(),
    ));
    assert_eq!(code, RejectCode::SysTransient as u32);
    assert_eq!(message, "Canister http request timed out");
    let other = OutcallResponse::Reject {
        code: RejectCode::SysFatal,
        message: "connection refused".into(),
    };
    let (code, message) = rejected(answered(&mut sim, probe, &get(), other));
    assert_eq!((code, message.as_str()), (1, "connection refused"));
}

#[test]
fn an_outcall_nobody_answers_times_out_after_60_seconds() {
    let (mut sim, probe) = sim_with_probe();
    let call = submit(&mut sim, probe, &get(), fee(&get()) + EXTRA);
    sim.tick();
    let id = sim.pending_outcalls()[0].id;
    sim.advance_time(std::time::Duration::from_secs(59));
    sim.tick();
    assert_eq!(sim.pending_outcalls().len(), 1, "still pending before 60 s");
    sim.advance_time(std::time::Duration::from_secs(1));
    sim.tick();
    assert!(sim.pending_outcalls().is_empty());
    let (result, refunded) = outcome(&mut sim, &call);
    let (code, message) = result.unwrap_err();
    assert_eq!(
        (code, message.as_str()),
        (2, "Canister http request timed out")
    );
    assert_eq!(refunded, EXTRA);
    let late = sim.answer_outcall(id, OutcallResponse::reply(200, vec![], vec![]));
    assert_eq!(late, Err(OutcallError::NotPending(id)));
}

#[test]
fn a_response_over_max_response_bytes_is_rejected_with_sys_fatal() {
    let (mut sim, probe) = sim_with_probe();
    let body = OutcallResponse::reply(200, vec![], vec![b'x'; 1_001]);
    let (code, message) = rejected(answered(&mut sim, probe, &get(), body));
    assert_eq!(code, RejectCode::SysFatal as u32);
    assert_eq!(message, "Http body exceeds size limit of 1000 bytes.");
    // Headers count against the limit too.
    let headers = OutcallResponse::reply(200, vec![header("x", &"v".repeat(600))], vec![0; 400]);
    let (_, message) = rejected(answered(&mut sim, probe, &get(), headers));
    assert_eq!(message, "Http body exceeds size limit of 1000 bytes.");
    let only_headers = OutcallResponse::reply(200, vec![header("x", &"v".repeat(1_000))], vec![]);
    let (_, message) = rejected(answered(&mut sim, probe, &get(), only_headers));
    assert_eq!(
        message,
        "Header size exceeds specified response size limit 1000"
    );
    let exactly = OutcallResponse::reply(200, vec![header("x", &"v".repeat(599))], vec![0; 400]);
    assert!(answered(&mut sim, probe, &get(), exactly).0.is_ok());
}

#[test]
fn without_max_response_bytes_the_limit_is_2_mb() {
    let (mut sim, probe) = sim_with_probe();
    let args = HttpRequestArgs {
        max_response_bytes: None,
        ..get()
    };
    let big = OutcallResponse::reply(200, vec![], vec![0; 2_000_001]);
    let (_, message) = rejected(answered(&mut sim, probe, &args, big));
    assert_eq!(message, "Http body exceeds size limit of 2000000 bytes.");
}

#[test]
fn a_transformed_response_over_the_limit_is_rejected() {
    let (mut sim, probe) = sim_with_probe();
    let args = with_transform(get(), probe, "transform", &[b'c'; 990]);
    let reply = OutcallResponse::reply(200, vec![], vec![0; 100]);
    let (code, message) = rejected(answered(&mut sim, probe, &args, reply));
    assert_eq!(code, RejectCode::SysFatal as u32);
    assert_eq!(message, "Transformed http response exceeds limit: 1000");
}

#[test]
fn a_trapping_transform_rejects_the_call_with_the_trap() {
    let (mut sim, probe) = sim_with_probe();
    let args = with_transform(get(), probe, "transform_trap", b"");
    let reply = OutcallResponse::reply(200, vec![], b"hello".to_vec());
    let (code, message) = rejected(answered(&mut sim, probe, &args, reply));
    assert_eq!(code, RejectCode::CanisterError as u32);
    assert!(message.contains("transform refuses"), "{message}");
}

#[test]
fn too_few_cycles_are_refused_naming_the_fee_and_all_refunded() {
    let (mut sim, probe) = sim_with_probe();
    let needed = fee(&get());
    let call = submit(&mut sim, probe, &get(), needed - 1);
    let (result, refunded) = outcome(&mut sim, &call);
    let (code, message) = result.unwrap_err();
    assert_eq!(code, RejectCode::CanisterReject as u32);
    assert_eq!(
        message,
        format!(
            "http_request request sent with {} cycles, but {needed} cycles are required.",
            needed - 1
        )
    );
    assert_eq!(refunded, needed - 1);
    assert!(sim.pending_outcalls().is_empty());
}

/// The reject code and message of outcall `args`, refused when it is made.
fn refused(args: HttpRequestArgs) -> (u32, String) {
    let (mut sim, probe) = sim_with_probe();
    let call = submit(&mut sim, probe, &args, 100_000_000_000);
    let (result, refunded) = outcome(&mut sim, &call);
    assert_eq!(refunded, 100_000_000_000, "a refused call keeps nothing");
    assert!(sim.pending_outcalls().is_empty());
    result.unwrap_err()
}

#[test]
fn a_url_that_is_not_https_is_refused_without_repeating_it() {
    for url in [
        "http://example.com/secret",
        "https://",
        "example.com",
        "https://a b",
    ] {
        let (code, message) = refused(HttpRequestArgs {
            url: url.into(),
            ..get()
        });
        assert_eq!(code, RejectCode::SysFatal as u32, "{url}");
        assert!(message.contains("https"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
    let long = HttpRequestArgs {
        url: format!("https://example.com/{}", "a".repeat(8192)),
        ..get()
    };
    assert_eq!(refused(long), (4, "url size 8212 exceeds 8192".into()));
}

#[test]
fn argument_limits_are_refused_with_canister_reject() {
    let many = (0..65).map(|i| header(&format!("h{i}"), "v")).collect();
    let (code, message) = refused(HttpRequestArgs {
        headers: many,
        ..get()
    });
    assert_eq!(code, 4);
    assert_eq!(message, "number of all http headers 65 exceeds 64");
    let (_, message) = refused(HttpRequestArgs {
        headers: vec![header("x", &"v".repeat(8 * 1024 + 1))],
        ..get()
    });
    assert!(
        message.contains("http header value 8193 exceeds 8192"),
        "{message}"
    );
    let (_, message) = refused(HttpRequestArgs {
        body: Some(vec![0; 2_000_000]),
        ..get()
    });
    assert!(message.ends_with("exceeds 2000000"), "{message}");
    let (code, message) = refused(HttpRequestArgs {
        max_response_bytes: Some(2_000_001),
        ..get()
    });
    assert_eq!(code, 4);
    assert_eq!(
        message,
        "max_response_bytes expected to be in the range [0..2000000], got 2000001"
    );
}

#[test]
fn put_delete_and_patch_need_a_non_replicated_request() {
    for method in [HttpMethod::PUT, HttpMethod::DELETE, HttpMethod::PATCH] {
        let (code, message) = refused(HttpRequestArgs { method, ..get() });
        assert_eq!(code, 4);
        assert_eq!(
            message,
            "The requested HTTP method is only allowed for non-replicated requests."
        );
    }
    let (mut sim, probe) = sim_with_probe();
    let args = HttpRequestArgs {
        method: HttpMethod::PUT,
        is_replicated: Some(false),
        ..get()
    };
    let reply = OutcallResponse::reply(204, vec![], vec![]);
    assert_eq!(
        answered(&mut sim, probe, &args, reply).0.unwrap().status,
        204u16
    );
}

#[test]
fn the_transform_must_belong_to_the_calling_canister() {
    let other = Principal::from_slice(&[1, 2, 3]);
    let (mut sim, probe) = sim_with_probe();
    let args = with_transform(get(), other, "transform", b"");
    let call = submit(&mut sim, probe, &args, fee(&args));
    let (code, message) = outcome(&mut sim, &call).0.unwrap_err();
    assert_eq!(code, 4);
    assert_eq!(
        message,
        format!("transform principal id expected to be {probe}, got {other}")
    );
}

#[test]
fn users_cannot_call_http_request_by_ingress() {
    let mut sim = Sim::default();
    let err = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: "http_request".into(),
            payload: enc(get()),
            effective_canister_id: None,
        })
        .unwrap_err();
    assert_mentions(&err, "Only canisters can call");
}

#[test]
fn answering_an_unknown_outcall_is_an_error() {
    let mut sim = Sim::default();
    let err = sim
        .answer_outcall(7, OutcallResponse::timeout())
        .unwrap_err();
    assert_eq!(err, OutcallError::NotPending(7));
    assert!(err.to_string().contains("pending_outcalls"));
}

#[test]
fn awaiting_a_call_stuck_on_an_outcall_names_the_pending_outcalls() {
    let (mut sim, probe) = sim_with_probe();
    let call = submit(&mut sim, probe, &get(), fee(&get()));
    let err = sim.await_call(&call).unwrap_err();
    assert_mentions(&err, "1 HTTPS outcall(s) are waiting for an answer");
}

#[test]
fn a_response_with_too_many_headers_is_rejected_with_sys_fatal() {
    let (mut sim, probe) = sim_with_probe();
    let headers = (0..65).map(|i| header(&format!("h{i}"), "v")).collect();
    let reply = OutcallResponse::reply(200, headers, vec![]);
    let (code, message) = rejected(answered(&mut sim, probe, &get(), reply));
    assert_eq!(code, RejectCode::SysFatal as u32);
    assert_eq!(message, "number of all http headers 65 exceeds 64");
}
