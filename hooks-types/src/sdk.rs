//! Candid types of the SDK's own queries and updates (readiness, error log, status, admin,
//! maintenance mode, calls in flight).
//!
//! The SDK re-exports this module as `canister_hooks::types`.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

use crate::events::ErrorSource;
use crate::{units, NS};

/// Where a canister is in its post-init sequence.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not started yet: `init`/`post_upgrade` has not handed the SDK its setup.
    NotStarted,
    /// Running the named step; guarded methods are rejected.
    Initializing {
        /// Name of the step being run or waited on.
        step: String,
    },
    /// Every step is done; guarded methods are served.
    Ready,
}

/// State of one post-init step.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum StepState {
    /// Not attempted yet.
    Pending,
    /// An attempt is running now.
    Running,
    /// The last attempt failed; the next one starts at this IC time (ns).
    RetryAt(u64),
    /// Completed at this IC time (ns).
    Done(u64),
    /// Completed before the last upgrade and declared not to re-run.
    CompletedBeforeUpgrade,
}

/// One post-init step as the readiness query shows it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StepView {
    /// `seed_rng` for the RNG seeding step, else the init task's name.
    pub name: String,
    /// Where the step is.
    pub state: StepState,
    /// Attempts started so far.
    pub attempts: u32,
    /// The most recent failure message, if any attempt failed.
    pub last_error: Option<String>,
}

/// What `hooks_readiness` returns: enough for a client to decide whether to call now.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// Current phase.
    pub phase: Phase,
    /// Steps in the order they run.
    pub steps: Vec<StepView>,
    /// IC time (ns) when the sequence started (last init or upgrade).
    pub started_at_ns: Option<u64>,
    /// IC time (ns) when the canister became ready, if it has.
    pub ready_at_ns: Option<u64>,
    /// The maintenance the canister is in, if any: its updates are then rejected (queries serve).
    pub maintenance: Option<Maintenance>,
}

/// One entry of the SDK's stable error log; repeats of the same failure are folded into it.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorRecord {
    /// Position in the log; larger is newer.
    pub seq: u64,
    /// What failed.
    pub source: ErrorSource,
    /// The trap or reject message (truncated to 1024 bytes).
    pub message: String,
    /// The IC reject code (5 = trapped, 4 = rejected by the canister, 2/6 = system).
    pub reject_code: Option<u32>,
    /// IC time (ns) of the first occurrence.
    pub first_at_ns: u64,
    /// IC time (ns) of the latest occurrence.
    pub last_at_ns: u64,
    /// Occurrences folded into this entry.
    pub count: u64,
}

/// What `hooks_status` returns.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HooksStatus {
    /// SDK crate version.
    pub sdk_version: String,
    /// Whether guarded methods are served.
    pub ready: bool,
    /// Principals allowed to call the hook endpoints (besides the canister itself).
    pub monitors: Vec<Principal>,
    /// Entries currently in the error log.
    pub errors_logged: u64,
    /// Event ids remembered for deduplication.
    pub events_remembered: u64,
    /// Hook handler runs (one per distinct event).
    pub hooks_handled: u64,
    /// Deliveries acknowledged without running the handler again.
    pub duplicates_dropped: u64,
    /// SDK timers currently scheduled.
    pub timers_scheduled: u64,
    /// Whether a heartbeat body is running now.
    pub heartbeat_in_flight: bool,
    /// Outgoing calls made through `canister_hooks::call::Call` awaiting a response, per callee
    /// and method (an upgrade is refused by `guard_upgrade` while there are any).
    pub calls_in_flight: Vec<CallsInFlight>,
    /// One-way calls (no response expected) sent through `canister_hooks::call::Call` since the
    /// last upgrade.
    pub one_way_calls_sent: u64,
    /// The maintenance the canister is in, if any.
    pub maintenance: Option<Maintenance>,
}

/// Calls to one method of one canister awaiting a response.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CallsInFlight {
    /// The canister called.
    pub callee: Principal,
    /// The method called.
    pub method: String,
    /// How many await a response.
    pub count: u32,
}

/// The maintenance a canister is in: its updates are rejected with [`Maintenance::message`]
/// (except the methods it keeps open), its queries keep serving.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Maintenance {
    /// Why, as shown to callers.
    pub reason: String,
    /// When it is expected to end (IC time, ns).
    pub until_ns: u64,
    /// When it began (IC time, ns).
    pub since_ns: u64,
    /// Who put the canister in maintenance.
    pub entered_by: Principal,
}

impl Maintenance {
    /// The rejection callers see:
    /// `in maintenance until 2026-11-29 23:40:05 UTC (in 4 min): reason; queries are still served`.
    pub fn message(&self, now_ns: u64) -> String {
        let when = if self.until_ns > now_ns {
            format!("in {}", units::duration(self.retry_after_seconds(now_ns)))
        } else {
            "overdue".to_string()
        };
        format!(
            "in maintenance until {} ({when}): {}; queries are still served",
            units::utc(self.until_ns),
            self.reason
        )
    }

    /// Seconds until the expected end, at least 1: the HTTP `Retry-After` value.
    pub fn retry_after_seconds(&self, now_ns: u64) -> u64 {
        self.until_ns.saturating_sub(now_ns).div_ceil(NS).max(1)
    }
}

/// Why `hooks_enter_maintenance` or `hooks_leave_maintenance` was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum MaintenanceError {
    /// Only the canister's monitors and controllers (or the canister itself) may enter or leave
    /// maintenance.
    NotAllowed {
        /// Who asked.
        caller: Principal,
    },
    /// The reason is empty.
    EmptyReason,
    /// The reason is longer than the SDK keeps (256 bytes).
    ReasonTooLong {
        /// Its length in bytes.
        bytes: u64,
    },
    /// The expected end is not in the future.
    EndNotInFuture {
        /// The end asked for (IC time, ns).
        until_ns: u64,
        /// The time now (IC time, ns).
        now_ns: u64,
    },
}

impl std::fmt::Display for MaintenanceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaintenanceError::NotAllowed { caller } => write!(
                f,
                "{caller} may not change the maintenance mode: only the canister's monitors and controllers may"
            ),
            MaintenanceError::EmptyReason => {
                write!(f, "give a reason: callers see it while updates are rejected")
            }
            MaintenanceError::ReasonTooLong { bytes } => {
                write!(f, "the reason is {bytes} bytes; at most 256 are kept")
            }
            MaintenanceError::EndNotInFuture { until_ns, now_ns } => write!(
                f,
                "the expected end {} is not after now ({})",
                units::utc(*until_ns),
                units::utc(*now_ns)
            ),
        }
    }
}

impl std::error::Error for MaintenanceError {}

/// Errors of the SDK's admin update `hooks_set_monitors`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// Only a controller of the canister may change the monitors.
    NotController {
        /// Who called.
        caller: Principal,
    },
    /// The anonymous principal or the management canister cannot be a monitor.
    InvalidMonitor {
        /// The rejected principal.
        principal: Principal,
    },
    /// More monitors than allowed (`MAX_MONITORS`, 8).
    TooManyMonitors {
        /// How many were given.
        given: u32,
        /// The maximum allowed.
        max: u32,
    },
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::NotController { caller } => write!(
                f,
                "{caller} is not a controller of this canister; only controllers may set the monitors"
            ),
            AdminError::InvalidMonitor { principal } => write!(
                f,
                "{principal} cannot be a monitor (anonymous or management canister); pass the monitor canister's id"
            ),
            AdminError::TooManyMonitors { given, max } => {
                write!(f, "{given} monitors given; at most {max} are allowed")
            }
        }
    }
}

impl std::error::Error for AdminError {}
