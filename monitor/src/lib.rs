//! hooks-monitor: the sidecar canister that watches a fleet of canisters and invokes their
//! lifecycle hooks reliably.
//!
//! Policy lives in plain modules tested natively; [`canister`] only wires calls, timers and
//! stable memory.

pub mod api;
pub mod backoff;
pub mod codec;
pub mod estimate;
pub mod eventlog;
pub mod outbox;
pub mod registry;
pub mod sample;
pub mod scheduler;
pub mod topup;
pub mod triggers;
pub mod validation;
pub mod watch;
