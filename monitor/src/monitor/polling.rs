//! Status polls: which are due, and what a sample, a failed poll or a top-up leads to.

use super::{Monitor, SampleCost, SampleOutcome};
use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::evaluate::{evaluate, evaluate_failure};
use crate::policy::scheduler::PollWindow;
use crate::policy::watching::{access_lost_event, after_refusal, is_access_refusal};
use crate::state::store::CanisterRecord;
use crate::status_reply::identity::Identity;
use crate::status_reply::sample::{Sample, DAY_SECONDS};
use candid::Principal;
use ic_stable_structures::Memory;

impl<M: Memory> Monitor<M> {
    /// Canisters whose poll is due, oldest due first, within the free concurrency slots; they are
    /// marked in flight until their result is reported.
    pub fn take_due_polls(&mut self, now_ns: u64) -> Vec<Principal> {
        let slots = (self.config.get().max_concurrent_status_calls as usize)
            .saturating_sub(self.polling.len());
        let polling = &self.polling;
        let out = self.canisters.due(now_ns, slots, |id| polling.contains(id));
        self.polling.extend(out.iter().copied());
        out
    }

    /// Status calls in flight.
    pub fn polls_in_flight(&self) -> usize {
        self.polling.len()
    }

    /// Frees the slot of a poll whose task ended without a result (its future was dropped).
    pub fn release_poll(&mut self, id: Principal) {
        self.polling.remove(&id);
    }

    /// Records the instructions one sample took (decode, decide, store).
    pub fn record_sample_cost(&mut self, instructions: u64) {
        let c = &mut self.sample_cost;
        c.last = instructions;
        c.max = c.max.max(instructions);
        c.sum = c.sum.saturating_add(instructions);
        c.count += 1;
    }

    /// Instructions spent on samples since the last upgrade.
    pub fn sample_cost(&self) -> SampleCost {
        self.sample_cost
    }

    /// Processes one status sample of `id` (and its `identity`): estimate, triggers, top-up
    /// decision, next poll, access and changes of code or controllers.
    pub fn on_sample(
        &mut self,
        id: Principal,
        sample: Sample,
        identity: &Identity,
        now_ns: u64,
        own_balance: u128,
    ) -> SampleOutcome {
        self.polling.remove(&id);
        let Some(mut l) = self.canisters.load(&id) else {
            return SampleOutcome::default();
        };
        let changes = self.observe_identity(id, &mut l.record.extension, identity, now_ns);
        let CanisterRecord {
            registration: reg,
            watch: w,
            ..
        } = &mut l.record;
        let decision = evaluate(
            reg,
            w,
            sample,
            now_ns,
            self.config.get(),
            own_balance,
            self.id,
        );
        w.next_poll = PollWindow::after(now_ns, decision.next_poll_delay_s);
        self.bump(|s| s.polls += 1);
        let events = decision
            .events
            .into_iter()
            .map(|event| self.emit(reg, event, now_ns))
            .collect();
        self.canisters.save(l);
        SampleOutcome {
            events,
            top_up: decision.top_up,
            changes,
        }
    }

    /// Records a failed status call: backs the canister's polling off and, once the failure is
    /// clearly not transient, raises a `status_unreadable` error event; a refusal of a status
    /// that was readable raises one `status_access_lost` fault instead, until a sample succeeds.
    pub fn on_poll_failure(&mut self, id: Principal, err: &CallError, now_ns: u64) -> Option<u64> {
        self.polling.remove(&id);
        let mut l = self.canisters.load(&id)?;
        let CanisterRecord {
            registration: reg,
            watch: w,
            extension: ext,
        } = &mut l.record;
        let before = ext.access;
        let lost_now = if is_access_refusal(err) {
            let (access, raise) = after_refusal(ext.access, w.last_sample.is_some());
            ext.access = access;
            raise
        } else {
            false
        };
        let access_lost = ext.access == WatchAccess::Lost;
        let decision =
            evaluate_failure(reg, w, err, now_ns, self.config.get(), self.id, access_lost);
        w.next_poll = PollWindow::after(now_ns, decision.next_poll_delay_s);
        let reg = reg.clone();
        self.canisters.save(l);
        self.bump(|s| s.poll_failures += 1);
        let event = if lost_now {
            Some(access_lost_event(before, err, self.id, now_ns))
        } else {
            decision.event
        };
        event.map(|event| self.emit(&reg, event, now_ns))
    }

    /// Records the result of a top-up deposit. An unclean failure may have deposited the cycles,
    /// so it counts against the budget.
    pub fn on_top_up(
        &mut self,
        id: Principal,
        amount: u128,
        result: Result<(), CallError>,
        now_ns: u64,
    ) {
        let Some(mut l) = self.canisters.load(&id) else {
            return;
        };
        let w = &mut l.record.watch;
        let day = now_ns / NS / DAY_SECONDS;
        match &result {
            Ok(()) => {
                w.spending.record(day, amount);
                self.bump(|s| {
                    s.top_ups += 1;
                    s.top_up_cycles = s.top_up_cycles.saturating_add(amount);
                });
            }
            Err(e) => {
                if !e.clean {
                    w.spending.record(day, amount);
                }
                w.last_failure = format!("top-up failed: {}", e.describe());
            }
        }
        self.canisters.save(l);
    }
}
