//! Who sees what: the read policy of the monitor's queries and the setting of its HTTP pages.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

/// Who may call the monitor's queries (and read its data any other way).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ReadPolicy {
    /// Anyone, anonymous callers included.
    Public,
    /// The monitor's controllers, its admins and these viewers.
    Restricted {
        /// Principals that may read, besides controllers and admins.
        viewers: Vec<Principal>,
    },
}

/// What `http_request` serves.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpPages {
    /// `/metrics` and the status page, to anyone (only with a public read policy).
    Public,
    /// Nothing: every request is refused with the same answer.
    Off,
    /// `/metrics` only with `Authorization: Bearer <token>` (see `rotate_metrics_token`); the
    /// status page is off.
    MetricsWithToken,
}

/// The monitor's read settings, as `read_settings` shows them (never the metrics token).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReadSettings {
    /// Who may call the queries.
    pub read_policy: ReadPolicy,
    /// What `http_request` serves.
    pub http_pages: HttpPages,
    /// IC time the metrics token was last rotated, nanoseconds; absent when there is none.
    pub metrics_token_rotated_at_ns: Option<u64>,
}

impl Default for ReadSettings {
    /// Restricted to controllers and admins, pages off, no metrics token: a new monitor shows
    /// nothing to anyone else until a controller says so.
    fn default() -> Self {
        Self {
            read_policy: ReadPolicy::Restricted { viewers: vec![] },
            http_pages: HttpPages::Off,
            metrics_token_rotated_at_ns: None,
        }
    }
}

/// Changes to the read settings; absent fields are kept. Both are checked together: a
/// restricted monitor cannot have public pages.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadSettingsUpdate {
    /// New read policy; kept when absent.
    pub read_policy: Option<ReadPolicy>,
    /// New page setting; kept when absent.
    pub http_pages: Option<HttpPages>,
}
