//! The canister layer: thin wiring of the pure modules to the IC (timers, calls, stable memory).
//!
//! Everything here compiles natively (so canister crates build and lint on the host) but only
//! does its job inside a canister.

pub mod call;
pub mod guards;
pub mod heartbeat;
pub mod hooks;
pub mod maintenance;
pub mod random;
pub mod readiness;
pub mod report;
pub(crate) mod self_call;
pub(crate) mod state;
pub mod timers;
