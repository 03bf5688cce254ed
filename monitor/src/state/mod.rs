//! The monitor's stable structures and their byte layouts: per-canister records in fixed slots,
//! the outbox and dead letters, the event log, the read settings, and the codec they share.

pub(crate) mod codec;
pub(crate) mod counters;
pub(crate) mod eventlog;
pub(crate) mod identities;
pub(crate) mod operations;
pub(crate) mod outbox;
pub(crate) mod read_settings;
pub(crate) mod registration_encoding;
pub(crate) mod slots;
pub(crate) mod store;
pub(crate) mod stored;
pub(crate) mod watch;
pub(crate) mod watch_extension;
pub(crate) mod webhooks;
