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

use candid::{CandidType, Principal};
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

canister_hooks::candid_storable!(State);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
mod canister;
