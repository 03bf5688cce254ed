//! Turning a driver's answer into what the calling canister receives: the response limits, the
//! transform function (a query on the caller, called by the management canister), the reply.

use super::limits::{check_headers_and_body, headers_size};
use super::{OutcallResponse, PendingOutcall};
use crate::error::{RejectCode, UserError};
use crate::faults::error_code_for;
use crate::sim::Sim;
use candid::Principal;
use ic_management_canister_types::{HttpRequestResult, TransformArgs};

/// A reject of the outcall with `code`.
fn reject(code: RejectCode, message: impl Into<String>) -> UserError {
    UserError {
        reject_code: code,
        error_code: error_code_for(code),
        message: message.into(),
    }
}

/// Checks a server's response against the outcall's response limit, then the header limits
/// (the IC's adapter refuses such responses with SYS_FATAL, in this order).
fn check_response(limit: u64, response: &HttpRequestResult) -> Result<(), UserError> {
    let headers = headers_size(&response.headers) as u64;
    if headers > limit {
        return Err(reject(
            RejectCode::SysFatal,
            format!("Header size exceeds specified response size limit {limit}"),
        ));
    }
    if headers + response.body.len() as u64 > limit {
        return Err(reject(
            RejectCode::SysFatal,
            format!("Http body exceeds size limit of {limit} bytes."),
        ));
    }
    check_headers_and_body(&response.headers, &response.body)
        .map_err(|m| reject(RejectCode::SysFatal, m))
}

impl Sim {
    /// What the caller of `request` receives when the driver answers `response`.
    pub(super) fn outcall_result(
        &mut self,
        request: &PendingOutcall,
        response: OutcallResponse,
    ) -> Result<Vec<u8>, UserError> {
        let response = match response {
            OutcallResponse::Reply(r) => r,
            OutcallResponse::Reject { code, message } => return Err(reject(code, message)),
        };
        let limit = request.response_limit();
        check_response(limit, &response)?;
        let Some(transform) = &request.transform else {
            return Ok(candid::encode_one(response).expect("an http_request result encodes"));
        };
        let arg = TransformArgs {
            response,
            context: transform.context.clone(),
        };
        let payload = candid::encode_one(arg).expect("transform arguments encode");
        let transformed = self.run_query(
            request.caller,
            Principal::management_canister(),
            &transform.function.0.method,
            payload,
            false,
        )?;
        if transformed.len() as u64 > limit {
            return Err(reject(
                RejectCode::SysFatal,
                format!("Transformed http response exceeds limit: {limit}"),
            ));
        }
        Ok(transformed)
    }
}
