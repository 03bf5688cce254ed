//! Hook delivery: reported errors, due deliveries, their results, dead letters and redrives.

use super::{Delivery, Monitor, MAX_MESSAGE_BYTES, MAX_PENDING_PER_TARGET};
use crate::api::*;
use crate::policy::call_error::CallError;
use crate::state::outbox::{Outcome, RetryPolicy};
use candid::Principal;
use canister_hooks_types::text::truncate;
use canister_hooks_types::Backoff;
use ic_stable_structures::Memory;

impl<M: Memory> Monitor<M> {
    /// Turns an SDK error report from `caller` (a registered canister, about itself) into an
    /// `on_error` event.
    pub fn report_error(
        &mut self,
        caller: Principal,
        report: ErrorReport,
        now_ns: u64,
    ) -> Result<u64, String> {
        let Some(reg) = self.canisters.registration(&caller) else {
            return Err(format!(
                "caller {caller} is not registered with this monitor; only a registered canister may report its own errors"
            ));
        };
        if self.outbox.pending_for(caller) >= MAX_PENDING_PER_TARGET {
            return Err(format!(
                "{MAX_PENDING_PER_TARGET} events for {caller} are still undelivered; fold repeats into `count` and retry later"
            ));
        }
        self.bump(|s| s.errors_reported += 1);
        let event = HookEvent::Error(ErrorEvent {
            id: 0,
            origin: EventOrigin::Monitor(self.id),
            source: report.source,
            message: truncate(&report.message, MAX_MESSAGE_BYTES).to_string(),
            reject_code: report.reject_code,
            time_ns: if report.time_ns == 0 {
                now_ns
            } else {
                report.time_ns
            },
            count: report.count.max(1),
        });
        Ok(self.emit(&reg, event, now_ns))
    }

    pub(super) fn retry_policy(&self) -> RetryPolicy {
        let c = self.config.get();
        RetryPolicy {
            backoff: Backoff::doubling_seconds(c.backoff_base_seconds, c.backoff_max_seconds),
            max_attempts: c.delivery_max_attempts,
            max_age_ns: c.delivery_max_age_seconds.saturating_mul(NS),
        }
    }

    /// Head events due for delivery within the free concurrency slots, one per target; the
    /// targets are marked in flight until the result is reported.
    pub fn take_due_deliveries(&mut self, now_ns: u64) -> Vec<Delivery> {
        let slots = (self.config.get().max_concurrent_deliveries as usize)
            .saturating_sub(self.delivering.len());
        let busy = &self.delivering;
        let due = self.outbox.due(now_ns, slots, |t| busy.contains(t));
        self.delivering.extend(due.iter().map(|d| d.0));
        due.into_iter()
            .map(|(target, _, event)| Delivery { target, event })
            .collect()
    }

    /// Hook calls in flight.
    pub fn deliveries_in_flight(&self) -> usize {
        self.delivering.len()
    }

    /// Frees the slot of a delivery whose task ended without a result; the event stays at the
    /// head of its target's queue and is attempted again.
    pub fn release_delivery(&mut self, target: Principal) {
        self.delivering.remove(&target);
    }

    /// Records the result of delivering event `id` of `kind` to `target`. `hook_missing` is
    /// whether the target's interface, read after a failure, lacks the hook (`None`: not read).
    pub fn on_delivery(
        &mut self,
        target: Principal,
        id: u64,
        kind: EventKind,
        result: Result<(), CallError>,
        hook_missing: Option<bool>,
        now_ns: u64,
    ) -> Outcome {
        self.delivering.remove(&target);
        let outcome = match result {
            Ok(()) => self.outbox.ack(target, id),
            Err(e) => {
                let failure = e.delivery_failure(kind.endpoint(), hook_missing);
                if let Some(missing) = hook_missing {
                    self.set_missing_hook(target, kind, missing);
                }
                self.bump(|s| s.delivery_failures += 1);
                self.outbox
                    .fail(target, id, failure, now_ns, &self.retry_policy())
            }
        };
        match &outcome {
            Outcome::Acked { attempts } => {
                self.log.set_delivery(
                    id,
                    DeliveryStatus::Delivered {
                        at_ns: now_ns,
                        attempts: *attempts,
                    },
                );
                self.set_missing_hook(target, kind, false);
                self.bump(|s| s.deliveries += 1);
            }
            Outcome::DeadLettered { reason } => {
                self.log.set_delivery(
                    id,
                    DeliveryStatus::DeadLettered {
                        at_ns: now_ns,
                        reason: reason.clone(),
                    },
                );
                self.bump(|s| s.dead_lettered += 1);
                self.trim_dead_letters();
            }
            Outcome::Retry { .. } | Outcome::Unknown => {}
        }
        outcome
    }

    fn set_missing_hook(&mut self, target: Principal, kind: EventKind, missing: bool) {
        if let Some(mut l) = self.canisters.load(&target) {
            let w = &mut l.record.watch;
            let before = w.missing_hooks;
            if missing {
                w.missing_hooks |= kind.bit();
            } else {
                w.missing_hooks &= !kind.bit();
            }
            if w.missing_hooks != before {
                self.canisters.save(l);
            }
        }
    }

    pub(super) fn trim_dead_letters(&mut self) {
        let cap = self.config.get().event_log_capacity;
        self.outbox.trim_dead(cap);
    }

    /// Puts dead letter `id` back in the outbox.
    pub fn redrive(&mut self, id: u64, now_ns: u64) -> Result<u64, RedriveError> {
        let d = self
            .outbox
            .dead_letter(id)
            .ok_or(RedriveError::UnknownDeadLetter { id })?;
        if !self.canisters.contains(&d.canister_id) {
            return Err(RedriveError::NotRegistered {
                canister_id: d.canister_id,
            });
        }
        self.outbox.redrive(id, now_ns);
        self.log.set_delivery(id, DeliveryStatus::Pending);
        self.bump(|s| s.redriven += 1);
        Ok(id)
    }

    /// Puts every dead letter of `canister` back in the outbox; returns how many.
    pub fn redrive_canister(
        &mut self,
        canister: Principal,
        now_ns: u64,
    ) -> Result<u64, RedriveError> {
        if !self.canisters.contains(&canister) {
            return Err(RedriveError::NotRegistered {
                canister_id: canister,
            });
        }
        let ids = self.outbox.dead_ids_of(canister);
        for id in &ids {
            self.redrive(*id, now_ns)?;
        }
        Ok(ids.len() as u64)
    }

    /// When the timer should next wake: the earliest startable poll, delivery, operation step,
    /// webhook outcall or digest.
    pub fn next_wakeup(&mut self) -> Option<u64> {
        let c = self.config.get();
        let poll = if self.polling.len() < c.max_concurrent_status_calls as usize {
            let polling = &self.polling;
            self.canisters.next_due(|id| polling.contains(id))
        } else {
            None
        };
        let delivery = if self.delivering.len() < c.max_concurrent_deliveries as usize {
            self.outbox
                .next_due_excluding(|t| self.delivering.contains(t))
        } else {
            None
        };
        [
            poll,
            delivery,
            self.next_operation_wakeup(),
            self.next_webhook_wakeup(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
