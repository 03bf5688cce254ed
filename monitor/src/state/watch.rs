//! Per-canister watch state: last sample, estimate, triggers, failures and top-up spending.

use crate::api::MemoryMetric;
use crate::policy::estimate::Estimate;
use crate::policy::scheduler::PollWindow;
use crate::policy::topup::Spending;
use crate::policy::triggers::Trigger;
use crate::state::codec::{self, Reader, Writer};
use crate::status_reply::sample::{RunStatus, Sample};

/// Longest failure reason kept in the watch state (the event log has the full message).
pub const MAX_FAILURE_BYTES: usize = 32;

/// The triggers each canister has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerId {
    Cycles,
    Memory(MemoryMetric),
    /// Balance at or below the freezing reserve.
    Frozen,
    /// Not running.
    Stopped,
    /// Heap at its `wasm_memory_limit`.
    HeapAtLimit,
    /// `canister_status` failing.
    StatusUnreadable,
}

/// All triggers, in storage order.
pub const TRIGGERS: [TriggerId; 9] = [
    TriggerId::Cycles,
    TriggerId::Memory(MemoryMetric::Heap),
    TriggerId::Memory(MemoryMetric::Stable),
    TriggerId::Memory(MemoryMetric::Total),
    TriggerId::Memory(MemoryMetric::HeapPercentOfLimit),
    TriggerId::Frozen,
    TriggerId::Stopped,
    TriggerId::HeapAtLimit,
    TriggerId::StatusUnreadable,
];

impl TriggerId {
    fn index(self) -> usize {
        TRIGGERS.iter().position(|t| *t == self).expect("listed")
    }
    /// Name shown in views and events.
    pub fn name(self) -> &'static str {
        match self {
            TriggerId::Cycles => "low_cycles",
            TriggerId::Memory(MemoryMetric::Heap) => "memory.heap",
            TriggerId::Memory(MemoryMetric::Stable) => "memory.stable",
            TriggerId::Memory(MemoryMetric::Total) => "memory.total",
            TriggerId::Memory(MemoryMetric::HeapPercentOfLimit) => "memory.heap_percent_of_limit",
            TriggerId::Frozen => "frozen",
            TriggerId::Stopped => "stopped",
            TriggerId::HeapAtLimit => "heap_at_limit",
            TriggerId::StatusUnreadable => "status_unreadable",
        }
    }
}

/// What the monitor remembers about one canister between polls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WatchState {
    pub last_sample: Option<Sample>,
    pub estimate: Estimate,
    pub triggers: [Trigger; 9],
    /// When to poll next.
    pub next_poll: PollWindow,
    pub polls: u64,
    pub consecutive_failures: u32,
    pub last_failure: String,
    pub spending: Spending,
    /// Bit per hook (1 low cycles, 2 low memory, 4 error) the canister was found not to export.
    pub missing_hooks: u8,
}

impl WatchState {
    /// The trigger `id`.
    pub fn trigger(&mut self, id: TriggerId) -> &mut Trigger {
        &mut self.triggers[id.index()]
    }
    /// The trigger `id`, read-only.
    pub fn trigger_ref(&self, id: TriggerId) -> &Trigger {
        &self.triggers[id.index()]
    }
}

const VERSION: u8 = 1;

/// Largest encoded watch state, in bytes (without `next_poll`, which the record keeps at a
/// fixed offset). Cycle amounts are saturated to u64, rates are f32 and trigger times are seconds
/// in a u32, keeping the bound small.
pub const MAX_ENCODED: usize = 1 // version
    + 1 + 9 * codec::MAX_U64 + 1 // sample
    + 4 * 4 // estimate
    + 2 + 9 * codec::MAX_U32 // triggers
    + codec::MAX_U64 + codec::MAX_U32 // polls, failures
    + 1 + MAX_FAILURE_BYTES
    + codec::MAX_U32 + 2 * codec::MAX_U64 // spending
    + 1; // missing hooks

impl WatchState {
    /// Appends the state, except `next_poll`, to `w`.
    pub fn encode(&self, w: &mut Writer) {
        w.u8(VERSION);
        match &self.last_sample {
            None => w.u8(0),
            Some(s) => {
                w.u8(1);
                w.u64(s.at_ns);
                w.sat64(s.cycles);
                w.u64(s.heap_bytes);
                w.u64(s.stable_bytes);
                w.u64(s.total_bytes);
                w.u64(s.wasm_memory_limit);
                w.sat64(s.freezing_reserve);
                w.sat64(s.idle_burn_per_day);
                w.u8(s.status.code());
            }
        }
        let e = &self.estimate;
        for v in [
            e.cycles_burn,
            e.heap_growth,
            e.stable_growth,
            e.total_growth,
        ] {
            w.f32(v as f32);
        }
        let fired: u16 = self
            .triggers
            .iter()
            .enumerate()
            .fold(0, |acc, (i, t)| acc | ((t.fired as u16) << i));
        w.u8(fired as u8);
        w.u8((fired >> 8) as u8);
        for t in &self.triggers {
            w.sat32(t.last_fired_s);
        }
        w.u64(self.polls);
        w.sat32(self.consecutive_failures as u64);
        w.str(&self.last_failure, MAX_FAILURE_BYTES);
        w.sat32(self.spending.day);
        w.sat64(self.spending.spent);
        w.sat64(self.spending.total);
        w.u8(self.missing_hooks);
    }

    /// Reads a state written by [`WatchState::encode`], polling next in `next_poll`.
    pub fn decode(r: &mut Reader, next_poll: PollWindow) -> Self {
        let _version = r.u8();
        let last_sample = (r.u8() == 1).then(|| Sample {
            at_ns: r.u64(),
            cycles: r.varint(),
            heap_bytes: r.u64(),
            stable_bytes: r.u64(),
            total_bytes: r.u64(),
            wasm_memory_limit: r.u64(),
            freezing_reserve: r.varint(),
            idle_burn_per_day: r.varint(),
            status: RunStatus::from_code(r.u8()),
        });
        let estimate = Estimate {
            cycles_burn: r.f32() as f64,
            heap_growth: r.f32() as f64,
            stable_growth: r.f32() as f64,
            total_growth: r.f32() as f64,
        };
        let fired = r.u8() as u16 | (r.u8() as u16) << 8;
        let mut triggers = [Trigger::default(); 9];
        for (i, t) in triggers.iter_mut().enumerate() {
            t.fired = fired & (1 << i) != 0;
            t.last_fired_s = r.u64();
        }
        WatchState {
            last_sample,
            estimate,
            triggers,
            next_poll,
            polls: r.u64(),
            consecutive_failures: r.u64().min(u32::MAX as u64) as u32,
            last_failure: r.string(),
            spending: Spending {
                day: r.u64(),
                spent: r.varint(),
                total: r.varint(),
            },
            missing_hooks: r.u8(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_reply::sample::tests::sample;

    fn full() -> WatchState {
        let mut s = sample(u64::MAX / 1_000_000_000, u128::MAX, u64::MAX);
        s.at_ns = u64::MAX;
        s.stable_bytes = u64::MAX;
        s.wasm_memory_limit = u64::MAX;
        s.freezing_reserve = u128::MAX;
        s.idle_burn_per_day = u128::MAX;
        s.status = RunStatus::Stopped;
        let mut w = WatchState {
            last_sample: Some(s),
            estimate: Estimate {
                cycles_burn: 1.5,
                heap_growth: -2.0,
                stable_growth: 3.0,
                total_growth: 4.0,
            },
            next_poll: PollWindow::at(u64::MAX),
            polls: u64::MAX,
            consecutive_failures: u32::MAX,
            last_failure: "x".repeat(200),
            spending: Spending {
                day: u64::MAX,
                spent: u128::MAX,
                total: u128::MAX,
            },
            missing_hooks: 7,
            ..Default::default()
        };
        for (i, t) in w.triggers.iter_mut().enumerate() {
            t.fired = i % 2 == 0;
            t.last_fired_s = u64::MAX - i as u64;
        }
        w
    }

    fn round_trip(w: &WatchState) -> (WatchState, usize) {
        let mut wr = Writer::default();
        w.encode(&mut wr);
        let bytes = wr.finish();
        (
            WatchState::decode(&mut Reader::new(&bytes), w.next_poll),
            bytes.len(),
        )
    }

    #[test]
    fn watch_state_round_trips_and_failure_text_is_bounded() {
        // The largest values the layout keeps exactly.
        let mut w = full();
        let s = w.last_sample.as_mut().unwrap();
        s.cycles = u64::MAX as u128;
        s.freezing_reserve = u64::MAX as u128;
        s.idle_burn_per_day = u64::MAX as u128;
        for t in w.triggers.iter_mut() {
            t.last_fired_s = u32::MAX as u64 - 1;
        }
        w.spending = Spending {
            day: u32::MAX as u64,
            spent: u64::MAX as u128,
            total: u64::MAX as u128,
        };
        let back = round_trip(&w).0;
        assert_eq!(back.last_failure.len(), MAX_FAILURE_BYTES);
        assert_eq!(
            WatchState {
                last_failure: w.last_failure[..MAX_FAILURE_BYTES].into(),
                ..w.clone()
            },
            back
        );
    }

    #[test]
    fn out_of_range_values_saturate_instead_of_wrapping() {
        let back = round_trip(&full()).0;
        assert_eq!(back.last_sample.unwrap().cycles, u64::MAX as u128);
        assert_eq!(back.spending.total, u64::MAX as u128);
        assert_eq!(back.triggers[0].last_fired_s, u32::MAX as u64);
    }

    #[test]
    fn the_largest_watch_state_fits_its_declared_bound() {
        assert!(round_trip(&full()).1 <= MAX_ENCODED);
    }

    #[test]
    fn triggers_are_addressed_by_id() {
        let mut w = WatchState::default();
        w.trigger(TriggerId::HeapAtLimit).fired = true;
        assert!(w.trigger_ref(TriggerId::HeapAtLimit).fired);
        assert!(!w.trigger_ref(TriggerId::Frozen).fired);
        assert_eq!(
            TriggerId::Memory(MemoryMetric::Stable).name(),
            "memory.stable"
        );
    }
}
