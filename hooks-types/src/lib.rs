//! canister-hooks-types: the Candid types of canister-hooks, with no canister runtime.
//!
//! - [`events`]: the payloads a monitor sends to a canister's hook endpoints, and the error
//!   reports the SDK sends to its monitor.
//! - [`sdk`]: the SDK's own queries and updates (readiness, error log, status, admin,
//!   maintenance mode, calls in flight).
//! - [`monitor`]: the monitor canister's API (registrations, events, dead letters, config).
//! - [`backoff`]: the capped exponential backoff both the SDK and the monitor retry with.
//! - [`units`]: numbers in the units people read (T cycles, MiB, durations, UTC dates).
//! - [`html`]: escaping text for the HTML pages canisters serve.
//! - [`candid_storable!`]: stores a Candid type in an `ic-stable-structures` structure.
//!
//! Only `candid` and `serde` are needed, so clients, tests and other canisters can use these
//! types natively.

#![warn(missing_docs)]

pub mod backoff;
pub mod events;
pub mod html;
pub mod monitor;
pub mod sdk;
mod storable;
pub mod text;
pub mod units;

pub use backoff::Backoff;

/// Nanoseconds per second (IC time is in nanoseconds since the epoch).
pub const NS: u64 = 1_000_000_000;
