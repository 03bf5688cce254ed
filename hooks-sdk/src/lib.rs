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
//! - **Safe upgrades**: tracked outgoing calls ([`call::Call`], counted in `hooks_status`) and
//!   [`guard_upgrade`] for `pre_upgrade`, which refuses an upgrade while they await responses;
//!   maintenance mode ([`guard_not_in_maintenance`], [`guard_ready_and_not_in_maintenance`],
//!   [`inspect_message_allowing`], [`maintenance_http_response`]), entered and left by monitors
//!   and controllers through `hooks_enter_maintenance` / `hooks_leave_maintenance`.
//!
//! Pure logic lives in plain modules ([`readiness`], [`backoff`], [`dedupe`], [`error_log`],
//! [`schedule`], [`access`], [`store`], [`in_flight`], [`maintenance`]); [`runtime`] wires them
//! to the IC. Stable memory layout:
//! see [`memory`] (the SDK writes `MemoryId` 200 and reserves 200..=209). The Candid types
//! ([`events`], [`types`]) and [`Backoff`] come from the `canister-hooks-types` crate, re-exported
//! here.

#![warn(missing_docs)]

pub mod access;
pub mod dedupe;
pub mod error_log;
pub mod in_flight;
mod macros;
pub mod maintenance;
pub mod memory;
pub mod readiness;
pub mod runtime;
pub mod schedule;
pub mod store;
#[cfg(test)]
mod tests;

/// Candid types of the SDK's own queries and updates (readiness, error log, status, admin).
pub use canister_hooks_types::sdk as types;
pub use canister_hooks_types::{backoff, candid_storable, events, html, units, Backoff};
pub use runtime::call::{self, guard_upgrade};
pub use runtime::guards::{
    guard_hook_caller, guard_not_in_maintenance, guard_ready, guard_ready_and_not_in_maintenance,
    inspect_message, inspect_message_allowing,
};
pub use runtime::heartbeat::{clear_heartbeat, set_heartbeat};
pub use runtime::hooks::{bridge_low_wasm_memory, Hooks};
pub use runtime::maintenance::{
    current as current_maintenance, http_unavailable as maintenance_http_response,
};
pub use runtime::random::{fill_random, random_u64, RandomError};
pub use runtime::readiness::{init, is_ready, post_upgrade, InitTask, Setup};
pub use runtime::report::Failure;
pub use runtime::timers::{
    clear_timer, set_timer, set_timer_interval, set_timer_interval_named, set_timer_named, TimerId,
};
