//! Webhook channels: adding, changing and removing them, fanning logged events out to the
//! channels that take them (through each channel's rate limit), due outcalls and their results,
//! dead letters and redrives, and the views (the configuration for admins, the status for all).

use super::Monitor;
use crate::api::*;
use crate::policy::webhooks::channel::{self, MAX_CHANNELS};
use crate::policy::webhooks::format;
use crate::policy::webhooks::outcall::OutcallRequest;
use crate::policy::webhooks::rate_limit::{Admission, Arrival};
use crate::state::outbox::{Failure, Outcome};
use crate::state::webhooks::{ChannelId, ChannelState, WebhookDead};
use candid::Principal;
use ic_stable_structures::Memory;
use std::collections::BTreeMap;

/// Most outcalls in flight at once.
pub const MAX_CONCURRENT_OUTCALLS: usize = 4;
/// Most dead letters one `webhook_dead_letters` answer lists.
pub const DEAD_LETTERS_SHOWN: usize = 500;

/// An outcall to make: message `id` of `channel`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub channel: ChannelId,
    pub id: u64,
    pub request: OutcallRequest,
}

fn unknown(name: &str) -> WebhookError {
    WebhookError::UnknownChannel { name: name.into() }
}

impl<M: Memory> Monitor<M> {
    /// Adds a channel.
    pub fn add_webhook(&mut self, channel: WebhookChannel) -> Result<(), WebhookError> {
        channel::validate(&channel)?;
        if self.webhooks.find(&channel.name).is_some() {
            return Err(WebhookError::ChannelExists { name: channel.name });
        }
        if self.webhooks.len() >= u64::from(MAX_CHANNELS) {
            return Err(WebhookError::TooManyChannels { max: MAX_CHANNELS });
        }
        self.webhooks.add(channel);
        Ok(())
    }

    /// Changes the channel of the same name (its queue, counters and rate window stay).
    pub fn update_webhook(&mut self, channel: WebhookChannel) -> Result<(), WebhookError> {
        channel::validate(&channel)?;
        let (id, _) = self
            .webhooks
            .find(&channel.name)
            .ok_or_else(|| unknown(&channel.name))?;
        let due = self
            .webhooks
            .state(id)
            .window
            .digest_due_at(&channel.rate_limit.unwrap_or_default());
        self.webhooks.replace(id, channel);
        self.note_digest(id, due);
        Ok(())
    }

    /// Removes channel `name` with its queued messages and dead letters.
    pub fn remove_webhook(&mut self, name: &str, now_ns: u64) -> Result<(), WebhookError> {
        let (id, _) = self.webhooks.find(name).ok_or_else(|| unknown(name))?;
        self.webhooks.remove(id, now_ns);
        self.note_digest(id, None);
        Ok(())
    }

    /// Every channel with its URL (admins only).
    pub fn list_webhooks(&self) -> Vec<WebhookChannel> {
        self.webhooks
            .channels()
            .into_iter()
            .map(|(_, c)| c)
            .collect()
    }

    /// Every channel's deliveries, without its URL.
    pub fn webhook_status(&self) -> Vec<WebhookStatus> {
        self.webhooks
            .channels()
            .into_iter()
            .map(|(id, c)| {
                let s = self.webhooks.state(id);
                let n = s.counters;
                WebhookStatus {
                    name: c.name,
                    format: c.format,
                    delivered: n.delivered,
                    failed_attempts: n.failed_attempts,
                    dead_lettered: n.dead_lettered,
                    pending: self.webhooks.outbox.pending_for(id),
                    digests: n.digests,
                    events_digested: n.events_digested,
                    events_waiting_for_digest: s.window.folded_events(),
                    cycles_spent: n.cycles_spent,
                    last_delivered_at_ns: n.last_delivered_at_ns,
                    last_error: n.last_error,
                }
            })
            .collect()
    }

    /// Offers a logged `event` of `canister` to every channel that takes it.
    pub(super) fn fan_out(&mut self, canister: Principal, event: &HookEvent, now_ns: u64) {
        for (id, c) in self.webhooks.channels() {
            if !channel::matches(&c.filter, canister, event) {
                continue;
            }
            let mut state = self.webhooks.state(id);
            let arrival = Arrival {
                id: event.id(),
                kind: event.kind(),
                severity: Severity::of(event),
                summary: format::summary(canister, event),
            };
            let limit = c.rate_limit.unwrap_or_default();
            let (digest, admission) = state.window.admit(&limit, now_ns, arrival);
            if let Some(d) = digest {
                self.queue_digest(id, &mut state, d, now_ns);
            }
            match admission {
                Admission::Send => self.webhooks.outbox.enqueue(
                    id,
                    event.id(),
                    WebhookMessage::Event {
                        canister_id: canister,
                        event: event.clone(),
                    },
                    now_ns,
                ),
                Admission::Folded => state.counters.events_digested += 1,
            }
            self.note_digest(id, state.window.digest_due_at(&limit));
            self.webhooks.set_state(id, state);
        }
    }

    /// Queues digest `d` for channel `id` (its id: the last event it folded).
    fn queue_digest(&mut self, id: ChannelId, state: &mut ChannelState, d: Digest, now_ns: u64) {
        state.counters.digests += 1;
        self.webhooks
            .outbox
            .enqueue(id, d.last_event_id, WebhookMessage::Digest(d), now_ns);
    }

    /// The digests due, by channel (built from the channels' states on first use).
    fn digests_due(&mut self) -> &mut BTreeMap<ChannelId, u64> {
        let webhooks = &self.webhooks;
        self.digests_due.get_or_insert_with(|| {
            webhooks
                .channels()
                .into_iter()
                .filter_map(|(id, c)| {
                    let due = webhooks
                        .state(id)
                        .window
                        .digest_due_at(&c.rate_limit.unwrap_or_default());
                    due.map(|at| (id, at))
                })
                .collect()
        })
    }

    /// Records when channel `id`'s digest is due (`None`: it holds none).
    fn note_digest(&mut self, id: ChannelId, due: Option<u64>) {
        if let Some(cache) = &mut self.digests_due {
            match due {
                Some(at) => cache.insert(id, at),
                None => cache.remove(&id),
            };
        }
    }

    /// Queues the digests of channels whose window has ended.
    fn flush_digests(&mut self, now_ns: u64) {
        let due: Vec<ChannelId> = self
            .digests_due()
            .iter()
            .filter(|(_, at)| **at <= now_ns)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.note_digest(id, None);
            let Some(c) = self.webhooks.get(id) else {
                continue;
            };
            let mut state = self.webhooks.state(id);
            if let Some(d) = state.window.roll(&c.rate_limit.unwrap_or_default(), now_ns) {
                self.queue_digest(id, &mut state, d, now_ns);
                self.webhooks.set_state(id, state);
            }
        }
    }

    /// The outcalls due within the free slots, one per channel; the channels are marked in
    /// flight until the result is reported. Digests whose window ended are queued first.
    pub fn take_due_webhooks(&mut self, now_ns: u64) -> Vec<WebhookDelivery> {
        self.flush_digests(now_ns);
        let slots = MAX_CONCURRENT_OUTCALLS.saturating_sub(self.outcalls.len());
        let busy = &self.outcalls;
        let due = self
            .webhooks
            .outbox
            .due(now_ns, slots, |c| busy.contains(c));
        let mut out = vec![];
        for (channel, id, message) in due {
            let Some(c) = self.webhooks.get(channel) else {
                continue;
            };
            let key = format::idempotency_key(self.id, id, &message);
            let body = format::body(c.format, self.id, id, &message);
            self.outcalls.insert(channel);
            out.push(WebhookDelivery {
                channel,
                id,
                request: OutcallRequest::post_json(&c.url, &key, body),
            });
        }
        out
    }

    /// When webhook work is next due: a queued message, or a digest at its window's end.
    pub(super) fn next_webhook_wakeup(&mut self) -> Option<u64> {
        let message = if self.outcalls.len() < MAX_CONCURRENT_OUTCALLS {
            self.webhooks
                .outbox
                .next_due_excluding(|c| self.outcalls.contains(c))
        } else {
            None
        };
        let digest = self.digests_due().values().min().copied();
        message.into_iter().chain(digest).min()
    }

    /// Outcalls in flight.
    pub fn outcalls_in_flight(&self) -> usize {
        self.outcalls.len()
    }

    /// Frees the slot of an outcall whose task ended without a result.
    pub fn release_webhook(&mut self, channel: ChannelId) {
        self.outcalls.remove(&channel);
    }

    /// Records the result of message `id` of `channel`, which cost `cycles`.
    pub fn on_webhook_result(
        &mut self,
        channel: ChannelId,
        id: u64,
        cycles: u128,
        result: Result<(), Failure>,
        now_ns: u64,
    ) -> Outcome {
        self.outcalls.remove(&channel);
        let mut state = self.webhooks.state(channel);
        state.counters.cycles_spent += cycles;
        let outcome = match result {
            Ok(()) => {
                state.counters.delivered += 1;
                state.counters.last_delivered_at_ns = Some(now_ns);
                self.webhooks.outbox.ack(channel, id)
            }
            Err(failure) => {
                state.counters.failed_attempts += 1;
                state.counters.last_error = Some(failure_reason(&failure).to_string());
                let policy = self.retry_policy();
                self.webhooks
                    .outbox
                    .fail(channel, id, failure, now_ns, &policy)
            }
        };
        if let Outcome::DeadLettered { .. } = outcome {
            state.counters.dead_lettered += 1;
            let cap = self.config.get().event_log_capacity;
            self.webhooks.outbox.trim_dead(cap);
        }
        self.webhooks.set_state(channel, state);
        outcome
    }

    /// The request `test_webhook` sends to channel `name` now.
    pub fn webhook_test_request(
        &self,
        name: &str,
        now_ns: u64,
    ) -> Result<(ChannelId, OutcallRequest), WebhookError> {
        let (id, c) = self.webhooks.find(name).ok_or_else(|| unknown(name))?;
        let key = format!("{}-test-{now_ns}", self.id);
        let body = format::test_body(c.format, self.id, &c.name, &key);
        Ok((id, OutcallRequest::post_json(&c.url, &key, body)))
    }

    /// Records what a test message cost and how it went.
    pub fn on_webhook_test(
        &mut self,
        channel: ChannelId,
        cycles: u128,
        result: &Result<(), Failure>,
    ) {
        let mut state = self.webhooks.state(channel);
        state.counters.cycles_spent += cycles;
        state.counters.last_error = result.as_ref().err().map(|f| failure_reason(f).to_string());
        self.webhooks.set_state(channel, state);
    }

    /// Dead letters of channel `name` (every channel's with `None`), oldest first.
    pub fn webhook_dead_letters(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<WebhookDeadLetter>, WebhookError> {
        let target = match name {
            Some(n) => Some(self.webhooks.find(n).ok_or_else(|| unknown(n))?.0),
            None => None,
        };
        let (dead, _) = self
            .webhooks
            .outbox
            .dead_page(target, None, DEAD_LETTERS_SHOWN);
        Ok(dead.into_iter().map(|d| self.dead_letter_view(d)).collect())
    }

    fn dead_letter_view(&self, d: WebhookDead) -> WebhookDeadLetter {
        WebhookDeadLetter {
            id: d.id,
            channel: self
                .webhooks
                .get(d.channel)
                .map(|c| c.name)
                .unwrap_or_default(),
            message: d.message,
            attempts: d.attempts,
            created_at_ns: d.created_at_ns,
            dead_at_ns: d.dead_at_ns,
            reason: d.reason,
        }
    }

    /// Puts dead letter `id` of channel `name` back in its queue with fresh attempts.
    pub fn redrive_webhook(
        &mut self,
        name: &str,
        id: u64,
        now_ns: u64,
    ) -> Result<u64, WebhookError> {
        let (channel, _) = self.webhooks.find(name).ok_or_else(|| unknown(name))?;
        self.webhooks.outbox.redrive((channel, id), now_ns).ok_or(
            WebhookError::UnknownDeadLetter {
                channel: name.into(),
                id,
            },
        )?;
        Ok(id)
    }
}

fn failure_reason(f: &Failure) -> &str {
    match f {
        Failure::Retryable(r) | Failure::RetryableUpTo(r, _) | Failure::Permanent(r) => r,
    }
}
