//! Webhook decisions: which channels are valid and which events they take ([`channel`]), what a
//! message says in each format ([`format`]), how a channel's rate limit folds a storm into
//! digests ([`rate_limit`]), and what an HTTPS outcall sends and what its answer means
//! ([`outcall`]). No state, no calls.

pub(crate) mod channel;
pub(crate) mod format;
pub(crate) mod outcall;
pub(crate) mod rate_limit;
