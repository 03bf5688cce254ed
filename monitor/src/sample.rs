//! One observation of a canister, decoded from the management canister's `canister_status`.

use crate::api::SampleView;
use candid::{CandidType, Nat, Principal};
use canister_hooks::events::MemoryMetric;
use serde::Deserialize;

/// Seconds per day.
pub const DAY_SECONDS: u64 = 86_400;

/// Whether the canister is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Stopping,
    Stopped,
}

impl RunStatus {
    /// Stable one-byte code.
    pub fn code(self) -> u8 {
        match self {
            RunStatus::Running => 0,
            RunStatus::Stopping => 1,
            RunStatus::Stopped => 2,
        }
    }
    /// Inverse of [`RunStatus::code`].
    pub fn from_code(c: u8) -> Self {
        match c {
            1 => RunStatus::Stopping,
            2 => RunStatus::Stopped,
            _ => RunStatus::Running,
        }
    }
    /// Lower-case name, as in the interface specification.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Stopping => "stopping",
            RunStatus::Stopped => "stopped",
        }
    }
}

/// What the monitor keeps of one `canister_status` reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at_ns: u64,
    pub cycles: u128,
    pub heap_bytes: u64,
    pub stable_bytes: u64,
    pub total_bytes: u64,
    /// 0 when the canister has no explicit limit.
    pub wasm_memory_limit: u64,
    /// Cycles below which the canister freezes.
    pub freezing_reserve: u128,
    pub idle_burn_per_day: u128,
    pub status: RunStatus,
}

impl Sample {
    /// The value of `metric` (bytes, or percent for `HeapPercentOfLimit`; `None` without a limit).
    pub fn metric(&self, metric: MemoryMetric) -> Option<u64> {
        match metric {
            MemoryMetric::Heap => Some(self.heap_bytes),
            MemoryMetric::Stable => Some(self.stable_bytes),
            MemoryMetric::Total => Some(self.total_bytes),
            MemoryMetric::HeapPercentOfLimit => (self.wasm_memory_limit > 0)
                .then(|| ((self.heap_bytes as u128 * 100) / self.wasm_memory_limit as u128) as u64),
        }
    }
    /// The Candid view.
    pub fn view(&self) -> SampleView {
        SampleView {
            at_ns: self.at_ns,
            cycles: self.cycles,
            heap_bytes: self.heap_bytes,
            stable_bytes: self.stable_bytes,
            total_bytes: self.total_bytes,
            wasm_memory_limit: self.wasm_memory_limit,
            freezing_reserve_cycles: self.freezing_reserve,
            status: self.status.name().into(),
        }
    }
}

/// `canister_status` argument.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CanisterIdRecord {
    pub canister_id: Principal,
}

/// The part of `canister_status_result` the monitor reads. Fields the monitor does not need are
/// not decoded (Candid skips them), and the newer ones are optional so older replicas still work.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CanisterStatusReply {
    pub status: StatusVariant,
    pub settings: StatusSettings,
    pub memory_size: Nat,
    pub memory_metrics: Option<MemoryMetrics>,
    pub cycles: Nat,
    pub idle_cycles_burned_per_day: Nat,
}

/// `status` of `canister_status_result`.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusVariant {
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "stopping")]
    Stopping,
    #[serde(rename = "stopped")]
    Stopped,
}

/// The settings the monitor reads.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct StatusSettings {
    pub freezing_threshold: Nat,
    pub wasm_memory_limit: Option<Nat>,
}

/// The memory breakdown the monitor reads.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct MemoryMetrics {
    pub wasm_memory_size: Nat,
    pub stable_memory_size: Nat,
}

fn to_u128(n: &Nat) -> u128 {
    u128::try_from(n.0.clone()).unwrap_or(u128::MAX)
}

fn to_u64(n: &Nat) -> u64 {
    u64::try_from(n.0.clone()).unwrap_or(u64::MAX)
}

impl CanisterStatusReply {
    /// The sample this reply describes, observed at `at_ns`.
    pub fn to_sample(&self, at_ns: u64) -> Sample {
        let idle_burn_per_day = to_u128(&self.idle_cycles_burned_per_day);
        let freezing_seconds = to_u128(&self.settings.freezing_threshold);
        let (heap_bytes, stable_bytes) = match &self.memory_metrics {
            Some(m) => (to_u64(&m.wasm_memory_size), to_u64(&m.stable_memory_size)),
            None => (0, 0),
        };
        Sample {
            at_ns,
            cycles: to_u128(&self.cycles),
            heap_bytes,
            stable_bytes,
            total_bytes: to_u64(&self.memory_size),
            wasm_memory_limit: self
                .settings
                .wasm_memory_limit
                .as_ref()
                .map(to_u64)
                .unwrap_or(0),
            freezing_reserve: idle_burn_per_day.saturating_mul(freezing_seconds)
                / DAY_SECONDS as u128,
            idle_burn_per_day,
            status: match self.status {
                StatusVariant::Running => RunStatus::Running,
                StatusVariant::Stopping => RunStatus::Stopping,
                StatusVariant::Stopped => RunStatus::Stopped,
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A running canister sample with the given cycles and heap at time `at_s` seconds.
    pub fn sample(at_s: u64, cycles: u128, heap: u64) -> Sample {
        Sample {
            at_ns: at_s * 1_000_000_000,
            cycles,
            heap_bytes: heap,
            stable_bytes: 0,
            total_bytes: heap,
            wasm_memory_limit: 0,
            freezing_reserve: 0,
            idle_burn_per_day: 0,
            status: RunStatus::Running,
        }
    }

    #[test]
    fn decodes_a_full_spec_reply_and_ignores_unknown_fields() {
        // The full interface-spec record, as the management canister sends it.
        let full = candid_parser::parse_idl_args(
            r#"(record {
                status = variant { running };
                ready_for_migration = false;
                version = 3 : nat64;
                settings = record {
                    controllers = vec {};
                    compute_allocation = 0 : nat;
                    memory_allocation = 0 : nat;
                    freezing_threshold = 2_592_000 : nat;
                    reserved_cycles_limit = 0 : nat;
                    wasm_memory_limit = 3_221_225_472 : nat;
                    wasm_memory_threshold = 0 : nat;
                };
                module_hash = null;
                memory_size = 5_000_000 : nat;
                memory_metrics = record {
                    wasm_memory_size = 3_000_000 : nat;
                    stable_memory_size = 1_000_000 : nat;
                    global_memory_size = 0 : nat;
                    wasm_binary_size = 0 : nat;
                    custom_sections_size = 0 : nat;
                    canister_history_size = 0 : nat;
                    wasm_chunk_store_size = 0 : nat;
                    snapshots_size = 0 : nat;
                };
                cycles = 7_000_000_000_000 : nat;
                reserved_cycles = 0 : nat;
                idle_cycles_burned_per_day = 86_400_000 : nat;
            })"#,
        )
        .unwrap()
        .to_bytes()
        .unwrap();
        let reply: CanisterStatusReply = candid::decode_one(&full).unwrap();
        let s = reply.to_sample(9);
        assert_eq!(s.cycles, 7_000_000_000_000);
        assert_eq!(s.heap_bytes, 3_000_000);
        assert_eq!(s.stable_bytes, 1_000_000);
        assert_eq!(s.total_bytes, 5_000_000);
        assert_eq!(s.wasm_memory_limit, 3_221_225_472);
        // 1,000 cycles per second for 30 days of freezing threshold.
        assert_eq!(s.freezing_reserve, 2_592_000_000);
        assert_eq!(s.status, RunStatus::Running);
    }

    #[test]
    fn heap_percent_needs_a_limit() {
        let mut s = sample(0, 0, 50);
        assert_eq!(s.metric(MemoryMetric::HeapPercentOfLimit), None);
        s.wasm_memory_limit = 200;
        assert_eq!(s.metric(MemoryMetric::HeapPercentOfLimit), Some(25));
    }
}
