//! Example load canister: update methods that burn cycles and grow heap or stable memory on
//! demand, so scenarios can push a canister across the monitor's thresholds for real. It exports
//! the lifecycle hooks with canister-hooks and records every event it handles; its hooks can be
//! told to trap or to answer slowly, to play a misbehaving target. A guarded `serve` plays client
//! traffic, rejected while the canister is in maintenance.

use candid::{CandidType, Principal};
use canister_hooks::events::{ErrorEvent, LowCyclesEvent, LowMemoryEvent};
use serde::{Deserialize, Serialize};

pub mod logic;

/// Init and upgrade argument.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct LoadInit {
    /// Monitor canister allowed to call the hooks.
    pub monitor: Option<Principal>,
    /// A fault this release has, to rehearse failed upgrades (tests and the demo).
    pub fault: Option<ReleaseFault>,
}

/// A broken release, as an install or upgrade argument asks for it.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseFault {
    /// `post_upgrade` traps: the IC keeps the old code running.
    TrapInPostUpgrade,
    /// An init task that never succeeds: the canister runs but never becomes ready.
    NeverReady,
}

/// How the hook handlers behave.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HookMode {
    /// Record the event and reply.
    #[default]
    Normal,
    /// Trap in every handler (the event is not recorded; the monitor retries).
    Trap,
    /// Record, then wait this many rounds (one `raw_rand` call each) before replying (a slow
    /// target; a huge number never answers); setting another mode ends the wait.
    Slow(u32),
}

/// A hook event the canister handled.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Received {
    LowCycles(LowCyclesEvent),
    LowMemory(LowMemoryEvent),
    Error(ErrorEvent),
}

/// Durable settings and counters.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub mode: HookMode,
    /// Cycles burned on request.
    pub burned: u128,
    /// Stable memory bytes grown on request.
    pub stable_grown: u64,
    /// Key of the oldest retained received event.
    pub first_received: u64,
    /// Key of the next received event.
    pub next_received: u64,
    /// Times `on_low_memory` freed the heap ballast.
    pub ballast_frees: u64,
}

/// What `load_status` returns.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoadStatus {
    pub ledger: Ledger,
    pub cycle_balance: u128,
    /// Heap ballast currently held, bytes.
    pub heap_ballast: u64,
    /// Wasm heap size, bytes.
    pub heap_bytes: u64,
    /// Stable memory size, bytes.
    pub stable_bytes: u64,
    /// Events handled, per kind: low cycles, low memory, error.
    pub received: (u64, u64, u64),
    /// Client requests served (`serve`), kept across upgrades.
    pub requests_served: u64,
}

canister_hooks::candid_storable!(Ledger);
canister_hooks::candid_storable!(Received);

#[cfg(all(feature = "canister", any(target_family = "wasm", test)))]
mod canister;
