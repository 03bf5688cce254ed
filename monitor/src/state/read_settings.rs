//! [`StoredReadSettings`]: the read policy, the page setting and the hash of the metrics token,
//! one Candid record in its own cell (memory id `READ_SETTINGS`). A monitor upgraded from a
//! release without it opens the cell empty and so gets the default: restricted, pages off.

use crate::api::{HttpPages, ReadPolicy, ReadSettings};
use candid::CandidType;
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// The read settings as the monitor keeps them.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredReadSettings {
    /// Who may call the queries.
    pub read_policy: ReadPolicy,
    /// What `http_request` serves.
    pub http_pages: HttpPages,
    /// SHA-256 of the metrics token; absent when none was issued (or it was revoked).
    pub metrics_token_sha256: Option<ByteBuf>,
    /// When the token was issued, IC time in nanoseconds.
    pub metrics_token_rotated_at_ns: Option<u64>,
}

canister_hooks_types::candid_storable!(StoredReadSettings);

impl Default for StoredReadSettings {
    fn default() -> Self {
        let view = ReadSettings::default();
        Self {
            read_policy: view.read_policy,
            http_pages: view.http_pages,
            metrics_token_sha256: None,
            metrics_token_rotated_at_ns: None,
        }
    }
}

impl StoredReadSettings {
    /// What `read_settings` shows: everything but the token's hash.
    pub fn view(&self) -> ReadSettings {
        ReadSettings {
            read_policy: self.read_policy.clone(),
            http_pages: self.http_pages,
            metrics_token_rotated_at_ns: self.metrics_token_rotated_at_ns,
        }
    }
}
