//! hooks-monitor: the sidecar canister that watches a fleet of canisters and invokes their
//! lifecycle hooks reliably.
//!
//! Policy lives in plain modules tested natively; [`canister`] only wires calls, timers and
//! stable memory.

pub mod api;
pub mod backoff;
pub mod calls;
pub mod codec;
pub mod config;
pub mod driver;
pub mod estimate;
pub mod eventlog;
pub mod monitor;
pub mod outbox;
pub mod registry;
pub mod sample;
pub mod scheduler;
pub mod topup;
pub mod triggers;
pub mod validation;
pub mod watch;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
