//! Configuration of an emulated IC.

/// Per-message instruction limits (the IC's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstructionLimits {
    /// Update calls, callbacks, heartbeats and timers.
    pub update: u64,
    /// Queries.
    pub query: u64,
    /// install_code (init / pre_upgrade + post_upgrade).
    pub install: u64,
    /// canister_inspect_message.
    pub inspect_message: u64,
}

impl Default for InstructionLimits {
    fn default() -> Self {
        Self {
            update: 40_000_000_000,
            query: 5_000_000_000,
            install: 300_000_000_000,
            inspect_message: 200_000_000,
        }
    }
}

/// Configuration of a [`crate::Sim`].
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the deterministic random generator behind `raw_rand`.
    pub seed: u64,
    /// Initial time, nanoseconds since the epoch.
    pub start_time_ns: u64,
    /// Per-message instruction limits.
    pub limits: InstructionLimits,
    /// How far time moves in each round, in nanoseconds.
    pub round_time_ns: u64,
    /// How many rounds `await_ingress` runs before giving up.
    pub max_await_rounds: u64,
    /// How many messages one round executes at most.
    pub max_messages_per_round: usize,
    /// Cycles a canister gets from `provisional_create_canister_with_cycles` without an amount.
    pub default_provisional_cycles: u128,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            // 2025-01-01T00:00:00Z
            start_time_ns: 1_735_689_600_000_000_000,
            limits: InstructionLimits::default(),
            round_time_ns: 1_000,
            max_await_rounds: 1_000,
            max_messages_per_round: 10_000,
            default_provisional_cycles: 100_000_000_000_000,
        }
    }
}
