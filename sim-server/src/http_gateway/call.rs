//! Serving one request from a canister on the engine: the `http_request` query as the anonymous
//! principal, the `http_request_update` update when the canister asks for an upgrade (run to
//! completion, as the HTTPS interface's synchronous calls are), and the streaming callbacks until
//! the token is none.

use super::protocol::{
    decode_chunk, decode_response, encode_token, streaming_callback, Callback, GatewayError,
    HttpRequest, HttpResponse,
};
use candid::Principal;
use ic_sim::{Ingress, Sim};

/// At most this many streaming callbacks per response (the body would be many MiB by then).
const MAX_STREAMING_CALLS: usize = 1024;

/// The canister's answer to `request`, with the whole body.
pub fn serve(
    sim: &mut Sim,
    canister: Principal,
    request: &HttpRequest,
) -> Result<HttpResponse, GatewayError> {
    let anonymous = Principal::anonymous();
    let argument = candid::encode_one(request)
        .map_err(|e| GatewayError::bad_request(format!("the request does not encode: {e}")))?;
    let mut method = "http_request";
    let mut reply = sim
        .query_call(canister, anonymous, method, argument.clone())
        .map_err(|e| GatewayError::call_failed(method, &e))?;
    let mut response = decode_response(method, &reply)?;
    if response.upgrade == Some(true) {
        method = "http_request_update";
        let message = sim
            .submit_ingress(Ingress {
                sender: anonymous,
                canister_id: canister,
                effective_canister_id: Some(canister),
                method: method.to_string(),
                payload: argument,
            })
            .map_err(|e| GatewayError::call_failed(method, &e))?;
        reply = sim
            .await_ingress(&message)
            .map_err(|e| GatewayError::call_failed(method, &e))?;
        response = decode_response(method, &reply)?;
    }
    let mut next = streaming_callback(&reply)?;
    let mut calls = 0;
    while let Some(callback) = next {
        if callback.canister != canister {
            return Err(GatewayError::bad_reply(format!(
                "the streaming callback is a method of {}, not of {canister}",
                callback.canister
            )));
        }
        calls += 1;
        if calls > MAX_STREAMING_CALLS {
            return Err(GatewayError::bad_reply(format!(
                "the response streams more than {MAX_STREAMING_CALLS} chunks"
            )));
        }
        let chunk = sim
            .query_call(
                canister,
                anonymous,
                &callback.method,
                encode_token(&callback.token)?,
            )
            .map_err(|e| GatewayError::call_failed(&callback.method, &e))?;
        let (body, token) = decode_chunk(&chunk)?;
        response.body.extend(body);
        next = token.map(|token| Callback { token, ..callback });
    }
    Ok(response)
}
