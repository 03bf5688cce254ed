//! Pure decisions: validation, configuration, triggers, estimates, scheduling, top-ups, what a
//! sample or a failed call leads to, who may call what and who sees what. No state, no calls.

pub(crate) mod access;
pub(crate) mod backup_schedule;
pub(crate) mod call_error;
pub(crate) mod config;
pub(crate) mod estimate;
pub(crate) mod evaluate;
pub(crate) mod exports;
pub(crate) mod forecast;
pub(crate) mod pipeline;
pub(crate) mod read;
pub(crate) mod scheduler;
pub(crate) mod topup;
pub(crate) mod triggers;
pub(crate) mod validation;
pub(crate) mod watching;
pub(crate) mod webhooks;
