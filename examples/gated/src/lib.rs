//! Example readiness-gated canister: serves nothing until its RNG is seeded from `raw_rand` and
//! its configuration is fetched from another canister (the `worker` example's `config` query).
//!
//! Post-init steps (run by canister-hooks after `init` and after every upgrade):
//! 1. `seed_rng` — built in: ChaCha20 seeded from `raw_rand`;
//! 2. `fetch_config` — bounded-wait call to `<config_source>.config`; retried with backoff until
//!    it succeeds (e.g. while the worker itself is still initializing);
//! 3. `assign_instance_id` — runs once in the canister's life (`InitTask::once`): draws a random
//!    instance id and keeps it across upgrades.
//!
//! Until then every guarded query and update is rejected with the step it is on, and
//! `inspect_message` drops such ingress before it costs cycles.

use std::borrow::Cow;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use std::cell::RefCell;

use candid::{CandidType, Principal};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use canister_hooks::{Hooks, InitTask, Setup};
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::memory_manager::MemoryId;
use ic_stable_structures::storable::Bound;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
use ic_stable_structures::StableCell;
use ic_stable_structures::Storable;
use serde::{Deserialize, Serialize};

/// Init argument.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct GatedInit {
    /// Canister whose `config : () -> (record { greeting : text; batch_size : nat32 })` is fetched.
    pub config_source: Principal,
    /// Monitor canister allowed to call the hooks.
    pub monitor: Option<Principal>,
}

/// The configuration fetched from `config_source` (the worker's `WorkerConfig`).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RemoteConfig {
    /// Greeting text.
    pub greeting: String,
    /// Batch size (unused here; shows a structured config).
    pub batch_size: u32,
}

/// Durable state.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Where the configuration comes from.
    pub config_source: Option<Principal>,
    /// The configuration fetched during the last post-init.
    pub config: Option<RemoteConfig>,
    /// Random id assigned once, at the first post-init.
    pub instance_id: Option<u64>,
    /// Times `fetch_config` succeeded (once per init/upgrade).
    pub config_fetches: u64,
}

impl Storable for State {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(candid::encode_one(self).expect("encode"))
    }
    fn into_bytes(self) -> Vec<u8> {
        candid::encode_one(&self).expect("encode")
    }
    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        candid::decode_one(&bytes).expect("decode")
    }
    const BOUND: Bound = Bound::Unbounded;
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
thread_local! {
    static STATE: RefCell<StableCell<State, canister_hooks::memory::Memory>> = RefCell::new(
        StableCell::init(canister_hooks::memory::get(MemoryId::new(0)), State::default()),
    );
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn state() -> State {
    STATE.with_borrow(|s| s.get().clone())
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn update_state(f: impl FnOnce(&mut State)) {
    STATE.with_borrow_mut(|cell| {
        let mut s = cell.get().clone();
        f(&mut s);
        cell.set(s);
    });
}

/// No custom hook handlers: errors land in the SDK's log (`hooks_recent_errors`).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
pub struct GatedHooks;
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
impl Hooks for GatedHooks {}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
canister_hooks::export_hooks!(GatedHooks);

/// Fetches the configuration from the configured source (bounded-wait).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
async fn fetch_config() -> Result<(), String> {
    let source = state()
        .config_source
        .ok_or("no config_source: install the canister with one")?;
    let config: RemoteConfig = ic_cdk::call::Call::bounded_wait(source, "config")
        .await
        .map_err(|e| format!("config from {source}: {e}"))?
        .candid()
        .map_err(|e| format!("config from {source}: {e}"))?;
    update_state(|s| {
        s.config = Some(config);
        s.config_fetches += 1;
    });
    Ok(())
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
async fn assign_instance_id() -> Result<(), String> {
    let id = canister_hooks::random_u64().map_err(|e| e.to_string())?;
    update_state(|s| s.instance_id = Some(id));
    Ok(())
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
fn setup() -> Setup {
    Setup::new()
        .task(InitTask::new("fetch_config", fetch_config))
        .task(InitTask::new("assign_instance_id", assign_instance_id).once())
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::init]
fn init(arg: GatedInit) {
    update_state(|s| s.config_source = Some(arg.config_source));
    let mut setup = setup();
    if let Some(m) = arg.monitor {
        setup = setup.monitors(vec![m]);
    }
    canister_hooks::init(setup);
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::post_upgrade]
fn post_upgrade() {
    update_state(|s| s.config = None); // re-fetched by the post-init sequence
    canister_hooks::post_upgrade(setup());
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::inspect_message]
fn inspect_message() {
    canister_hooks::inspect_message(&[]);
}

/// A greeting built from the fetched configuration.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn greet(name: String) -> String {
    let greeting = state().config.map(|c| c.greeting).unwrap_or_default();
    format!("{greeting}, {name}!")
}

/// A fresh random number from the seeded RNG (updates persist the RNG's advance).
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::update(guard = "canister_hooks::guard_ready")]
fn draw() -> u64 {
    canister_hooks::random_u64().unwrap_or_else(|e| ic_cdk::trap(e.to_string()))
}

/// The durable state: configuration, instance id, fetch count.
#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
#[ic_cdk::query(guard = "canister_hooks::guard_ready")]
fn state_view() -> State {
    state()
}

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
ic_cdk::export_candid!();

#[cfg(all(test, feature = "canister"))]
/// `gated.did` must describe exactly the service the code exports.
/// Regenerate it with `UPDATE_DID=1 cargo test -p example-gated did_file_matches_code`.
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("gated.did");
}
