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
