//! An HTTP gateway in front of one instance, as PocketIC's and the IC's gateways serve canisters'
//! web pages (the HTTP Gateway Protocol): a request whose host is `<canister id>.localhost` (or
//! `.raw.localhost`, or any domain) or that carries `?canisterId=<id>` becomes that canister's
//! `http_request` query, called as the anonymous principal; `/api/...` goes to the instance's
//! HTTPS interface as before, whatever the host, and any other request is refused (400).
//! Responses are not verified (no certification check): every domain is served as raw. The
//! launcher's gateway port serves it, and so do the listeners `POST /http_gateway` starts
//! (`listeners`).

mod call;
pub mod listeners;
mod protocol;
mod target;

use crate::state::ServerState;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use pocket_ic::common::rest::InstanceId;
use protocol::{GatewayError, HttpRequest};
use std::sync::Arc;
use target::Target;
use tower::ServiceExt;

/// Largest request body passed to a canister, bytes (the IC's ingress message limit, 2 MiB).
const MAX_REQUEST_BODY_BYTES: usize = 2 << 20;

/// The response verification version the gateway announces (the current one).
const CERTIFICATE_VERSION: u16 = 2;

/// The gateway of instance `instance_id`: canisters' pages, and the HTTPS interface handed to the
/// REST router `rest` under `/instances/<id>`.
pub fn router(state: Arc<ServerState>, rest: Router, instance_id: InstanceId) -> Router {
    Router::new().fallback(move |request: Request| {
        let (state, rest) = (state.clone(), rest.clone());
        async move {
            let host = request
                .headers()
                .get(HOST)
                .and_then(|host| host.to_str().ok())
                .or_else(|| request.uri().host());
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            match target::resolve(host, path) {
                Ok(Target::Interface) => to_instance_routes(rest, instance_id, request).await,
                Ok(Target::Canister(canister)) => {
                    from_canister(&state, instance_id, canister, request).await
                }
                Err(reason) => GatewayError::bad_request(reason).into_response(),
            }
        }
    })
}

/// Hands the request to the instance's routes (`/instances/<id>/...`).
async fn to_instance_routes(rest: Router, instance_id: InstanceId, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("/instances/{instance_id}{path}")
        .parse()
        .expect("a path under /instances is a URI");
    let Ok(response) = rest.oneshot(Request::from_parts(parts, body)).await;
    response
}

/// The canister's answer to the request.
async fn from_canister(
    state: &ServerState,
    instance_id: InstanceId,
    canister: candid::Principal,
    request: Request,
) -> Response {
    let _busy = state.idle.begin();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return GatewayError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            reason: format!(
                "the request body is over {} MiB",
                MAX_REQUEST_BODY_BYTES >> 20
            ),
        }
        .into_response();
    };
    let request = HttpRequest {
        method: parts.method.to_string(),
        url: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.to_string(), value)
            })
            .collect(),
        body: body.to_vec(),
        certificate_version: Some(CERTIFICATE_VERSION),
    };
    let instance = match state.instances.get(instance_id) {
        Ok(instance) => instance,
        Err(e) => return e.into_response(),
    };
    match instance
        .run(move |sim| call::serve(sim, canister, &request))
        .await
    {
        Ok(Ok(response)) => protocol::into_http(response).unwrap_or_else(|e| e.into_response()),
        Ok(Err(e)) => e.into_response(),
        Err(e) => e.into_response(),
    }
}
