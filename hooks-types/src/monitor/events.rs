//! Hook events as the monitor records and delivers them, their history, and dead letters.

use super::EventKind;
use crate::events::{ErrorEvent, LowCyclesEvent, LowMemoryEvent};
use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};

/// An event the monitor delivers to a hook endpoint.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum HookEvent {
    /// For `on_low_cycles`.
    LowCycles(LowCyclesEvent),
    /// For `on_low_memory`.
    LowMemory(LowMemoryEvent),
    /// For `on_error`.
    Error(ErrorEvent),
}

impl HookEvent {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            HookEvent::LowCycles(_) => EventKind::LowCycles,
            HookEvent::LowMemory(_) => EventKind::LowMemory,
            HookEvent::Error(_) => EventKind::Error,
        }
    }
    /// The event's id.
    pub fn id(&self) -> u64 {
        match self {
            HookEvent::LowCycles(e) => e.id,
            HookEvent::LowMemory(e) => e.id,
            HookEvent::Error(e) => e.id,
        }
    }
    /// The hook endpoint that receives it.
    pub fn endpoint(&self) -> &'static str {
        self.kind().endpoint()
    }
    /// The Candid-encoded argument of the hook call.
    pub fn encode_arg(&self) -> Vec<u8> {
        let r = match self {
            HookEvent::LowCycles(e) => candid::encode_one(e),
            HookEvent::LowMemory(e) => candid::encode_one(e),
            HookEvent::Error(e) => candid::encode_one(e),
        };
        r.expect("hook events always encode")
    }
}

/// Where an event stands in delivery.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// In the outbox, not yet acknowledged.
    Pending,
    /// Acknowledged by the target's hook endpoint.
    Delivered {
        /// IC time of the acknowledgement, nanoseconds.
        at_ns: u64,
        /// Attempts it took.
        attempts: u32,
    },
    /// Gave up; see the dead-letter queue.
    DeadLettered {
        /// IC time it was given up, nanoseconds.
        at_ns: u64,
        /// Why.
        reason: String,
    },
    /// Recorded only: the canister is not registered for this hook.
    NotSubscribed,
}

/// One entry of the event history.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// The event id.
    pub id: u64,
    /// The canister.
    pub canister_id: Principal,
    /// IC time the event was raised, nanoseconds.
    pub created_at_ns: u64,
    /// The event.
    pub event: HookEvent,
    /// Where it stands in delivery.
    pub delivery: DeliveryStatus,
}

/// Filter and page of the event history (newest first).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this canister.
    pub canister_id: Option<Principal>,
    /// Only events of this kind.
    pub kind: Option<EventKind>,
    /// Only events raised at or after this IC time (ns).
    pub since_ns: Option<u64>,
    /// Only events raised at or before this IC time (ns).
    pub until_ns: Option<u64>,
    /// Return events with ids below this one (the previous page's `next`).
    pub before_id: Option<u64>,
    /// Page size (default and maximum 500).
    pub limit: Option<u32>,
}

/// A page of events; pass `next` as `before_id` for the following page.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    /// The events, newest first.
    pub events: Vec<EventRecord>,
    /// Where the following page starts, if there is one.
    pub next: Option<u64>,
}

/// An event the monitor gave up delivering.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The event id.
    pub id: u64,
    /// The canister.
    pub canister_id: Principal,
    /// The event.
    pub event: HookEvent,
    /// Delivery attempts made.
    pub attempts: u32,
    /// IC time the event was raised, nanoseconds.
    pub created_at_ns: u64,
    /// IC time it was given up, nanoseconds.
    pub dead_at_ns: u64,
    /// Why.
    pub reason: String,
}

/// A page of dead letters, oldest first; pass `next` as `after_id` for the following page.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterPage {
    /// The dead letters, oldest first.
    pub dead_letters: Vec<DeadLetter>,
    /// Where the following page starts, if there is one.
    pub next: Option<u64>,
}

/// Why a redrive was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum RedriveError {
    /// The caller is not an admin.
    NotAuthorized {
        /// Who called.
        caller: Principal,
    },
    /// No dead letter has this id.
    UnknownDeadLetter {
        /// The id given.
        id: u64,
    },
    /// The event's canister is no longer registered; register it again first.
    NotRegistered {
        /// The canister.
        canister_id: Principal,
    },
}
