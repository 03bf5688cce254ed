//! canister-hooks: the lifecycle hooks the Internet Computer does not provide.
//!
//! - **Hook endpoints** ([`Hooks`], [`export_hooks!`]): `on_low_cycles`, `on_low_memory`,
//!   `on_error`, callable by the configured monitor(s) or the canister itself, one handler run
//!   per event id.
//! - **Readiness gating** ([`init`], [`post_upgrade`], [`Setup`], [`InitTask`], [`guard_ready`],
//!   [`inspect_message`]): RNG seeding from `raw_rand` and async init tasks run before guarded
//!   methods are served.
//! - **Trap-capturing timers and heartbeat** ([`set_timer`], [`set_timer_interval`],
//!   [`set_heartbeat`]): each run isolated in one bounded-wait self-call; traps land in a stable
//!   error log and reach `on_error`.
//!
//! Pure logic lives in plain modules ([`readiness`], [`backoff`], [`dedupe`], [`error_log`],
//! [`schedule`], [`access`], [`store`]); [`runtime`] wires them to the IC. Stable memory layout:
//! see [`memory`] (the SDK writes `MemoryId` 200 and reserves 200..=209).

#![warn(missing_docs)]

pub mod access;
pub mod backoff;
pub mod dedupe;
pub mod error_log;
// Documented field by field where the types crate takes these payloads over (issue 11, item 1).
#[allow(missing_docs)]
pub mod events;
mod macros;
pub mod memory;
pub mod readiness;
pub mod runtime;
pub mod schedule;
pub mod store;
#[cfg(test)]
mod tests;
pub mod types;

pub use backoff::Backoff;
pub use runtime::guards::{guard_hook_caller, guard_ready, inspect_message};
pub use runtime::heartbeat::{clear_heartbeat, set_heartbeat};
pub use runtime::hooks::{bridge_low_wasm_memory, Hooks};
pub use runtime::random::{fill_random, random_u64, RandomError};
pub use runtime::readiness::{init, is_ready, post_upgrade, InitTask, Setup};
pub use runtime::report::Failure;
pub use runtime::timers::{
    clear_timer, set_timer, set_timer_interval, set_timer_interval_named, set_timer_named, TimerId,
};
