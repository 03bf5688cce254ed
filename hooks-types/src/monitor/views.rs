//! What the monitor shows: one canister's state, statistics, and the HTTP interface.

use super::Registration;
use candid::CandidType;
use serde::{Deserialize, Serialize};

/// One status sample, as the monitor stored it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SampleView {
    /// IC time, nanoseconds.
    pub at_ns: u64,
    /// Cycle balance.
    pub cycles: u128,
    /// Wasm heap, bytes.
    pub heap_bytes: u64,
    /// Stable memory, bytes.
    pub stable_bytes: u64,
    /// Total memory size, bytes.
    pub total_bytes: u64,
    /// The `wasm_memory_limit` (0 when unset).
    pub wasm_memory_limit: u64,
    /// Cycles the canister needs to stay unfrozen.
    pub freezing_reserve_cycles: u128,
    /// `running`, `stopping` or `stopped`.
    pub status: String,
}

/// One trigger's state.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TriggerView {
    /// The trigger.
    pub name: String,
    /// Whether it fires on the next crossing.
    pub armed: bool,
    /// IC time it last fired, nanoseconds.
    pub last_fired_ns: Option<u64>,
}

/// Everything the monitor knows about one registered canister.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CanisterState {
    /// The registration.
    pub registration: Registration,
    /// The latest status sample.
    pub last_sample: Option<SampleView>,
    /// Estimated cycles burned per day (negative when the balance grows).
    pub burn_rate_cycles_per_day: f64,
    /// Estimated heap growth, bytes per day.
    pub heap_growth_bytes_per_day: f64,
    /// Estimated stable memory growth, bytes per day.
    pub stable_growth_bytes_per_day: f64,
    /// IC time of the next poll, nanoseconds.
    pub next_poll_ns: u64,
    /// Status samples taken.
    pub polls: u64,
    /// Each trigger watched.
    pub triggers: Vec<TriggerView>,
    /// Status calls failed in a row.
    pub consecutive_failures: u32,
    /// The latest status or top-up failure.
    pub last_failure: Option<String>,
    /// Hooks the canister was registered with but does not export.
    pub missing_hooks: Vec<String>,
    /// Cycles deposited today (UTC).
    pub topped_up_today: u128,
    /// Cycles deposited in all.
    pub topped_up_total: u128,
    /// Events waiting for delivery.
    pub pending_events: u64,
}

/// Counters since installation.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Registered canisters.
    pub registrations: u64,
    /// Status samples taken.
    pub polls: u64,
    /// Failed status calls.
    pub poll_failures: u64,
    /// Events raised.
    pub events: u64,
    /// Events delivered.
    pub deliveries: u64,
    /// Failed delivery attempts.
    pub delivery_failures: u64,
    /// Events given up.
    pub dead_lettered: u64,
    /// Dead letters put back in the outbox.
    pub redriven: u64,
    /// Events waiting for delivery.
    pub outbox_pending: u64,
    /// Dead letters kept.
    pub dead_letters: u64,
    /// Deposits made.
    pub top_ups: u64,
    /// Cycles deposited.
    pub top_up_cycles: u128,
    /// `report_error` calls accepted.
    pub errors_reported: u64,
}

/// An HTTP request from the HTTP gateway (`http_request`).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Path and query string.
    pub url: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: serde_bytes::ByteBuf,
}

/// The answer to an [`HttpRequest`].
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status_code: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: serde_bytes::ByteBuf,
}
