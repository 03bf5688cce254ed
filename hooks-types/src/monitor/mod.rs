//! The monitor canister's Candid API: registration input, views, filters, pages, errors, its
//! configuration and install argument.

mod config;
mod events;
mod operations;
mod read_policy;
mod watching;
mod webhooks;

pub use crate::events::{
    endpoint, ErrorEvent, ErrorReport, ErrorSource, EventOrigin, LowCyclesEvent, LowMemoryEvent,
    MemoryMetric,
};
pub use crate::NS;
pub use config::*;
pub use events::*;
pub use operations::*;
pub use read_policy::*;
pub use watching::*;
pub use webhooks::*;

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which hook endpoints a registered canister exports.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hooks {
    /// Exports `on_low_cycles`.
    pub on_low_cycles: bool,
    /// Exports `on_low_memory`.
    pub on_low_memory: bool,
    /// Exports `on_error`.
    pub on_error: bool,
}

/// Memory thresholds; any subset may be set. Bytes, except the percentage of `wasm_memory_limit`.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MemoryThresholds {
    /// Wasm heap, bytes.
    pub heap_bytes: Option<u64>,
    /// Stable memory, bytes.
    pub stable_bytes: Option<u64>,
    /// The canister's total memory size, bytes.
    pub total_bytes: Option<u64>,
    /// Heap as a percentage of the canister's `wasm_memory_limit`.
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
    /// Never poll more often than this.
    pub min_interval_seconds: u64,
    /// Never poll less often than this.
    pub max_interval_seconds: u64,
}

/// Deposit `amount` cycles when the canister is low on cycles, at most `daily_budget` per day.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopUpPolicy {
    /// Cycles deposited per top-up.
    pub amount: u128,
    /// Most cycles deposited per UTC day.
    pub daily_budget: u128,
}

/// What an admin (or a canister registering itself) submits.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterArgs {
    /// The canister.
    pub canister_id: Principal,
    /// A name for people (at most 64 bytes).
    pub label: Option<String>,
    /// Fire `on_low_cycles` when the balance falls below this many cycles.
    pub cycles_threshold: Option<u128>,
    /// Fire `on_low_memory` when a measure rises above its threshold.
    pub memory: Option<MemoryThresholds>,
    /// The hook endpoints the canister exports.
    pub hooks: Hooks,
    /// Defaults to the monitor's configured bounds.
    pub poll: Option<PollBounds>,
    /// Repeat a still-low event at this interval; never when absent.
    pub reminder_interval_seconds: Option<u64>,
    /// Re-arm a trigger only after the value recovers this far past its threshold (percent).
    pub hysteresis_percent: Option<u8>,
    /// Deposit cycles when the balance is low.
    pub top_up: Option<TopUpPolicy>,
    /// Back the canister up on this policy (as `set_backup_policy`; admins only, the monitor must
    /// control the canister); an update without it keeps the policy the canister has.
    pub backup: Option<BackupPolicy>,
}

/// A canister in the registry.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The canister.
    pub canister_id: Principal,
    /// A name for people.
    pub label: String,
    /// Fire `on_low_cycles` below this many cycles.
    pub cycles_threshold: Option<u128>,
    /// Memory thresholds.
    pub memory: MemoryThresholds,
    /// The hook endpoints the canister exports.
    pub hooks: Hooks,
    /// Bounds on the adaptive polling interval.
    pub poll: PollBounds,
    /// Repeat a still-low event at this interval; never when absent.
    pub reminder_interval_seconds: Option<u64>,
    /// Re-arm a trigger only after the value recovers this far past its threshold (percent).
    pub hysteresis_percent: u8,
    /// Deposit cycles when the balance is low.
    pub top_up: Option<TopUpPolicy>,
    /// Registered by the canister itself.
    pub self_registered: bool,
    /// IC time of the registration, nanoseconds.
    pub registered_at_ns: u64,
    /// IC time of the last change, nanoseconds.
    pub updated_at_ns: u64,
}

/// Why a registration request was refused; each names the offending field.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum RegistrationError {
    /// The caller may not perform this operation.
    NotAuthorized {
        /// Who called.
        caller: Principal,
        /// Who may.
        reason: String,
    },
    /// The canister id is not a canister the monitor can watch.
    InvalidCanisterId {
        /// The offending field.
        field: String,
        /// Why it cannot be watched.
        reason: String,
    },
    /// A value lies outside its accepted range.
    OutOfRange {
        /// The offending field.
        field: String,
        /// The value given.
        value: String,
        /// The smallest accepted value.
        min: String,
        /// The largest accepted value.
        max: String,
    },
    /// The minimum interval exceeds the maximum.
    IntervalBoundsInverted {
        /// The offending field.
        field: String,
        /// The minimum given.
        min: u64,
        /// The maximum given.
        max: u64,
    },
    /// A text field is longer than allowed.
    TooLong {
        /// The offending field.
        field: String,
        /// Its length, bytes.
        len: u64,
        /// The longest accepted, bytes.
        max: u64,
    },
    /// Nothing would ever be watched.
    NothingToWatch {
        /// The field to set.
        field: String,
    },
    /// The registry already holds its configured maximum.
    RegistryFull {
        /// The offending field.
        field: String,
        /// The configured maximum.
        cap: u64,
    },
    /// The canister is already registered (use `update_registration`).
    AlreadyRegistered {
        /// The canister.
        canister_id: Principal,
    },
    /// The canister is not registered.
    NotRegistered {
        /// The canister.
        canister_id: Principal,
    },
    /// The backup policy given with the registration cannot be set.
    InvalidBackupPolicy {
        /// The offending field (`backup`, `backup.keep`, ...).
        field: String,
        /// Why.
        reason: String,
    },
    /// What was asked needs control of the canister, and the monitor is not among its
    /// controllers (it may only read its status).
    NotController {
        /// The offending field (`backup`).
        field: String,
        /// The canister.
        canister_id: Principal,
        /// Its controllers.
        controllers: Vec<Principal>,
    },
    /// The monitor cannot read the target's `canister_status`.
    StatusUnreadable {
        /// The canister.
        canister_id: Principal,
        /// The IC reject code of the failed call, if it was a reject.
        reject_code: Option<u32>,
        /// The reject message.
        message: String,
        /// What to do about it.
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
            InvalidBackupPolicy { field, reason } => write!(f, "{field}: {reason}"),
            NotController { field, canister_id, .. } => write!(
                f,
                "{field}: the monitor is not a controller of {canister_id} (it may only read its status); add it as a controller first"
            ),
            StatusUnreadable { canister_id, message, fix, .. } => {
                write!(f, "cannot read canister_status of {canister_id}: {message}; {fix}")
            }
        }
    }
}

/// Kind of a hook event.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `on_low_cycles`: the balance fell below its threshold.
    LowCycles,
    /// `on_low_memory`: a memory measure rose above its threshold.
    LowMemory,
    /// `on_error`: something failed in or around the canister.
    Error,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 3] = [EventKind::LowCycles, EventKind::LowMemory, EventKind::Error];

    /// The hook endpoint that receives events of this kind.
    pub fn endpoint(self) -> &'static str {
        match self {
            EventKind::LowCycles => endpoint::ON_LOW_CYCLES,
            EventKind::LowMemory => endpoint::ON_LOW_MEMORY,
            EventKind::Error => endpoint::ON_ERROR,
        }
    }

    /// This kind's bit in a set of kinds ([`Hooks::bits`] and the monitor's missing-hook set).
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The flag of [`Hooks`] that subscribes to this kind.
    fn subscription(self, hooks: &mut Hooks) -> &mut bool {
        match self {
            EventKind::LowCycles => &mut hooks.on_low_cycles,
            EventKind::LowMemory => &mut hooks.on_low_memory,
            EventKind::Error => &mut hooks.on_error,
        }
    }

    /// True when `hooks` subscribes to this kind.
    pub fn is_subscribed(self, hooks: &Hooks) -> bool {
        let mut copy = *hooks;
        *self.subscription(&mut copy)
    }

    /// The kinds whose bits are set in `bits`.
    pub fn in_bits(bits: u8) -> impl Iterator<Item = EventKind> {
        Self::ALL.into_iter().filter(move |k| bits & k.bit() != 0)
    }
}

impl Hooks {
    /// The subscribed kinds as a set of [`EventKind::bit`]s.
    pub fn bits(&self) -> u8 {
        EventKind::ALL
            .into_iter()
            .filter(|k| k.is_subscribed(self))
            .fold(0, |bits, k| bits | k.bit())
    }

    /// The hooks whose [`EventKind::bit`]s are set in `bits` (other bits are ignored).
    pub fn from_bits(bits: u8) -> Self {
        let mut hooks = Hooks::default();
        for kind in EventKind::in_bits(bits) {
            *kind.subscription(&mut hooks) = true;
        }
        hooks
    }
}

/// A page of registrations, ordered by canister id.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegistrationPage {
    /// The registrations.
    pub registrations: Vec<Registration>,
    /// Pass as `start_after` for the following page, if there is one.
    pub next: Option<Principal>,
}

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
    /// Access, code and controllers.
    pub watching: WatchingView,
    /// Time until the freezing threshold and each memory threshold.
    pub forecast: Forecast,
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

impl HttpRequest {
    /// A `GET url` request, with `Authorization: Bearer <token>` when a token is given.
    pub fn get(url: &str, bearer_token: Option<&str>) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: bearer_token
                .map(|t| vec![("Authorization".into(), format!("Bearer {t}"))])
                .unwrap_or_default(),
            body: Default::default(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_bit_endpoint_and_subscription() {
        for kind in EventKind::ALL {
            let mut only = Hooks::default();
            *kind.subscription(&mut only) = true;
            assert_eq!(only.bits(), kind.bit());
            assert_eq!(Hooks::from_bits(kind.bit()), only);
            assert!(kind.is_subscribed(&only));
            assert_eq!(EventKind::in_bits(kind.bit()).collect::<Vec<_>>(), [kind]);
            assert!(kind.endpoint().starts_with("on_"));
        }
        assert_eq!(
            EventKind::LowCycles.bit() | EventKind::LowMemory.bit() | EventKind::Error.bit(),
            7
        );
        assert_eq!(EventKind::Error.endpoint(), "on_error");
    }
}
