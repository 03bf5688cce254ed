//! The REST endpoints of the PocketIC protocol, mapped onto the engine.

use crate::canister_http;
use crate::convert::{self, canister_result, principal, reject_response};
use crate::error::{parse_body, ApiError, ApiResult};
use crate::instances::{follow_wall_clock, Instance};
use crate::snapshot_dir;
use crate::state::ServerState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use ic_sim::{Ingress, MessageId, Sim, SimConfig};
use pocket_ic::common::rest::{
    AutoProgressConfig, CreateInstanceResponse, InitialTime, InstanceConfig, InstanceId,
    RawAddCycles, RawCanisterCall, RawCanisterHttpRequest, RawCanisterId, RawCanisterResult,
    RawCanisterSnapshotDownload, RawCanisterSnapshotId, RawCanisterSnapshotUpload, RawCycles,
    RawIngressStatusArgs, RawMessageId, RawMockCanisterHttpResponse, RawPrincipalId,
    RawSetStableMemory, RawStableMemory, RawSubnetId, RawTime, Topology,
};
use pocket_ic::RejectResponse;
use std::sync::Arc;
use std::time::Duration;

type Shared = State<Arc<ServerState>>;

/// Largest request body accepted, bytes: a 2 MiB ingress message (the IC's limit) takes about
/// four times that as the JSON the PocketIC client sends, and blobs (modules) can be larger.
const MAX_BODY_BYTES: usize = 64 << 20;

/// The router serving the whole protocol.
pub fn router(state: Arc<ServerState>) -> Router {
    let instance = Router::new()
        .route("/read/topology", get(topology))
        .route("/_/topology", get(topology))
        .route("/read/get_time", get(get_time))
        .route("/update/set_certified_time", post(set_time))
        .route("/update/tick", post(tick))
        .route("/update/set_stable_memory", post(set_stable_memory))
        .route("/read/get_canister_http", get(get_canister_http))
        .route(
            "/auto_progress",
            post(auto_progress).get(auto_progress_enabled),
        )
        .route("/stop_progress", post(stop_progress))
        .merge(engine_routes())
        .merge(crate::https::routes());
    Router::new()
        .route("/instances", post(create_instance).get(list_instances))
        .route("/instances/", post(create_instance).get(list_instances))
        .route("/instances/{id}", delete(delete_instance))
        .route("/instances/{id}/", delete(delete_instance))
        .route("/blobstore", post(upload_blob))
        .route("/blobstore/", post(upload_blob))
        .route("/blobstore/{id}", get(download_blob))
        .nest("/instances/{id}", instance)
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            track_activity,
        ))
        .with_state(state)
}

async fn track_activity(State(state): Shared, request: Request, next: Next) -> Response {
    let _busy = state.idle.begin();
    next.run(request).await
}

async fn unknown_route(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "ic-sim-server does not serve {} {}",
        request.method(),
        request.uri().path()
    ))
}

async fn create_instance(State(state): Shared, body: Bytes) -> Json<CreateInstanceResponse> {
    let response = match parse_body::<InstanceConfig>("POST /instances", &body).and_then(|config| {
        sim_config(&config, state.instances.states().len() as u64).map(|c| (config, c))
    }) {
        Ok((config, sim_config)) => {
            let sim = Sim::new(sim_config);
            let topology = convert::topology(&sim);
            let instance = Instance::new(sim);
            if let Some(InitialTime::AutoProgress(progress)) = &config.initial_time {
                instance.start_progress(progress_delay(progress));
                let _ = instance.run(follow_wall_clock).await;
            }
            CreateInstanceResponse::Created {
                instance_id: state.instances.add(instance),
                topology,
                http_gateway_info: None,
            }
        }
        Err(e) => CreateInstanceResponse::Error {
            message: e.message().to_string(),
        },
    };
    Json(response)
}

/// Checks that the requested instance is one the emulator can be, and derives its engine config.
fn sim_config(config: &InstanceConfig, seed: u64) -> Result<SimConfig, ApiError> {
    let subnets = &config.subnet_config_set;
    let named = [
        ("NNS", &subnets.nns),
        ("SNS", &subnets.sns),
        ("II", &subnets.ii),
        ("fiduciary", &subnets.fiduciary),
        ("bitcoin", &subnets.bitcoin),
        ("test threshold keys", &subnets.test_threshold_keys),
    ];
    if let Some((name, _)) = named.iter().find(|(_, spec)| spec.is_some()) {
        return Err(unsupported(&format!("a {name} subnet")));
    }
    if !subnets.system.is_empty()
        || !subnets.cloud_engine.is_empty()
        || !subnets.verified_application.is_empty()
        || subnets.application.len() > 1
    {
        return Err(unsupported("more than one subnet"));
    }
    if config.state_dir.is_some() {
        return Err(unsupported("a state directory"));
    }
    if config.http_gateway_config.is_some() {
        return Err(unsupported("an HTTP gateway"));
    }
    let mut sim_config = SimConfig {
        seed,
        ..SimConfig::default()
    };
    if let Some(InitialTime::Timestamp(time)) = &config.initial_time {
        sim_config.start_time_ns = time.nanos_since_epoch;
    }
    Ok(sim_config)
}

fn unsupported(what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "ic-sim emulates one application subnet; {what} is not supported (see sim/README.md)"
    ))
}

fn progress_delay(config: &AutoProgressConfig) -> Duration {
    Duration::from_millis(config.artificial_delay_ms.unwrap_or(10).max(1))
}

async fn list_instances(State(state): Shared) -> Json<Vec<String>> {
    Json(state.instances.states())
}

async fn delete_instance(State(state): Shared, Path(id): Path<InstanceId>) -> ApiResult<()> {
    state.instances.delete(id)?;
    state.gateways.stop_instance(id);
    Ok(Json(()))
}

async fn upload_blob(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<String, ApiError> {
    let gzipped = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    state.blobs.put(&body, gzipped).map(hex::encode)
}

async fn download_blob(State(state): Shared, Path(id): Path<String>) -> Result<Vec<u8>, ApiError> {
    let id = hex::decode(&id)
        .map_err(|_| ApiError::bad_request(format!("blob id `{id}` is not hex")))?;
    state.blobs.get(&id)
}

/// Parses the body, then runs `f` on the addressed instance.
async fn on_instance<B, T>(
    state: &ServerState,
    id: InstanceId,
    endpoint: &str,
    body: &[u8],
    f: impl FnOnce(&mut Sim, B) -> Result<T, ApiError> + Send + 'static,
) -> ApiResult<T>
where
    B: serde::de::DeserializeOwned + Send + 'static,
    T: Send + 'static,
{
    let instance = state.instances.get(id)?;
    let request = parse_body::<B>(endpoint, body)?;
    instance.run(move |sim| f(sim, request)).await?.map(Json)
}

async fn topology(State(state): Shared, Path(id): Path<InstanceId>) -> ApiResult<Topology> {
    let instance = state.instances.get(id)?;
    instance.run(|sim| convert::topology(sim)).await.map(Json)
}

async fn get_time(State(state): Shared, Path(id): Path<InstanceId>) -> ApiResult<RawTime> {
    let instance = state.instances.get(id)?;
    instance
        .run(|sim| RawTime {
            nanos_since_epoch: sim.time_ns(),
        })
        .await
        .map(Json)
}

async fn get_canister_http(
    State(state): Shared,
    Path(id): Path<InstanceId>,
) -> ApiResult<Vec<RawCanisterHttpRequest>> {
    let instance = state.instances.get(id)?;
    instance
        .run(|sim| canister_http::pending_requests(sim))
        .await
        .map(Json)
}

async fn tick(State(state): Shared, Path(id): Path<InstanceId>, body: Bytes) -> ApiResult<()> {
    // Tick configs only choose block makers, which the emulator does not model.
    let body = if body.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    on_instance(
        &state,
        id,
        "tick",
        &body,
        |sim, _: pocket_ic::common::rest::RawTickConfigs| {
            sim.tick();
            Ok(())
        },
    )
    .await
}

fn canister(raw: &RawCanisterId) -> Result<ic_sim::Principal, ApiError> {
    principal(&raw.canister_id, "canister_id")
}

fn sim_error(e: ic_sim::SimError) -> ApiError {
    ApiError::bad_request(e.to_string())
}

fn snapshot_dir_error(e: snapshot_dir::SnapshotDirError) -> ApiError {
    ApiError::bad_request(e.to_string())
}

fn ingress(call: RawCanisterCall) -> Result<Ingress, ApiError> {
    Ok(Ingress {
        sender: principal(&call.sender, "sender")?,
        canister_id: principal(&call.canister_id, "canister_id")?,
        effective_canister_id: convert::effective_canister(&call.effective_principal)?,
        method: call.method,
        payload: call.payload,
    })
}

fn message_id(raw: &RawMessageId) -> Result<MessageId, ApiError> {
    MessageId::from_bytes(&raw.message_id).ok_or_else(|| {
        ApiError::bad_request("`message_id` is not a message id this instance issued")
    })
}

/// Declares the instance endpoints that take a JSON body and run on the engine:
/// `access/endpoint(sim, request: Body) -> Reply { .. }` becomes `async fn endpoint`, naming
/// `endpoint` in its errors, served by [`engine_routes`] at `POST /access/endpoint`.
macro_rules! instance_endpoints {
    ($($access:ident / $endpoint:ident($sim:ident, $request:ident: $body:ty) -> $reply:ty $run:block)*) => {
        $(
            async fn $endpoint(
                State(state): Shared,
                Path(id): Path<InstanceId>,
                body: Bytes,
            ) -> ApiResult<$reply> {
                let run = |$sim: &mut Sim, $request: $body| -> Result<$reply, ApiError> { $run };
                on_instance(&state, id, stringify!($endpoint), &body, run).await
            }
        )*

        /// The routes of the endpoints [`instance_endpoints`] declares.
        fn engine_routes() -> Router<Arc<ServerState>> {
            Router::new()
                $(.route(concat!("/", stringify!($access), "/", stringify!($endpoint)), post($endpoint)))*
        }
    };
}

instance_endpoints! {
    update/set_time(sim, time: RawTime) -> () {
        sim.set_time_ns(time.nanos_since_epoch);
        Ok(())
    }

    update/add_cycles(sim, request: RawAddCycles) -> RawCycles {
        let canister = principal(&request.canister_id, "canister_id")?;
        let cycles = sim.add_cycles(canister, request.amount).map_err(sim_error)?;
        Ok(RawCycles { cycles })
    }

    read/get_cycles(sim, request: RawCanisterId) -> RawCycles {
        let cycles = sim.cycle_balance(canister(&request)?).map_err(sim_error)?;
        Ok(RawCycles { cycles })
    }

    read/get_controllers(sim, request: RawCanisterId) -> Vec<RawPrincipalId> {
        let controllers = sim.controllers(canister(&request)?).map_err(sim_error)?;
        Ok(controllers.into_iter().map(RawPrincipalId::from).collect())
    }

    read/get_subnet(sim, request: RawCanisterId) -> Option<RawSubnetId> {
        let canister = canister(&request)?;
        Ok(sim.canister_exists(canister).then(|| RawSubnetId::from(sim.subnet_id())))
    }

    read/get_stable_memory(sim, request: RawCanisterId) -> RawStableMemory {
        let blob = sim.stable_memory(canister(&request)?).map_err(sim_error)?;
        Ok(RawStableMemory { blob })
    }

    update/submit_ingress_message(sim, call: RawCanisterCall) -> Result<RawMessageId, RejectResponse> {
        let effective_principal = call.effective_principal.clone();
        let submitted = sim.submit_ingress(ingress(call)?);
        Ok(submitted
            .map(|message_id| RawMessageId {
                effective_principal,
                message_id: message_id.as_bytes().to_vec(),
            })
            .map_err(reject_response))
    }

    update/await_ingress_message(sim, raw: RawMessageId) -> RawCanisterResult {
        let id = message_id(&raw)?;
        Ok(canister_result(sim.await_ingress(&id)))
    }

    read/ingress_status(sim, args: RawIngressStatusArgs) -> Option<RawCanisterResult> {
        let id = message_id(&args.raw_message_id)?;
        Ok(sim.ingress_status(&id).map(canister_result))
    }

    read/query(sim, call: RawCanisterCall) -> RawCanisterResult {
        let call = ingress(call)?;
        Ok(canister_result(sim.query_call(call.canister_id, call.sender, &call.method, call.payload)))
    }

    update/canister_snapshot_download(sim, request: RawCanisterSnapshotDownload) -> () {
        let canister = canister(&request.canister_id)?;
        let sender = principal(&request.sender.principal_id, "sender")?;
        snapshot_dir::download(sim, canister, sender, request.snapshot_id, &request.snapshot_dir)
            .map_err(snapshot_dir_error)
    }

    update/canister_snapshot_upload(sim, request: RawCanisterSnapshotUpload) -> RawCanisterSnapshotId {
        let canister = canister(&request.canister_id)?;
        let sender = principal(&request.sender.principal_id, "sender")?;
        let replace = request.replace_snapshot.map(|r| r.snapshot_id);
        snapshot_dir::upload(sim, canister, sender, replace, &request.snapshot_dir)
            .map(|snapshot_id| RawCanisterSnapshotId { snapshot_id })
            .map_err(snapshot_dir_error)
    }

    update/mock_canister_http(sim, mock: RawMockCanisterHttpResponse) -> () {
        canister_http::mock_response(sim, mock)
    }

    read/pub_key(sim, subnet: RawSubnetId) -> Vec<u8> {
        let subnet = principal(&subnet.subnet_id, "subnet_id")?;
        if subnet != sim.subnet_id() {
            return Err(ApiError::bad_request(format!("subnet {subnet} does not exist")));
        }
        Ok(sim.root_key())
    }
}

async fn set_stable_memory(
    State(state): Shared,
    Path(id): Path<InstanceId>,
    body: Bytes,
) -> ApiResult<()> {
    let request: RawSetStableMemory = parse_body("set_stable_memory", &body)?;
    let data = state.blobs.get(&request.blob_id.0)?;
    let instance = state.instances.get(id)?;
    instance
        .run(move |sim| {
            let canister = principal(&request.canister_id, "canister_id")?;
            sim.set_stable_memory(canister, data).map_err(sim_error)
        })
        .await?
        .map(Json)
}

async fn auto_progress(
    State(state): Shared,
    Path(id): Path<InstanceId>,
    body: Bytes,
) -> ApiResult<()> {
    let config: AutoProgressConfig = parse_body("auto_progress", &body)?;
    let instance = state.instances.get(id)?;
    instance.start_progress(progress_delay(&config));
    // As PocketIC, answer once the time has caught up with the wall clock: agents derive request
    // expiries and judge certificates' freshness by it.
    instance.run(follow_wall_clock).await?;
    Ok(Json(()))
}

async fn auto_progress_enabled(
    State(state): Shared,
    Path(id): Path<InstanceId>,
) -> ApiResult<bool> {
    Ok(Json(state.instances.get(id)?.is_progressing()))
}

async fn stop_progress(State(state): Shared, Path(id): Path<InstanceId>) -> ApiResult<()> {
    state.instances.get(id)?.stop_progress();
    Ok(Json(()))
}
