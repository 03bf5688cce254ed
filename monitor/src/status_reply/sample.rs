//! One observation of a canister, read from the management canister's `canister_status`
//! (see [`super`]).

use crate::api::{MemoryMetric, SampleView};

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A running canister sample with the given cycles and heap at time `at_s` seconds.
    pub fn sample(at_s: u64, cycles: u128, heap: u64) -> Sample {
        Sample {
            at_ns: at_s * crate::api::NS,
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
    fn heap_percent_needs_a_limit() {
        let mut s = sample(0, 0, 50);
        assert_eq!(s.metric(MemoryMetric::HeapPercentOfLimit), None);
        s.wasm_memory_limit = 200;
        assert_eq!(s.metric(MemoryMetric::HeapPercentOfLimit), Some(25));
    }
}
