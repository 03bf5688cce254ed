//! The monitor's Candid-facing types: registration input, views, filters, pages and errors.

use candid::{CandidType, Principal};
pub use canister_hooks::events::{ErrorEvent, LowCyclesEvent, LowMemoryEvent, MemoryMetric};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which hook endpoints a registered canister exports.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hooks {
    pub on_low_cycles: bool,
    pub on_low_memory: bool,
    pub on_error: bool,
}

/// Memory thresholds; any subset may be set. Bytes, except the percentage of `wasm_memory_limit`.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MemoryThresholds {
    pub heap_bytes: Option<u64>,
    pub stable_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
    pub heap_percent_of_limit: Option<u8>,
}

impl MemoryThresholds {
    /// The thresholds that are set, with their metric.
    pub fn iter(&self) -> impl Iterator<Item = (MemoryMetric, u64)> {
        [
            (MemoryMetric::Heap, self.heap_bytes),
            (MemoryMetric::Stable, self.stable_bytes),
            (MemoryMetric::Total, self.total_bytes),
            (
                MemoryMetric::HeapPercentOfLimit,
                self.heap_percent_of_limit.map(u64::from),
            ),
        ]
        .into_iter()
        .filter_map(|(m, t)| t.map(|t| (m, t)))
    }
}

/// Bounds on the adaptive polling interval, in seconds.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollBounds {
    pub min_interval_seconds: u64,
    pub max_interval_seconds: u64,
}

/// Deposit `amount` cycles when the canister is low on cycles, at most `daily_budget` per day.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopUpPolicy {
    pub amount: u128,
    pub daily_budget: u128,
}

/// What an admin (or a canister registering itself) submits.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterArgs {
    pub canister_id: Principal,
    pub label: Option<String>,
    /// Fire `on_low_cycles` when the balance falls below this many cycles.
    pub cycles_threshold: Option<u128>,
    pub memory: Option<MemoryThresholds>,
    pub hooks: Hooks,
    /// Defaults to the monitor's configured bounds.
    pub poll: Option<PollBounds>,
    /// Repeat a still-low event at this interval; never when absent.
    pub reminder_interval_seconds: Option<u64>,
    /// Re-arm a trigger only after the value recovers this far past its threshold (percent).
    pub hysteresis_percent: Option<u8>,
    pub top_up: Option<TopUpPolicy>,
}

/// A canister in the registry.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub canister_id: Principal,
    pub label: String,
    pub cycles_threshold: Option<u128>,
    pub memory: MemoryThresholds,
    pub hooks: Hooks,
    pub poll: PollBounds,
    pub reminder_interval_seconds: Option<u64>,
    pub hysteresis_percent: u8,
    pub top_up: Option<TopUpPolicy>,
    pub self_registered: bool,
    pub registered_at_ns: u64,
    pub updated_at_ns: u64,
}

/// Why a registration request was refused; each names the offending field.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum RegistrationError {
    /// The caller may not perform this operation.
    NotAuthorized { caller: Principal, reason: String },
    /// The canister id is not a canister the monitor can watch.
    InvalidCanisterId { field: String, reason: String },
    /// A value lies outside its accepted range.
    OutOfRange {
        field: String,
        value: String,
        min: String,
        max: String,
    },
    /// The minimum interval exceeds the maximum.
    IntervalBoundsInverted { field: String, min: u64, max: u64 },
    /// A text field is longer than allowed.
    TooLong { field: String, len: u64, max: u64 },
    /// Nothing would ever be watched.
    NothingToWatch { field: String },
    /// The registry already holds its configured maximum.
    RegistryFull { field: String, cap: u64 },
    /// The canister is already registered (use `update_registration`).
    AlreadyRegistered { canister_id: Principal },
    /// The canister is not registered.
    NotRegistered { canister_id: Principal },
    /// The monitor cannot read the target's `canister_status`.
    StatusUnreadable {
        canister_id: Principal,
        reject_code: Option<u32>,
        message: String,
        fix: String,
    },
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RegistrationError::*;
        match self {
            NotAuthorized { caller, reason } => write!(f, "caller {caller} is not authorized: {reason}"),
            InvalidCanisterId { field, reason } => write!(f, "{field}: {reason}"),
            OutOfRange { field, value, min, max } => {
                write!(f, "{field} = {value} is out of range; use a value in [{min}, {max}]")
            }
            IntervalBoundsInverted { field, min, max } => write!(
                f,
                "{field}: min_interval_seconds ({min}) is greater than max_interval_seconds ({max}); swap them"
            ),
            TooLong { field, len, max } => write!(f, "{field} is {len} bytes; shorten it to at most {max}"),
            NothingToWatch { field } => write!(
                f,
                "{field}: set cycles_threshold, a memory threshold or hooks.on_error, or nothing is watched"
            ),
            RegistryFull { field, cap } => write!(
                f,
                "{field}: the registry holds its maximum of {cap} canisters; unregister one or raise max_registrations"
            ),
            AlreadyRegistered { canister_id } => {
                write!(f, "canister {canister_id} is already registered; use update_registration")
            }
            NotRegistered { canister_id } => write!(f, "canister {canister_id} is not registered; register it first"),
            StatusUnreadable { canister_id, message, fix, .. } => {
                write!(f, "cannot read canister_status of {canister_id}: {message}; {fix}")
            }
        }
    }
}

/// Kind of a hook event.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    LowCycles,
    LowMemory,
    Error,
}

/// An event the monitor delivers to a hook endpoint.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum HookEvent {
    LowCycles(LowCyclesEvent),
    LowMemory(LowMemoryEvent),
    Error(ErrorEvent),
}

impl HookEvent {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            HookEvent::LowCycles(_) => EventKind::LowCycles,
            HookEvent::LowMemory(_) => EventKind::LowMemory,
            HookEvent::Error(_) => EventKind::Error,
        }
    }
    /// The event's id.
    pub fn id(&self) -> u64 {
        match self {
            HookEvent::LowCycles(e) => e.id,
            HookEvent::LowMemory(e) => e.id,
            HookEvent::Error(e) => e.id,
        }
    }
    /// The hook endpoint that receives it.
    pub fn endpoint(&self) -> &'static str {
        use canister_hooks::events::endpoint;
        match self {
            HookEvent::LowCycles(_) => endpoint::ON_LOW_CYCLES,
            HookEvent::LowMemory(_) => endpoint::ON_LOW_MEMORY,
            HookEvent::Error(_) => endpoint::ON_ERROR,
        }
    }
    /// The Candid-encoded argument of the hook call.
    pub fn encode_arg(&self) -> Vec<u8> {
        let r = match self {
            HookEvent::LowCycles(e) => candid::encode_one(e),
            HookEvent::LowMemory(e) => candid::encode_one(e),
            HookEvent::Error(e) => candid::encode_one(e),
        };
        r.expect("hook events always encode")
    }
}

/// Where an event stands in delivery.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// In the outbox, not yet acknowledged.
    Pending,
    /// Acknowledged by the target's hook endpoint.
    Delivered { at_ns: u64, attempts: u32 },
    /// Gave up; see the dead-letter queue.
    DeadLettered { at_ns: u64, reason: String },
    /// Recorded only: the canister is not registered for this hook.
    NotSubscribed,
}

/// One entry of the event history.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub id: u64,
    pub canister_id: Principal,
    pub created_at_ns: u64,
    pub event: HookEvent,
    pub delivery: DeliveryStatus,
}

/// Filter and page of the event history (newest first).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub canister_id: Option<Principal>,
    pub kind: Option<EventKind>,
    pub since_ns: Option<u64>,
    pub until_ns: Option<u64>,
    /// Return events with ids below this one (the previous page's `next`).
    pub before_id: Option<u64>,
    pub limit: Option<u32>,
}

/// A page of events; pass `next` as `before_id` for the following page.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<EventRecord>,
    pub next: Option<u64>,
}

/// An event the monitor gave up delivering.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: u64,
    pub canister_id: Principal,
    pub event: HookEvent,
    pub attempts: u32,
    pub created_at_ns: u64,
    pub dead_at_ns: u64,
    pub reason: String,
}

/// A page of dead letters, oldest first; pass `next` as `after_id` for the following page.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterPage {
    pub dead_letters: Vec<DeadLetter>,
    pub next: Option<u64>,
}

/// Why a redrive was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum RedriveError {
    /// The caller is not an admin.
    NotAuthorized { caller: Principal },
    /// No dead letter has this id.
    UnknownDeadLetter { id: u64 },
    /// The event's canister is no longer registered; register it again first.
    NotRegistered { canister_id: Principal },
}

/// A page of registrations, ordered by canister id.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistrationPage {
    pub registrations: Vec<Registration>,
    pub next: Option<Principal>,
}

/// One status sample, as the monitor stored it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SampleView {
    pub at_ns: u64,
    pub cycles: u128,
    pub heap_bytes: u64,
    pub stable_bytes: u64,
    pub total_bytes: u64,
    pub wasm_memory_limit: u64,
    pub freezing_reserve_cycles: u128,
    pub status: String,
}

/// One trigger's state.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TriggerView {
    pub name: String,
    pub armed: bool,
    pub last_fired_ns: Option<u64>,
}

/// Everything the monitor knows about one registered canister.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CanisterState {
    pub registration: Registration,
    pub last_sample: Option<SampleView>,
    /// Estimated cycles burned per day (negative when the balance grows).
    pub burn_rate_cycles_per_day: f64,
    /// Estimated heap growth, bytes per day.
    pub heap_growth_bytes_per_day: f64,
    /// Estimated stable memory growth, bytes per day.
    pub stable_growth_bytes_per_day: f64,
    pub next_poll_ns: u64,
    pub polls: u64,
    pub triggers: Vec<TriggerView>,
    pub consecutive_failures: u32,
    pub last_failure: Option<String>,
    /// Hooks the canister was registered with but does not export.
    pub missing_hooks: Vec<String>,
    pub topped_up_today: u128,
    pub topped_up_total: u128,
    pub pending_events: u64,
}

/// Monitor-wide settings.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub max_registrations: u64,
    pub allow_self_registration: bool,
    pub max_concurrent_status_calls: u32,
    pub max_concurrent_deliveries: u32,
    /// Timeout of every bounded-wait call (at most 300).
    pub call_timeout_seconds: u32,
    /// No registration may poll more often than this.
    pub min_interval_floor_seconds: u64,
    pub default_poll: PollBounds,
    /// Next poll at this percentage of the predicted time to the threshold.
    pub poll_fraction_percent: u8,
    pub default_hysteresis_percent: u8,
    pub delivery_max_attempts: u32,
    pub delivery_max_age_seconds: u64,
    pub backoff_base_seconds: u64,
    pub backoff_max_seconds: u64,
    pub event_log_capacity: u64,
    /// Cycles the monitor never spends on top-ups.
    pub top_up_reserve_cycles: u128,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_registrations: 10_000,
            allow_self_registration: false,
            max_concurrent_status_calls: 50,
            max_concurrent_deliveries: 50,
            call_timeout_seconds: 60,
            min_interval_floor_seconds: 10,
            default_poll: PollBounds {
                min_interval_seconds: 60,
                max_interval_seconds: 24 * 3600,
            },
            poll_fraction_percent: 25,
            default_hysteresis_percent: 10,
            delivery_max_attempts: 10,
            delivery_max_age_seconds: 24 * 3600,
            backoff_base_seconds: 5,
            backoff_max_seconds: 3600,
            event_log_capacity: 10_000,
            top_up_reserve_cycles: 1_000_000_000_000,
        }
    }
}

/// Changes to the configuration; absent fields are kept.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigUpdate {
    pub max_registrations: Option<u64>,
    pub allow_self_registration: Option<bool>,
    pub max_concurrent_status_calls: Option<u32>,
    pub max_concurrent_deliveries: Option<u32>,
    pub call_timeout_seconds: Option<u32>,
    pub min_interval_floor_seconds: Option<u64>,
    pub default_poll: Option<PollBounds>,
    pub poll_fraction_percent: Option<u8>,
    pub default_hysteresis_percent: Option<u8>,
    pub delivery_max_attempts: Option<u32>,
    pub delivery_max_age_seconds: Option<u64>,
    pub backoff_base_seconds: Option<u64>,
    pub backoff_max_seconds: Option<u64>,
    pub event_log_capacity: Option<u64>,
    pub top_up_reserve_cycles: Option<u128>,
}

/// Why a configuration change or admin change was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// Only controllers (or admins, where stated) may do this.
    NotAuthorized { caller: Principal, reason: String },
    /// A configuration value is out of range.
    InvalidConfig { field: String, reason: String },
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::NotAuthorized { caller, reason } => {
                write!(f, "caller {caller} is not authorized: {reason}")
            }
            AdminError::InvalidConfig { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

/// Counters since installation.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub registrations: u64,
    pub polls: u64,
    pub poll_failures: u64,
    pub events: u64,
    pub deliveries: u64,
    pub delivery_failures: u64,
    pub dead_lettered: u64,
    pub redriven: u64,
    pub outbox_pending: u64,
    pub dead_letters: u64,
    pub top_ups: u64,
    pub top_up_cycles: u128,
    pub errors_reported: u64,
}
