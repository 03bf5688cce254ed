//! `http_request` (HTTPS outcalls): the argument checks, the fee, and queueing the outcall for a
//! driver to answer (see [`crate::outcalls`]).

use super::{decode, MgmtCall, MgmtResult};
use crate::cycles;
use crate::error::{ErrorCode, RejectCode, UserError};
use crate::faults::error_code_for;
use crate::outcalls::limits::{check_headers_and_body, check_url_length, is_https_url};
use crate::outcalls::{Outcall, PendingOutcall};
use crate::sim::Sim;
use ic_management_canister_types::{HttpMethod, HttpRequestArgs};

/// A refusal of the call (CANISTER_REJECT), as the IC's checks of `http_request` give it.
fn refused(message: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::CanisterRejectedMessage, message)
}

/// The request size the fee counts: URL, header names and values, body, transform method name
/// and context.
fn request_size(args: &HttpRequestArgs) -> u64 {
    let transform = args
        .transform
        .as_ref()
        .map_or(0, |t| t.function.0.method.len() + t.context.len());
    (args.url.len()
        + crate::outcalls::limits::headers_size(&args.headers)
        + args.body.as_ref().map_or(0, Vec::len)
        + transform) as u64
}

impl Sim {
    /// Checks the arguments in the IC's order; the error is what the caller gets.
    fn check_http_request(
        &self,
        call: &MgmtCall<'_>,
        args: &HttpRequestArgs,
    ) -> Result<(), UserError> {
        if let Some(t) = &args.transform {
            let named = t.function.0.principal;
            if named != call.sender {
                return Err(refused(format!(
                    "transform principal id expected to be {}, got {named}",
                    call.sender
                )));
            }
        }
        check_url_length(&args.url).map_err(refused)?;
        check_headers_and_body(&args.headers, args.body.as_deref().unwrap_or_default())
            .map_err(refused)?;
        let max = cycles::MAX_HTTP_RESPONSE_BYTES;
        if let Some(given) = args.max_response_bytes.filter(|&b| b > max) {
            return Err(refused(format!(
                "max_response_bytes expected to be in the range [0..{max}], got {given}"
            )));
        }
        let replicated = args.is_replicated != Some(false);
        if replicated
            && matches!(
                args.method,
                HttpMethod::PUT | HttpMethod::DELETE | HttpMethod::PATCH
            )
        {
            return Err(refused(
                "The requested HTTP method is only allowed for non-replicated requests.",
            ));
        }
        if !is_https_url(&args.url) {
            // On the IC the adapter refuses it when it makes the request; ic-sim refuses the call.
            return Err(UserError {
                reject_code: RejectCode::SysFatal,
                error_code: error_code_for(RejectCode::SysFatal),
                message: "Url need to specify https scheme: the url must start with https:// and name a host".into(),
            });
        }
        Ok(())
    }

    /// `http_request`: checks the arguments, takes the fee from the attached cycles and queues
    /// the outcall; the call is answered when a driver answers the outcall (or it times out).
    pub(super) fn http_request_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: HttpRequestArgs = decode("http_request", call.payload)?;
        self.check_http_request(call, &args)?;
        let max_response_bytes = args
            .max_response_bytes
            .unwrap_or(cycles::MAX_HTTP_RESPONSE_BYTES);
        let fee = cycles::http_request_fee(request_size(&args), max_response_bytes);
        if call.cycles < fee {
            return Err(refused(format!(
                "http_request request sent with {} cycles, but {fee} cycles are required.",
                call.cycles
            )));
        }
        let refund = std::mem::take(&mut call.cycles) - fee;
        let request = PendingOutcall {
            id: self.outcalls.next_id(),
            caller: call.sender,
            url: args.url,
            method: args.method,
            headers: args.headers,
            body: args.body.unwrap_or_default(),
            max_response_bytes: args.max_response_bytes,
            is_replicated: args.is_replicated != Some(false),
            pricing_version: args.pricing_version,
            transform: args.transform,
            fee,
            requested_at_ns: self.time_ns,
        };
        self.outcalls.push(Outcall {
            request,
            target: call.target.clone(),
            refund,
        });
        Ok(None)
    }
}
