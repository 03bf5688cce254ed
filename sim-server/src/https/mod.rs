//! The IC's HTTPS interface (spec chapter "HTTPS Interface") for each instance, under
//! `/instances/<id>/api/...` as PocketIC serves it (the URL `auto_progress` returns): the status
//! endpoint with the root key, calls (asynchronous v2, synchronous v3 and v4), queries and
//! `read_state`, with CBOR envelopes checked (request ids, signatures, delegations, ingress
//! expiry, effective canister ids) and certified responses. Calls are executed when they arrive:
//! the handler submits the ingress message and runs rounds until it completes (at most the
//! engine's `max_await_rounds`), so an agent's update runs whether or not the instance is live.

pub mod call_log;
pub mod certify;
mod effective;
mod envelope;
mod error;
mod handlers;
mod keys;
mod read_state;
mod request_id;
mod signatures;
mod state_tree;
#[cfg(test)]
mod tests;

use crate::state::ServerState;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The interface's routes, to nest under `/instances/{id}`.
pub fn routes() -> Router<Arc<ServerState>> {
    let mut router = Router::new()
        .route("/api/v2/status", get(handlers::status))
        .route(
            "/api/v2/canister/{effective}/call",
            post(handlers::call_async),
        )
        .route(
            "/api/v4/subnet/{effective}/call",
            post(handlers::call_subnet),
        )
        .route(
            "/api/v3/subnet/{effective}/query",
            post(handlers::query_subnet),
        );
    for version in ["v3", "v4"] {
        let path = format!("/api/{version}/canister/{{effective}}/call");
        router = router.route(&path, post(handlers::call_sync));
    }
    // Versions 2 and 3 of queries and state reads are the same.
    for version in ["v2", "v3"] {
        let api = format!("/api/{version}");
        router = router
            .route(
                &format!("{api}/canister/{{effective}}/query"),
                post(handlers::query),
            )
            .route(
                &format!("{api}/canister/{{effective}}/read_state"),
                post(handlers::read_state),
            )
            .route(
                &format!("{api}/subnet/{{effective}}/read_state"),
                post(handlers::read_subnet_state),
            );
    }
    router
}
