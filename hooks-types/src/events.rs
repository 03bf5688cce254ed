//! Hook events: the payloads the monitor sends to a canister's hook endpoints, and the error
//! reports the SDK sends to the monitor.
//!
//! The SDK re-exports this module as `canister_hooks::events`.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

/// Identifier the sender assigns to an event; repeated deliveries carry the same id.
pub type EventId = u64;

/// Where an event came from.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum EventOrigin {
    /// Sent by a monitor canister after it observed the condition.
    Monitor(Principal),
    /// Raised inside the canister itself (for example the IC's native low-wasm-memory hook).
    SelfRaised,
}

/// The canister's cycle balance fell below its threshold.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LowCyclesEvent {
    /// The event's id; repeated deliveries carry the same one.
    pub id: EventId,
    /// Who raised the event.
    pub origin: EventOrigin,
    /// Cycle balance when sampled.
    pub balance: u128,
    /// The registered threshold that was crossed.
    pub threshold: u128,
    /// Estimated cycles burned per day, from successive samples.
    pub burn_rate_per_day: u128,
    /// Estimated seconds until the balance reaches the freezing reserve, if it is falling.
    pub seconds_to_freeze: Option<u64>,
    /// IC time of the sample, in nanoseconds since the epoch.
    pub observed_at_ns: u64,
}

/// Which memory measure crossed its threshold.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryMetric {
    /// Wasm heap bytes.
    Heap,
    /// Stable memory bytes.
    Stable,
    /// The canister's total memory size.
    Total,
    /// Heap as a percentage of the canister's `wasm_memory_limit`.
    HeapPercentOfLimit,
}

/// A memory measure rose above its threshold.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LowMemoryEvent {
    /// The event's id; repeated deliveries carry the same one.
    pub id: EventId,
    /// Who raised the event.
    pub origin: EventOrigin,
    /// Which measure crossed its threshold.
    pub metric: MemoryMetric,
    /// The measured value (bytes, or percent for `HeapPercentOfLimit`).
    pub value: u64,
    /// The registered threshold that was crossed (same unit as `value`).
    pub threshold: u64,
    /// The canister's `wasm_memory_limit` in bytes, when it has one.
    pub limit: Option<u64>,
    /// IC time of the sample, in nanoseconds since the epoch.
    pub observed_at_ns: u64,
}

/// What failed.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorSource {
    /// A named timer task trapped or was rejected.
    Timer(String),
    /// The heartbeat body trapped.
    Heartbeat,
    /// A declared post-init task failed.
    InitTask(String),
    /// A hook handler trapped.
    Hook(String),
    /// The monitor observed a fault from outside (frozen, stopped, status unreadable, ...).
    System(String),
}

/// Something went wrong in or around the canister.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorEvent {
    /// The event's id; repeated deliveries carry the same one.
    pub id: EventId,
    /// Who raised the event.
    pub origin: EventOrigin,
    /// What failed.
    pub source: ErrorSource,
    /// The trap, reject or fault message.
    pub message: String,
    /// The IC reject code, when the failure was a reject (5 = the callee trapped).
    pub reject_code: Option<u32>,
    /// IC time of the (latest) occurrence, nanoseconds since the epoch.
    pub time_ns: u64,
    /// How many times this failure has occurred (repeats are folded together).
    pub count: u64,
}

/// What a canister's SDK sends to its monitor's `report_error`; the monitor turns it into an
/// [`ErrorEvent`] with an id of its own.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    /// What failed.
    pub source: ErrorSource,
    /// The trap or reject message.
    pub message: String,
    /// The IC reject code, when the failure was a reject.
    pub reject_code: Option<u32>,
    /// IC time of the (latest) occurrence, nanoseconds since the epoch; 0 lets the monitor
    /// use the time it receives the report.
    pub time_ns: u64,
    /// How many times this failure has occurred.
    pub count: u64,
}

/// Names of the hook endpoints a canister exports.
pub mod endpoint {
    /// `on_low_cycles : (LowCyclesEvent) -> ()`
    pub const ON_LOW_CYCLES: &str = "on_low_cycles";
    /// `on_low_memory : (LowMemoryEvent) -> ()`
    pub const ON_LOW_MEMORY: &str = "on_low_memory";
    /// `on_error : (ErrorEvent) -> ()`
    pub const ON_ERROR: &str = "on_error";
    /// The monitor's `report_error : (ErrorReport) -> (variant { Ok : nat64; Err : text })`.
    pub const REPORT_ERROR: &str = "report_error";
}
