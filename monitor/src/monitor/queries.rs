//! Read-only views: events, dead letters, one canister's state, statistics and sizes.

use super::Monitor;
use crate::api::*;
use crate::policy::forecast::forecast;
use crate::state::store::CanisterRecord;
use crate::state::watch::{TriggerId, TRIGGERS};
use crate::status_reply::sample::{Sample, DAY_SECONDS};
use candid::Principal;
use ic_stable_structures::Memory;

impl<M: Memory> Monitor<M> {
    /// The event history.
    pub fn events(&self, filter: &EventFilter) -> EventPage {
        self.log.query(filter)
    }

    /// Dead letters, oldest first.
    pub fn dead_letters(
        &self,
        canister: Option<Principal>,
        after_id: Option<u64>,
        limit: usize,
    ) -> DeadLetterPage {
        let (dead_letters, next) = self
            .outbox
            .dead_page(canister, after_id, limit.clamp(1, 500));
        DeadLetterPage {
            dead_letters: dead_letters.into_iter().map(|d| d.0).collect(),
            next,
        }
    }

    /// Everything known about `id`.
    pub fn canister_state(&self, id: Principal, now_ns: u64) -> Option<CanisterState> {
        let CanisterRecord {
            registration,
            watch: w,
            extension,
        } = self.canisters.get(&id)?;
        let day = now_ns / NS / DAY_SECONDS;
        let per_day = DAY_SECONDS as f64;
        Some(CanisterState {
            last_sample: w.last_sample.as_ref().map(Sample::view),
            burn_rate_cycles_per_day: w.estimate.cycles_burn * per_day,
            heap_growth_bytes_per_day: w.estimate.heap_growth * per_day,
            stable_growth_bytes_per_day: w.estimate.stable_growth * per_day,
            next_poll_ns: w.next_poll.due_ns,
            polls: w.polls,
            triggers: TRIGGERS
                .iter()
                .filter(|t| match t {
                    TriggerId::Cycles => registration.cycles_threshold.is_some(),
                    TriggerId::Memory(m) => registration.memory.iter().any(|(x, _)| x == *m),
                    _ => true,
                })
                .map(|t| {
                    let s = w.trigger_ref(*t);
                    TriggerView {
                        name: t.name().into(),
                        armed: !s.fired,
                        last_fired_ns: (s.last_fired_s > 0)
                            .then(|| s.last_fired_s.saturating_mul(NS)),
                    }
                })
                .collect(),
            consecutive_failures: w.consecutive_failures,
            last_failure: (!w.last_failure.is_empty()).then(|| w.last_failure.clone()),
            missing_hooks: EventKind::in_bits(w.missing_hooks)
                .map(|k| k.endpoint().to_string())
                .collect(),
            topped_up_today: w.spending.spent_on(day),
            topped_up_total: w.spending.total,
            pending_events: self.outbox.pending_for(id),
            watching: self.watching_view(id, &extension, now_ns),
            forecast: forecast(
                &registration,
                w.last_sample.as_ref(),
                &w.estimate,
                extension.reserved_cycles,
            ),
            registration,
        })
    }

    /// Counters and sizes.
    pub fn stats(&self) -> Stats {
        Stats {
            registrations: self.canisters.len(),
            outbox_pending: self.outbox.len(),
            dead_letters: self.outbox.dead_len(),
            ..self.counters.get().stats.clone()
        }
    }

    /// Stable memory each structure occupies, bytes, indexed by `MemoryId` (exact: not rounded
    /// to the memory manager's buckets).
    pub fn structure_sizes(&self) -> Vec<u64> {
        self.memories.iter().map(|m| m.size() * 65_536).collect()
    }
}
