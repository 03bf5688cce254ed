//! The HTTPS interface's endpoints: each authenticates the envelope at the instance's time, checks
//! where it was sent, and answers in CBOR.

use super::call_log::{CallLog, CallRecord};
use super::certify::{self, cbor, error_code, keys};
use super::effective;
use super::envelope::{authenticate, Request, RequestKind};
use super::error::Refusal;
use super::read_state::{check_paths, Scope};
use crate::state::ServerState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use candid::Principal;
use ic_sim::{Ingress, Sim, UserError};
use ic_transport_types::{
    EnvelopeContent, NodeSignature, QueryResponse, ReadStateResponse, RejectCode, RejectResponse,
    ReplyResponse, RequestId, TransportCallResponse,
};
use pocket_ic::common::rest::InstanceId;
use serde::Serialize;
use std::sync::Arc;

type Shared = State<Arc<ServerState>>;
type Target = Path<(InstanceId, String)>;

/// A 200 response with a CBOR body.
fn cbor_response<T: Serialize>(value: &T) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/cbor")],
        cbor(value),
    )
        .into_response()
}

/// Runs `f` on the instance's engine and call log.
async fn on_instance(
    state: &ServerState,
    id: InstanceId,
    f: impl FnOnce(&mut Sim, &mut CallLog) -> Result<Response, Refusal> + Send + 'static,
) -> Response {
    let instance = match state.instances.get(id) {
        Ok(instance) => instance,
        Err(e) => return e.into_response(),
    };
    let calls = instance.calls();
    let run = instance.run(move |sim| {
        let mut calls = calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        calls.prune(sim.time_ns());
        f(sim, &mut calls)
    });
    match run.await {
        Ok(Ok(response)) => response,
        Ok(Err(refusal)) => refusal.into_response(),
        Err(e) => e.into_response(),
    }
}

fn principal(text: &str) -> Result<Principal, Refusal> {
    Principal::from_text(text)
        .map_err(|e| Refusal::bad_request(format!("`{text}` in the URL is not a principal: {e}")))
}

/// The status endpoint's body.
#[derive(Serialize)]
struct Status {
    impl_source: &'static str,
    impl_version: &'static str,
    replica_health_status: &'static str,
    #[serde(with = "serde_bytes")]
    root_key: Vec<u8>,
}

/// `GET /api/v2/status`: the root key (this is a development instance).
pub async fn status(Path(_id): Path<InstanceId>) -> Response {
    cbor_response(&Status {
        impl_source: "ic-sim",
        impl_version: env!("CARGO_PKG_VERSION"),
        replica_health_status: "healthy",
        root_key: keys().root.public_key_der(),
    })
}

/// A rejection as the agents' type (their reject codes stop at 5; SYS_UNKNOWN never reaches
/// users).
fn reject_response(error: &UserError) -> RejectResponse {
    RejectResponse {
        reject_code: RejectCode::try_from(error.reject_code as u64)
            .unwrap_or(RejectCode::SysTransient),
        reject_message: error.message.clone(),
        error_code: Some(error_code(error.error_code)),
    }
}

/// Where a call was sent.
#[derive(Clone, Copy)]
pub(super) enum CallTarget {
    Canister(Principal),
    Subnet(Principal),
}

/// What became of a call.
pub(super) enum Submitted {
    /// Refused at submission (inspect_message, missing or frozen canister, ...).
    Rejected(UserError),
    /// In the ingress history under this request id.
    Accepted([u8; 32]),
}

/// Authenticates and checks a call, then submits it and runs rounds until it completes. A call
/// whose request id is already known is not submitted again.
pub(super) fn submit_call(
    sim: &mut Sim,
    calls: &mut CallLog,
    body: &[u8],
    target: CallTarget,
) -> Result<Submitted, Refusal> {
    let request = authenticate(body, RequestKind::Call, sim.time_ns())?;
    let EnvelopeContent::Call {
        canister_id,
        method_name,
        arg,
        ingress_expiry,
        sender,
        ..
    } = request.content
    else {
        unreachable!("authenticated as a call")
    };
    let effective_canister = match target {
        CallTarget::Canister(effective) => {
            effective::check(canister_id, &method_name, &arg, true, effective)
                .map_err(Refusal::bad_request)?;
            Some(effective)
        }
        CallTarget::Subnet(subnet) => {
            check_subnet(sim, subnet)?;
            let creation = ["create_canister", "provisional_create_canister_with_cycles"];
            if canister_id != Principal::management_canister()
                || !creation.contains(&method_name.as_str())
            {
                return Err(Refusal::bad_request(
                    "subnet-scoped calls only create canisters (create_canister, provisional_create_canister_with_cycles of aaaaa-aa)",
                ));
            }
            None
        }
    };
    if calls.get(&request.id).is_some() {
        return Ok(Submitted::Accepted(request.id));
    }
    let ingress = Ingress {
        sender,
        canister_id,
        method: method_name,
        payload: arg,
        effective_canister_id: effective_canister,
    };
    let message = match sim.submit_ingress(ingress) {
        Ok(message) => message,
        Err(error) => return Ok(Submitted::Rejected(error)),
    };
    calls.insert(
        request.id,
        CallRecord {
            message,
            sender,
            effective_canister,
            expiry_ns: ingress_expiry,
        },
    );
    // The outcome is read from the ingress history; a call still running after the engine's
    // round limit stays `processing`.
    let _ = sim.await_ingress(&message);
    Ok(Submitted::Accepted(request.id))
}

fn check_subnet(sim: &Sim, subnet: Principal) -> Result<(), Refusal> {
    if subnet == sim.subnet_id() {
        Ok(())
    } else {
        Err(Refusal::bad_request(format!(
            "subnet {subnet} does not exist (this instance's subnet is {})",
            sim.subnet_id()
        )))
    }
}

/// The body of a v2 call refused at submission.
#[derive(Serialize)]
struct AsyncReject {
    reject_code: u64,
    reject_message: String,
    error_code: String,
}

/// The answer of a synchronous call: the certified status once the call completed.
fn sync_answer(sim: &Sim, calls: &CallLog, submitted: Submitted) -> Response {
    match submitted {
        Submitted::Rejected(error) => cbor_response(
            &TransportCallResponse::NonReplicatedRejection(reject_response(&error)),
        ),
        Submitted::Accepted(request_id) => {
            let done = calls
                .get(&request_id)
                .is_some_and(|call| sim.ingress_status(&call.message).is_some());
            if !done {
                return StatusCode::ACCEPTED.into_response();
            }
            let keys = keys();
            let tree = certify::state_tree(sim, calls, keys);
            let path = vec![b"request_status".to_vec(), request_id.to_vec()];
            let certificate = certify::certificate(&tree, &[path], keys);
            cbor_response(&TransportCallResponse::Replied { certificate })
        }
    }
}

/// Runs an authenticated query and signs the response with a node key.
fn answer_query(sim: &mut Sim, request: Request) -> Response {
    let EnvelopeContent::Query {
        canister_id,
        method_name,
        arg,
        sender,
        ..
    } = request.content
    else {
        unreachable!("authenticated as a query")
    };
    let mut response = match sim.query_call(canister_id, sender, &method_name, arg) {
        Ok(arg) => QueryResponse::Replied {
            reply: ReplyResponse { arg },
            signatures: Vec::new(),
        },
        Err(error) => QueryResponse::Rejected {
            reject: reject_response(&error),
            signatures: Vec::new(),
        },
    };
    let timestamp = sim.time_ns();
    let node = &keys().nodes[0];
    let signature = NodeSignature {
        timestamp,
        signature: node.sign(&response.signable(RequestId::new(&request.id), timestamp)),
        identity: node.id,
    };
    match &mut response {
        QueryResponse::Replied { signatures, .. } | QueryResponse::Rejected { signatures, .. } => {
            signatures.push(signature)
        }
    }
    cbor_response(&response)
}

/// Authenticates a `read_state` request, checks its paths and certifies them.
fn answer_read_state(
    sim: &Sim,
    calls: &CallLog,
    body: &[u8],
    scope: Scope,
) -> Result<Response, Refusal> {
    let request = authenticate(body, RequestKind::ReadState, sim.time_ns())?;
    let EnvelopeContent::ReadState { paths, sender, .. } = &request.content else {
        unreachable!("authenticated as read_state")
    };
    let paths: Vec<Vec<Vec<u8>>> = paths
        .iter()
        .map(|path| path.iter().map(|label| label.as_bytes().to_vec()).collect())
        .collect();
    check_paths(&paths, scope, *sender, calls)?;
    let keys = keys();
    let tree = certify::state_tree(sim, calls, keys);
    let certificate = certify::certificate(&tree, &paths, keys);
    Ok(cbor_response(&ReadStateResponse { certificate }))
}

/// Declares endpoint handlers: `name(sim, calls, effective, body) { .. }` becomes `async fn name`
/// taking `/instances/<id>/...<effective>/...` and a body, running the block on the instance's
/// engine and call log with the effective canister or subnet id parsed.
macro_rules! endpoints {
    ($(
        $(#[$doc:meta])*
        $name:ident($sim:ident, $calls:ident, $effective:ident, $body:ident) $run:block
    )*) => {
        $(
            $(#[$doc])*
            pub async fn $name(
                State(state): Shared,
                Path((id, effective)): Target,
                body: Bytes,
            ) -> Response {
                on_instance(&state, id, move |$sim, $calls| {
                    let $effective = principal(&effective)?;
                    let $body = &body[..];
                    $run
                })
                .await
            }
        )*
    };
}

endpoints! {
    /// `POST /api/v2/canister/<effective canister id>/call`: 202, or 200 with the rejection.
    call_async(sim, calls, effective, body) {
        Ok(match submit_call(sim, calls, body, CallTarget::Canister(effective))? {
            Submitted::Accepted(_) => StatusCode::ACCEPTED.into_response(),
            Submitted::Rejected(error) => cbor_response(&AsyncReject {
                reject_code: error.reject_code as u64,
                reject_message: error.message.clone(),
                error_code: error_code(error.error_code),
            }),
        })
    }

    /// `POST /api/v{3,4}/canister/<effective canister id>/call`: the certified outcome.
    call_sync(sim, calls, effective, body) {
        let submitted = submit_call(sim, calls, body, CallTarget::Canister(effective))?;
        Ok(sync_answer(sim, calls, submitted))
    }

    /// `POST /api/v4/subnet/<effective subnet id>/call`: canister creation only.
    call_subnet(sim, calls, effective, body) {
        let submitted = submit_call(sim, calls, body, CallTarget::Subnet(effective))?;
        Ok(sync_answer(sim, calls, submitted))
    }

    /// `POST /api/v{2,3}/canister/<effective canister id>/query`.
    query(sim, _calls, effective, body) {
        let request = authenticate(body, RequestKind::Query, sim.time_ns())?;
        if let EnvelopeContent::Query { canister_id, method_name, arg, .. } = &request.content {
            effective::check(*canister_id, method_name, arg, false, effective)
                .map_err(Refusal::bad_request)?;
        }
        Ok(answer_query(sim, request))
    }

    /// `POST /api/v3/subnet/<effective subnet id>/query`: `list_canisters` of `aaaaa-aa` only.
    query_subnet(sim, _calls, effective, body) {
        check_subnet(sim, effective)?;
        let request = authenticate(body, RequestKind::Query, sim.time_ns())?;
        if let EnvelopeContent::Query { canister_id, method_name, .. } = &request.content {
            if *canister_id != Principal::management_canister() || method_name != "list_canisters" {
                return Err(Refusal::bad_request(
                    "subnet-scoped queries only call list_canisters of aaaaa-aa",
                ));
            }
        }
        Ok(answer_query(sim, request))
    }

    /// `POST /api/v{2,3}/canister/<effective canister id>/read_state`.
    read_state(sim, calls, effective, body) {
        answer_read_state(sim, calls, body, Scope::Canister(effective))
    }

    /// `POST /api/v{2,3}/subnet/<effective subnet id>/read_state`.
    read_subnet_state(sim, calls, effective, body) {
        check_subnet(sim, effective)?;
        answer_read_state(sim, calls, body, Scope::Subnet(effective))
    }
}
