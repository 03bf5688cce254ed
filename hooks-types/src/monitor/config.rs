//! Monitor-wide settings, their changes, admin errors and the install argument.

use super::PollBounds;
use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Monitor-wide settings.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Most canisters the registry holds.
    pub max_registrations: u64,
    /// Whether a canister may register itself.
    pub allow_self_registration: bool,
    /// Most status calls in flight at once.
    pub max_concurrent_status_calls: u32,
    /// Most hook calls in flight at once.
    pub max_concurrent_deliveries: u32,
    /// Timeout of every bounded-wait call (at most 300).
    pub call_timeout_seconds: u32,
    /// No registration may poll more often than this.
    pub min_interval_floor_seconds: u64,
    /// Poll bounds of registrations that set none.
    pub default_poll: PollBounds,
    /// Next poll at this percentage of the predicted time to the threshold.
    pub poll_fraction_percent: u8,
    /// Hysteresis of registrations that set none (percent).
    pub default_hysteresis_percent: u8,
    /// Dead-letter an event after this many failed attempts.
    pub delivery_max_attempts: u32,
    /// Dead-letter an event this long after it was raised.
    pub delivery_max_age_seconds: u64,
    /// First retry delay; doubling per failure.
    pub backoff_base_seconds: u64,
    /// Longest retry delay.
    pub backoff_max_seconds: u64,
    /// Events (and dead letters) kept.
    pub event_log_capacity: u64,
    /// Cycles the monitor never spends on top-ups.
    pub top_up_reserve_cycles: u128,
    /// Most scheduled backups running at once (a fleet sharing a window is backed up a few
    /// canisters at a time); [`Config::DEFAULT_MAX_CONCURRENT_BACKUPS`] when absent (as in
    /// configurations stored before backups existed).
    pub max_concurrent_backups: Option<u32>,
}

impl Config {
    /// Scheduled backups running at once when `max_concurrent_backups` is absent.
    pub const DEFAULT_MAX_CONCURRENT_BACKUPS: u32 = 10;

    /// Most scheduled backups running at once.
    pub fn backup_concurrency(&self) -> u32 {
        self.max_concurrent_backups
            .unwrap_or(Self::DEFAULT_MAX_CONCURRENT_BACKUPS)
    }
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
            max_concurrent_backups: None,
        }
    }
}

/// Changes to the configuration; absent fields are kept.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// New `max_registrations`; kept when absent.
    pub max_registrations: Option<u64>,
    /// New `allow_self_registration`; kept when absent.
    pub allow_self_registration: Option<bool>,
    /// New `max_concurrent_status_calls`; kept when absent.
    pub max_concurrent_status_calls: Option<u32>,
    /// New `max_concurrent_deliveries`; kept when absent.
    pub max_concurrent_deliveries: Option<u32>,
    /// New `call_timeout_seconds`; kept when absent.
    pub call_timeout_seconds: Option<u32>,
    /// New `min_interval_floor_seconds`; kept when absent.
    pub min_interval_floor_seconds: Option<u64>,
    /// New `default_poll`; kept when absent.
    pub default_poll: Option<PollBounds>,
    /// New `poll_fraction_percent`; kept when absent.
    pub poll_fraction_percent: Option<u8>,
    /// New `default_hysteresis_percent`; kept when absent.
    pub default_hysteresis_percent: Option<u8>,
    /// New `delivery_max_attempts`; kept when absent.
    pub delivery_max_attempts: Option<u32>,
    /// New `delivery_max_age_seconds`; kept when absent.
    pub delivery_max_age_seconds: Option<u64>,
    /// New `backoff_base_seconds`; kept when absent.
    pub backoff_base_seconds: Option<u64>,
    /// New `backoff_max_seconds`; kept when absent.
    pub backoff_max_seconds: Option<u64>,
    /// New `event_log_capacity`; kept when absent.
    pub event_log_capacity: Option<u64>,
    /// New `top_up_reserve_cycles`; kept when absent.
    pub top_up_reserve_cycles: Option<u128>,
    /// New `max_concurrent_backups`; kept when absent.
    pub max_concurrent_backups: Option<u32>,
}

/// Why a configuration change or admin change was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// Only controllers (or admins, where stated) may do this.
    NotAuthorized {
        /// Who called.
        caller: Principal,
        /// Who may.
        reason: String,
    },
    /// A configuration value is out of range.
    InvalidConfig {
        /// The offending field.
        field: String,
        /// What is accepted.
        reason: String,
    },
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

/// Install and upgrade argument.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct InitArgs {
    /// Configuration changes applied at install or upgrade.
    pub config: Option<ConfigUpdate>,
    /// Admins to add (besides the controllers).
    pub admins: Option<Vec<Principal>>,
    /// Read settings to apply (who may call the queries, what `http_request` serves).
    pub read_settings: Option<super::ReadSettingsUpdate>,
}
