//! PocketIC's `POST /http_gateway` (what `PocketIc::make_live` sends): starts a listener on the
//! requested address serving [`super::router`] for an instance (canisters' pages, and its HTTPS
//! interface at the root), and `POST /http_gateway/<id>/stop` stops it. Only plain HTTP gateways
//! to this server's own instances.

use crate::error::{parse_body, ApiError, ApiResult};
use crate::state::ServerState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use pocket_ic::common::rest::{
    CreateHttpGatewayResponse, HttpGatewayBackend, HttpGatewayConfig, HttpGatewayInfo,
};
use std::sync::Arc;
use tokio::sync::oneshot;

/// `rest` (the REST router) with the gateway endpoints; the listeners hand everything that is not
/// for a canister to `rest`.
pub fn with_listeners(state: Arc<ServerState>, rest: Router) -> Router {
    let endpoints = Router::new()
        .route("/http_gateway", post(create))
        .route("/http_gateway/", post(create))
        .route("/http_gateway/{id}/stop", post(stop))
        .with_state(Endpoints {
            state,
            rest: rest.clone(),
        });
    rest.merge(endpoints)
}

/// What the endpoints need: the shared state, and the routes the listeners forward to.
#[derive(Clone)]
struct Endpoints {
    state: Arc<ServerState>,
    rest: Router,
}

async fn create(
    State(endpoints): State<Endpoints>,
    body: Bytes,
) -> Json<CreateHttpGatewayResponse> {
    Json(match start(endpoints, &body).await {
        Ok(info) => CreateHttpGatewayResponse::Created(info),
        Err(e) => CreateHttpGatewayResponse::Error {
            message: e.message().to_string(),
        },
    })
}

/// Checks the configuration, binds the listener and serves on it until stopped.
async fn start(endpoints: Endpoints, body: &[u8]) -> Result<HttpGatewayInfo, ApiError> {
    let config: HttpGatewayConfig = parse_body("POST /http_gateway", body)?;
    let instance_id = match config.forward_to {
        HttpGatewayBackend::PocketIcInstance(id) => id,
        HttpGatewayBackend::Replica(url) => {
            return Err(ApiError::bad_request(format!(
                "ic-sim-server's gateways serve its own instances only, not the replica at {url}"
            )))
        }
    };
    if config.https_config.is_some() {
        return Err(ApiError::bad_request(
            "ic-sim-server's gateways speak plain HTTP only (no https_config)",
        ));
    }
    if config.domain_custom_provider_local_file.is_some() {
        return Err(ApiError::bad_request(
            "ic-sim-server's gateways take no domain_custom_provider_local_file (any domain is served)",
        ));
    }
    let Endpoints { state, rest } = endpoints;
    state.instances.get(instance_id)?;
    let ip = config.ip_addr.as_deref().unwrap_or("127.0.0.1");
    let port = config.port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind((ip, port))
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot listen on {ip}:{port}: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| ApiError::internal(format!("the gateway's listener has no address: {e}")))?
        .port();
    let (stop, stopped) = oneshot::channel();
    let app = super::router(state.clone(), rest, instance_id);
    tokio::spawn(async move {
        let stopped = async {
            let _ = stopped.await;
        };
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await;
    });
    let id = state.gateways.add(instance_id, stop);
    Ok(HttpGatewayInfo {
        instance_id: id,
        port,
    })
}

async fn stop(State(endpoints): State<Endpoints>, Path(id): Path<usize>) -> ApiResult<()> {
    if endpoints.state.gateways.stop(id) {
        Ok(Json(()))
    } else {
        Err(ApiError::not_found(format!(
            "HTTP gateway {id} does not exist or was stopped"
        )))
    }
}
