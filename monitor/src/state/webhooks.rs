//! The webhook channels' stable state: each channel's configuration, its rate window and
//! delivery counters, and the webhook outbox ([`WebhookQueue`], the same [`Outbox`] as hooks).

use crate::api::{WebhookChannel, WebhookMessage};
use crate::policy::webhooks::rate_limit::RateWindow;
use crate::state::outbox::{Outbox, OutboxEntry, Queue};
use crate::state::stored::Stored;
use candid::CandidType;
use ic_stable_structures::{Cell, Memory, StableBTreeMap};
use serde::Deserialize;

/// A channel's number (outbox keys and dead letters use it, not the name).
pub type ChannelId = u32;

/// A message a channel gave up on, as stored.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WebhookDead {
    pub channel: ChannelId,
    pub id: u64,
    pub message: WebhookMessage,
    pub attempts: u32,
    pub created_at_ns: u64,
    pub dead_at_ns: u64,
    pub reason: String,
}

canister_hooks_types::candid_storable!(WebhookDead);

/// Webhook messages to channels (memories `WEBHOOK_OUTBOX`, `WEBHOOK_OUTBOX_DUE`,
/// `WEBHOOK_DEAD_LETTERS`).
pub(crate) struct WebhookQueue;

impl Queue for WebhookQueue {
    type Target = ChannelId;
    type Payload = WebhookMessage;
    type Dead = WebhookDead;
    type DeadKey = (ChannelId, u64);
    const FIRST_TARGET: ChannelId = 0;
    fn bury(
        channel: ChannelId,
        id: u64,
        e: OutboxEntry<WebhookMessage>,
        reason: String,
        now_ns: u64,
    ) -> WebhookDead {
        WebhookDead {
            channel,
            id,
            message: e.event,
            attempts: e.attempts,
            created_at_ns: e.created_at_ns,
            dead_at_ns: now_ns,
            reason,
        }
    }
    fn dead_key(channel: ChannelId, id: u64) -> (ChannelId, u64) {
        (channel, id)
    }
    fn unbury(d: &WebhookDead) -> (ChannelId, u64, WebhookMessage) {
        (d.channel, d.id, d.message.clone())
    }
}

/// What a channel has done since it was added (persisted with its rate window).
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelCounters {
    pub delivered: u64,
    pub failed_attempts: u64,
    pub dead_lettered: u64,
    pub digests: u64,
    pub events_digested: u64,
    pub cycles_spent: u128,
    pub last_delivered_at_ns: Option<u64>,
    /// Redacted: never holds the URL.
    pub last_error: Option<String>,
}

/// A channel's changing state.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelState {
    pub window: RateWindow,
    pub counters: ChannelCounters,
}

canister_hooks_types::candid_storable!(ChannelState);

/// Channels, their state, the next channel number and the webhook outbox.
pub struct Webhooks<M: Memory> {
    channels: StableBTreeMap<ChannelId, Stored<WebhookChannel>, M>,
    states: StableBTreeMap<ChannelId, ChannelState, M>,
    next_id: Cell<ChannelId, M>,
    pub(crate) outbox: Outbox<M, WebhookQueue>,
}

impl<M: Memory> Webhooks<M> {
    /// Opens (or creates) the channels' state in six memories.
    pub fn init(channels: M, outbox: [M; 3], states: M, next_id: M) -> Self {
        let [entries, due, dead] = outbox;
        Self {
            channels: StableBTreeMap::init(channels),
            states: StableBTreeMap::init(states),
            next_id: Cell::init(next_id, 1),
            outbox: Outbox::init(entries, due, dead),
        }
    }

    /// Every channel with its number, by number.
    pub fn channels(&self) -> Vec<(ChannelId, WebhookChannel)> {
        self.channels
            .iter()
            .map(|e| (*e.key(), e.value().0))
            .collect()
    }

    /// Channels held.
    pub fn len(&self) -> u64 {
        self.channels.len()
    }

    /// The channel named `name`.
    pub fn find(&self, name: &str) -> Option<(ChannelId, WebhookChannel)> {
        self.channels().into_iter().find(|(_, c)| c.name == name)
    }

    /// The channel numbered `id`.
    pub fn get(&self, id: ChannelId) -> Option<WebhookChannel> {
        self.channels.get(&id).map(|c| c.0)
    }

    /// Stores a new channel; returns its number.
    pub fn add(&mut self, channel: WebhookChannel) -> ChannelId {
        let id = *self.next_id.get();
        self.next_id.set(id + 1);
        self.channels.insert(id, Stored(channel));
        self.states.insert(id, ChannelState::default());
        id
    }

    /// Replaces channel `id`'s configuration (its state and queue stay).
    pub fn replace(&mut self, id: ChannelId, channel: WebhookChannel) {
        self.channels.insert(id, Stored(channel));
    }

    /// Removes channel `id` with its state, queued messages and dead letters.
    pub fn remove(&mut self, id: ChannelId, now_ns: u64) {
        self.channels.remove(&id);
        self.states.remove(&id);
        self.outbox.purge(id, "channel removed", now_ns);
        self.outbox.forget_dead_of(id);
    }

    /// Channel `id`'s state.
    pub fn state(&self, id: ChannelId) -> ChannelState {
        self.states.get(&id).unwrap_or_default()
    }

    /// Stores channel `id`'s state (not for a removed channel).
    pub fn set_state(&mut self, id: ChannelId, state: ChannelState) {
        if self.channels.contains_key(&id) {
            self.states.insert(id, state);
        }
    }
}
