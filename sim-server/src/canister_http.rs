//! Canister HTTPS outcalls over the PocketIC protocol (`read/get_canister_http`,
//! `update/mock_canister_http`): the engine's pending outcalls as the client's
//! `RawCanisterHttpRequest`, and a `RawMockCanisterHttpResponse` as the engine's answer.

use crate::convert::principal;
use crate::error::ApiError;
use ic_sim::management_types::{HttpHeader, HttpMethod};
use ic_sim::{OutcallResponse, PendingOutcall, RejectCode, Sim};
use pocket_ic::common::rest::{
    CanisterHttpHeader, CanisterHttpMethod, CanisterHttpPricingVersion, CanisterHttpReplication,
    CanisterHttpResponse, RawCanisterHttpRequest, RawMockCanisterHttpResponse, RawSubnetId,
};

/// The pending outcalls, oldest first, as `read/get_canister_http` lists them.
pub fn pending_requests(sim: &Sim) -> Vec<RawCanisterHttpRequest> {
    let subnet = sim.subnet_id();
    sim.pending_outcalls()
        .into_iter()
        .map(|outcall| raw_request(subnet, outcall))
        .collect()
}

fn raw_request(subnet: ic_sim::Principal, outcall: PendingOutcall) -> RawCanisterHttpRequest {
    RawCanisterHttpRequest {
        subnet_id: RawSubnetId::from(subnet),
        request_id: outcall.id,
        http_method: match outcall.method {
            HttpMethod::GET => CanisterHttpMethod::GET,
            HttpMethod::HEAD => CanisterHttpMethod::HEAD,
            HttpMethod::POST => CanisterHttpMethod::POST,
            HttpMethod::PUT => CanisterHttpMethod::PUT,
            HttpMethod::DELETE => CanisterHttpMethod::DELETE,
            HttpMethod::PATCH => CanisterHttpMethod::PATCH,
        },
        url: outcall.url,
        headers: outcall
            .headers
            .into_iter()
            .map(|h| CanisterHttpHeader {
                name: h.name,
                value: h.value,
            })
            .collect(),
        body: outcall.body,
        max_response_bytes: outcall.max_response_bytes,
        replication: if outcall.is_replicated {
            CanisterHttpReplication::FullyReplicated
        } else {
            CanisterHttpReplication::NonReplicated
        },
        pricing_version: if outcall.pricing_version == Some(2) {
            CanisterHttpPricingVersion::PayAsYouGo
        } else {
            CanisterHttpPricingVersion::Legacy
        },
    }
}

/// Answers a pending outcall with a mocked response (`update/mock_canister_http`). The caller
/// sees the result after the next round.
pub fn mock_response(sim: &mut Sim, mock: RawMockCanisterHttpResponse) -> Result<(), ApiError> {
    let subnet = principal(&mock.subnet_id.subnet_id, "subnet_id")?;
    if subnet != sim.subnet_id() {
        return Err(ApiError::bad_request(format!(
            "subnet {subnet} does not exist (ic-sim's subnet is {})",
            sim.subnet_id()
        )));
    }
    let Some(outcall) = sim
        .pending_outcalls()
        .into_iter()
        .find(|o| o.id == mock.request_id)
    else {
        return Err(ApiError::bad_request(format!(
            "no canister http request {} is pending (never made, already answered, or timed out after 60 s); list them with get_canister_http",
            mock.request_id
        )));
    };
    check_additional_responses(&outcall, &mock)?;
    let response = outcall_response(mock.response)?;
    sim.answer_outcall(outcall.id, response)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// One response for a non-replicated outcall; for a replicated one, `additional_responses` may
/// only repeat it (ic-sim does not model consensus among differing node responses).
fn check_additional_responses(
    outcall: &PendingOutcall,
    mock: &RawMockCanisterHttpResponse,
) -> Result<(), ApiError> {
    if mock.additional_responses.is_empty() {
        return Ok(());
    }
    if !outcall.is_replicated {
        return Err(ApiError::bad_request(format!(
            "canister http request {} is non-replicated (one node makes it): give one `response` and no `additional_responses`",
            outcall.id
        )));
    }
    if mock
        .additional_responses
        .iter()
        .any(|r| r != &mock.response)
    {
        return Err(ApiError::bad_request(
            "ic-sim does not model consensus among differing node responses: `additional_responses` may only repeat `response`",
        ));
    }
    Ok(())
}

fn outcall_response(response: CanisterHttpResponse) -> Result<OutcallResponse, ApiError> {
    Ok(match response {
        CanisterHttpResponse::CanisterHttpReply(reply) => {
            let headers = reply
                .headers
                .into_iter()
                .map(|h| HttpHeader {
                    name: h.name,
                    value: h.value,
                })
                .collect();
            OutcallResponse::reply(reply.status, headers, reply.body)
        }
        CanisterHttpResponse::CanisterHttpReject(reject) => {
            let code = u32::try_from(reject.reject_code)
                .ok()
                .and_then(RejectCode::from_u32)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "`reject_code` {} is not one of the IC's reject codes (1 to 6)",
                        reject.reject_code
                    ))
                })?;
            OutcallResponse::Reject {
                code,
                message: reject.message,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_sim::management_types::HttpRequestArgs;
    use pocket_ic::common::rest::{CanisterHttpReject, CanisterHttpReply};

    /// A canister whose `go` calls `http_request` with its argument, attaching 1 T cycles.
    const OUTCALLER: &str = r#"(module
      (import "ic0" "msg_arg_data_size" (func $size (result i32)))
      (import "ic0" "msg_arg_data_copy" (func $copy (param i32 i32 i32)))
      (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
      (import "ic0" "call_data_append" (func $append (param i32 i32)))
      (import "ic0" "call_cycles_add128" (func $cycles (param i64 i64)))
      (import "ic0" "call_perform" (func $perform (result i32)))
      (memory 1)
      (data (i32.const 0) "http_request")
      (table 1 funcref)
      (elem (i32.const 0) $ignore)
      (func $ignore (param i32))
      (func (export "canister_update go")
        (call $copy (i32.const 100) (i32.const 0) (call $size))
        (call $call_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 12)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
        (call $append (i32.const 100) (call $size))
        (call $cycles (i64.const 0) (i64.const 1000000000000))
        (drop (call $perform))))"#;

    /// A sim with one pending outcall of `args`.
    fn with_outcall(args: HttpRequestArgs) -> Sim {
        let mut sim = Sim::default();
        let id = sim.create_canister();
        let wasm = wat::parse_str(OUTCALLER).unwrap();
        sim.install_canister(id, wasm, vec![], None).unwrap();
        let arg = candid::encode_one(args).unwrap();
        sim.submit_call(id, ic_sim::Principal::anonymous(), "go", arg)
            .unwrap();
        sim.tick();
        sim
    }

    fn non_replicated() -> HttpRequestArgs {
        HttpRequestArgs {
            url: "https://example.com".into(),
            max_response_bytes: Some(100),
            is_replicated: Some(false),
            pricing_version: Some(2),
            ..Default::default()
        }
    }

    fn reply() -> CanisterHttpResponse {
        CanisterHttpResponse::CanisterHttpReply(CanisterHttpReply {
            status: 200,
            headers: vec![],
            body: b"ok".to_vec(),
        })
    }

    fn mock(
        sim: &Sim,
        request_id: u64,
        response: CanisterHttpResponse,
    ) -> RawMockCanisterHttpResponse {
        RawMockCanisterHttpResponse {
            subnet_id: RawSubnetId::from(sim.subnet_id()),
            request_id,
            response,
            additional_responses: vec![],
        }
    }

    #[test]
    fn a_pending_outcall_is_listed_as_the_client_reads_it() {
        let sim = with_outcall(non_replicated());
        let listed = pending_requests(&sim);
        assert_eq!(listed.len(), 1);
        let request = &listed[0];
        assert_eq!(request.subnet_id.subnet_id, sim.subnet_id().as_slice());
        assert_eq!(request.url, "https://example.com");
        assert_eq!(request.http_method, CanisterHttpMethod::GET);
        assert_eq!(request.max_response_bytes, Some(100));
        assert_eq!(request.replication, CanisterHttpReplication::NonReplicated);
        assert_eq!(
            request.pricing_version,
            CanisterHttpPricingVersion::PayAsYouGo
        );
    }

    #[test]
    fn a_non_replicated_outcall_takes_exactly_one_response() {
        let mut sim = with_outcall(non_replicated());
        let mut two = mock(&sim, 0, reply());
        two.additional_responses = vec![reply()];
        let err = mock_response(&mut sim, two).unwrap_err();
        assert!(
            err.message().contains("non-replicated"),
            "{}",
            err.message()
        );
        assert_eq!(
            sim.pending_outcalls().len(),
            1,
            "the refused mock answers nothing"
        );
        let answer = mock(&sim, 0, reply());
        mock_response(&mut sim, answer).unwrap();
        assert!(sim.pending_outcalls().is_empty());
    }

    #[test]
    fn a_replicated_outcall_takes_only_identical_additional_responses() {
        let args = HttpRequestArgs {
            is_replicated: None,
            ..non_replicated()
        };
        let mut sim = with_outcall(args);
        let mut differing = mock(&sim, 0, reply());
        differing.additional_responses = vec![
            reply(),
            CanisterHttpResponse::CanisterHttpReply(CanisterHttpReply {
                status: 500,
                headers: vec![],
                body: vec![],
            }),
        ];
        let err = mock_response(&mut sim, differing).unwrap_err();
        assert!(err.message().contains("consensus"), "{}", err.message());
        let mut same = mock(&sim, 0, reply());
        same.additional_responses = vec![reply(); 12];
        mock_response(&mut sim, same).unwrap();
        assert!(sim.pending_outcalls().is_empty());
    }

    #[test]
    fn unknown_requests_and_reject_codes_are_refused() {
        let mut sim = with_outcall(non_replicated());
        let unknown = mock(&sim, 9, reply());
        let err = mock_response(&mut sim, unknown).unwrap_err();
        assert!(
            err.message().contains("no canister http request 9"),
            "{}",
            err.message()
        );
        let bad = CanisterHttpResponse::CanisterHttpReject(CanisterHttpReject {
            reject_code: 7,
            message: "?".into(),
        });
        let bad = mock(&sim, 0, bad);
        let err = mock_response(&mut sim, bad).unwrap_err();
        assert!(
            err.message().contains("`reject_code` 7"),
            "{}",
            err.message()
        );
        let mut elsewhere = mock(&sim, 0, reply());
        elsewhere.subnet_id = RawSubnetId::from(ic_sim::Principal::anonymous());
        let err = mock_response(&mut sim, elsewhere).unwrap_err();
        assert!(
            err.message().contains("does not exist"),
            "{}",
            err.message()
        );
    }
}
