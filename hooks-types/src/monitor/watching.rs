//! Watching without control and catching unexpected changes: the access the monitor has to a
//! canister, the code and controllers it last saw, changes an operator expects, and forecasts.

use super::MemoryMetric;
use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the monitor may reach a canister, from the controllers in its latest status reply.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WatchAccess {
    /// No status read yet (or none since an upgrade from a monitor that did not record it).
    #[default]
    Unknown,
    /// The monitor is a controller: it may watch, top up, upgrade, back up and restore.
    Controller,
    /// The monitor may read the status (`status_visibility`) but is no controller: it watches
    /// and tops up; upgrades, backups and restores are refused.
    StatusViewer,
    /// The status was readable and now is refused (the canister's settings changed).
    Lost,
}

impl WatchAccess {
    /// Lower-case name (metrics, status page).
    pub fn name(self) -> &'static str {
        match self {
            WatchAccess::Unknown => "unknown",
            WatchAccess::Controller => "controller",
            WatchAccess::StatusViewer => "status_viewer",
            WatchAccess::Lost => "lost",
        }
    }
}

/// A change of code or controllers an admin announced, so that it raises no event.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ExpectedChange {
    /// The module hash the canister is expected to run next; absent: no code change expected.
    pub module_hash: Option<serde_bytes::ByteBuf>,
    /// The controllers it is expected to have next; absent: no controller change expected.
    pub controllers: Option<Vec<Principal>>,
    /// Any module hash is expected (set by the monitor's own restores, never by `expect_change`).
    pub any_module: bool,
    /// IC time after which the expectation no longer holds, nanoseconds.
    pub until_ns: u64,
}

/// The argument of `expect_change`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ExpectChangeArgs {
    /// The registered canister.
    pub canister_id: Principal,
    /// The module hash (32 bytes) it will run next.
    pub module_hash: Option<serde_bytes::ByteBuf>,
    /// The controllers it will have next.
    pub controllers: Option<Vec<Principal>>,
    /// How long the expectation holds, seconds.
    pub within_seconds: u64,
}

/// Why `expect_change` was refused; each names the offending field.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ExpectChangeError {
    /// The caller is no admin.
    NotAuthorized {
        /// Who called.
        caller: Principal,
        /// Who may.
        reason: String,
    },
    /// The canister is not registered.
    NotRegistered {
        /// The canister.
        canister_id: Principal,
    },
    /// A value is not acceptable.
    Invalid {
        /// The offending field.
        field: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ExpectChangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectChangeError::NotAuthorized { caller, reason } => {
                write!(f, "caller {caller} is not authorized: {reason}")
            }
            ExpectChangeError::NotRegistered { canister_id } => {
                write!(f, "canister {canister_id} is not registered")
            }
            ExpectChangeError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

/// What the monitor knows of a canister's access, code and controllers.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct WatchingView {
    /// How the monitor may reach the canister.
    pub access: WatchAccess,
    /// The module hash at the latest recorded change (absent: no code installed, or not read).
    pub module_hash: Option<serde_bytes::ByteBuf>,
    /// The controllers at the latest recorded change.
    pub controllers: Vec<Principal>,
    /// The canister's `minimum_incoming_canister_call_cycles`: cycles attached to each hook call.
    pub minimum_incoming_call_cycles: u128,
    /// The canister's `reserved_cycles`.
    pub reserved_cycles: u128,
    /// Cycles attached to hook calls in all (also counted in the top-up budget of their day).
    pub hook_cycles_total: u128,
    /// A change an admin announced, while it holds.
    pub expected_change: Option<ExpectedChange>,
}

/// Time until a memory threshold at the current growth.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryForecast {
    /// The measure.
    pub metric: MemoryMetric,
    /// Its threshold (bytes, or percent for `HeapPercentOfLimit`).
    pub threshold: u64,
    /// Seconds until it is reached; 0 when over it, absent when not growing.
    pub seconds_to_threshold: Option<u64>,
}

/// Forecasts from the latest sample and the estimated rates.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Forecast {
    /// Seconds until the balance reaches the freezing threshold at the current burn (the
    /// threshold's cycles less `reserved_cycles`, which count towards it); 0 when at or below
    /// it, absent without a burn or a sample.
    pub seconds_to_freezing: Option<u64>,
    /// Each memory threshold of the registration.
    pub memory: Vec<MemoryForecast>,
}
