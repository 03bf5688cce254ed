//! Example worker canister: interval timers and a heartbeat doing real work on a stable map, with
//! every run isolated by canister-hooks.
//!
//! - `process` (interval timer, 2 s): takes the oldest pending job, computes its result and caches
//!   it on the heap. It **traps** on a poison job (value ending in 666) — the SDK captures the trap,
//!   keeps the timer's schedule, and routes the error to `on_error`.
//! - `report` (interval timer, 10 s): refreshes the summary of processed work.
//! - heartbeat: compacts the stable map, folding processed jobs into a running total (skipped in
//!   degraded mode). It **traps** on a job it cannot archive (value ending in 999) — captured as a
//!   `Heartbeat` error; the next heartbeat starts only after the trapped one returned.
//! - hooks: `on_low_memory` frees the heap cache, `on_low_cycles` switches to degraded mode,
//!   `on_error` records and counts errors. The IC's native low-wasm-memory hook is forwarded to
//!   `on_low_memory` too (`canister_hooks::bridge_low_wasm_memory`).
//! - `config` (gated query): the configuration the `gated` example fetches during its post-init.
//! - safe upgrades: `submit` and `resume` are refused in maintenance (`discard` stays open),
//!   `http_request` answers 503 then, and `pre_upgrade` refuses an upgrade while tracked calls
//!   are in flight.

use candid::{CandidType, Principal};
use canister_hooks::events::LowMemoryEvent;
use serde::{Deserialize, Serialize};

mod logic;

pub use logic::{check_archivable, is_poison, process_value};

/// Init and upgrade argument.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct WorkerInit {
    /// Monitor canister allowed to call the hooks.
    pub monitor: Option<Principal>,
    /// Greeting served to the `gated` example through `config`.
    pub greeting: Option<String>,
}

/// Configuration served to other canisters.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Greeting text.
    pub greeting: String,
    /// Jobs processed per timer run.
    pub batch_size: u32,
}

/// A job in the stable map.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The submitted value.
    pub value: u64,
    /// The computed result, once processed.
    pub result: Option<u64>,
}

/// Durable counters and mode.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Jobs folded away by the heartbeat.
    pub compacted: u64,
    /// Sum of compacted results.
    pub compacted_total: u128,
    /// `on_error` events handled.
    pub errors_seen: u64,
    /// The last error message handled.
    pub last_error: Option<String>,
    /// Whether `on_low_cycles` switched the worker to degraded mode.
    pub degraded: bool,
    /// `on_low_memory` events handled.
    pub cache_frees: u64,
    /// The last `on_low_memory` event handled.
    pub last_low_memory: Option<LowMemoryEvent>,
    /// Greeting served through `config`.
    pub greeting: String,
    /// Next job key.
    pub next_key: u64,
    /// Heartbeat compaction runs.
    pub heartbeat_runs: u64,
    /// `report` timer runs.
    pub report_runs: u64,
}

/// What `stats` returns.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs waiting for `process`.
    pub pending: u64,
    /// Jobs processed but not yet compacted.
    pub processed: u64,
    /// Entries in the heap cache.
    pub cache_entries: u64,
    /// Durable counters.
    pub ledger: Ledger,
}

/// An HTTP request as the HTTP gateway passes it to `http_request`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query.
    pub url: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

/// What `http_request` answers.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status (200, or 503 in maintenance).
    pub status_code: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

canister_hooks::candid_storable!(Job);
canister_hooks::candid_storable!(Ledger);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
mod canister;
