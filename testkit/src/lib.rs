//! canister-hooks-testkit: one way to drive an IC with our canisters on it, for the integration
//! tests, the demo and the dfx walkthrough.
//!
//! [`Ic`] is the IC: implemented for `pocket_ic::PocketIc` (any PocketIC server, real or our
//! `ic-sim-server`) and for the embedded emulator ([`SimIc`]), with pocket-ic's method names, its
//! reject type and its typed calls (`update_candid_as`, `query_candid_as`). The [`Client`]s
//! ([`monitor`], [`sdk`], [`examples`]) are the only place the
//! canisters' Candid methods are named; their types come from the canister crates themselves.

pub mod client;
pub mod examples;
pub mod ic;
pub mod monitor;
mod monitor_webhooks;
mod pocket;
pub mod sdk;
mod sim;
pub mod wasm;

pub use client::Client;
pub use ic::{Ic, Outcall, ROUNDS_PER_STEP};
pub use pocket_ic::RejectResponse;
pub use sim::SimIc;
pub use wasm::{canister_wasm, read_canister_wasm, workspace_root};
