//! Webhooks: severities, the channels admins configure (where and how events reach people
//! off-chain), their delivery status (without the URL) and errors.

use super::{EventKind, HookEvent};
use crate::events::ErrorSource;
use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How urgently an event needs a person, lowest first.
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub enum Severity {
    /// Worth knowing; nothing to do.
    Info,
    /// Needs attention soon (a threshold crossed).
    Warning,
    /// Something failed in the canister (a trap, a rejected task).
    Error,
    /// The canister is, or is about to be, out of service or out of its operators' control.
    Critical,
}

/// A low-cycles event is critical when the canister freezes in less than this (one day).
pub const CRITICAL_SECONDS_TO_FREEZE: u64 = 86_400;

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ];

    /// The severity of `event`:
    /// - a system fault the monitor observed (`ErrorSource::System`, such as `frozen`,
    ///   `status_access_lost`, `module_hash_changed`, `controllers_changed`, `upgrade_failed`)
    ///   is `Critical`; any other error (a trap or reject the canister reported) is `Error`;
    /// - low cycles is `Warning`, escalated to `Critical` when the event's `seconds_to_freeze`
    ///   (at the measured burn) is under [`CRITICAL_SECONDS_TO_FREEZE`];
    /// - low memory is `Warning`.
    pub fn of(event: &HookEvent) -> Severity {
        match event {
            HookEvent::LowCycles(e) => match e.seconds_to_freeze {
                Some(s) if s < CRITICAL_SECONDS_TO_FREEZE => Severity::Critical,
                _ => Severity::Warning,
            },
            HookEvent::LowMemory(_) => Severity::Warning,
            HookEvent::Error(e) => match e.source {
                ErrorSource::System(_) => Severity::Critical,
                _ => Severity::Error,
            },
        }
    }

    /// Lower-case name (messages, metric labels).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// How a channel's messages are shaped.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WebhookFormat {
    /// `{"idempotency_key", "event_id", "kind", "severity", "canister_id", "message", ...}`.
    #[default]
    GenericJson,
    /// Slack incoming webhooks: `{"text": ...}`.
    Slack,
    /// Discord webhooks: `{"content": ...}`.
    Discord,
}

/// Which events a channel receives; an empty list (or no minimum) lets everything through.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookFilter {
    /// Only events of these kinds.
    pub kinds: Vec<EventKind>,
    /// Only events of these canisters.
    pub canisters: Vec<Principal>,
    /// Only events at least this severe.
    pub min_severity: Option<Severity>,
}

/// At most `max_messages` per `window_seconds`; events beyond that are folded into one digest
/// sent when the next window opens.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages per window (a digest counts as one); at least 1.
    pub max_messages: u32,
    /// Window length, seconds (60 to 86,400).
    pub window_seconds: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            max_messages: 10,
            window_seconds: 600,
        }
    }
}

/// A channel as admins configure it. Only admins ever see it: its URL often carries a token.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WebhookChannel {
    /// Unique name (letters, digits, `-`, `_`, `.`; 1 to 64 bytes): how metrics, the status
    /// page and errors refer to the channel.
    pub name: String,
    /// Where messages are posted: `https://` only, at most 2,048 bytes.
    pub url: String,
    /// How messages are shaped.
    pub format: WebhookFormat,
    /// Which events are sent.
    pub filter: WebhookFilter,
    /// How many messages per window; `None` is [`RateLimit::default`].
    pub rate_limit: Option<RateLimit>,
}

/// A channel's deliveries, for anyone who may read the monitor: no URL.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookStatus {
    /// The channel's name.
    pub name: String,
    /// Its format.
    pub format: WebhookFormat,
    /// Messages acknowledged (2xx).
    pub delivered: u64,
    /// Failed attempts (non-2xx, rejects, timeouts).
    pub failed_attempts: u64,
    /// Messages given up.
    pub dead_lettered: u64,
    /// Messages waiting.
    pub pending: u64,
    /// Digests queued.
    pub digests: u64,
    /// Events folded into digests instead of sent alone.
    pub events_digested: u64,
    /// Events folded and waiting for the next window's digest.
    pub events_waiting_for_digest: u64,
    /// Cycles attached to outcalls.
    pub cycles_spent: u128,
    /// IC time of the last acknowledged message, ns.
    pub last_delivered_at_ns: Option<u64>,
    /// Why the last attempt failed, if it did (never contains the URL).
    pub last_error: Option<String>,
}

/// What a webhook dead letter held.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum WebhookMessage {
    /// One event.
    Event {
        /// The canister it is about.
        canister_id: Principal,
        /// The event.
        event: HookEvent,
    },
    /// Events folded while the channel was at its rate limit.
    Digest(Digest),
}

/// Events folded into one message.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// Events folded.
    pub events: u64,
    /// Lowest and highest event id folded.
    pub first_event_id: u64,
    /// See `first_event_id`.
    pub last_event_id: u64,
    /// How many of each kind and severity.
    pub counts: Vec<DigestCount>,
    /// The first few events, summarised.
    pub samples: Vec<String>,
}

/// How many events of one kind and severity a digest folded.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestCount {
    /// The kind.
    pub kind: EventKind,
    /// The severity.
    pub severity: Severity,
    /// How many.
    pub count: u64,
}

/// A message a channel gave up on.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WebhookDeadLetter {
    /// Its id (the event id, or a digest's last event id); `redrive_webhook` takes it.
    pub id: u64,
    /// The channel's name.
    pub channel: String,
    /// What it held.
    pub message: WebhookMessage,
    /// Attempts made.
    pub attempts: u32,
    /// IC time it was queued, ns.
    pub created_at_ns: u64,
    /// IC time it was given up, ns.
    pub dead_at_ns: u64,
    /// Why (never contains the URL).
    pub reason: String,
}

/// Why a webhook request was refused.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum WebhookError {
    /// The caller is not an admin.
    NotAuthorized {
        /// Who called.
        caller: Principal,
        /// Why not.
        reason: String,
    },
    /// A field of the channel is invalid.
    InvalidField {
        /// The field (`name`, `url`, `filter.canisters`, `rate_limit.window_seconds`, ...).
        field: String,
        /// What is wrong (never repeats the URL).
        reason: String,
    },
    /// No channel has this name.
    UnknownChannel {
        /// The name given.
        name: String,
    },
    /// A channel with this name exists (update it instead).
    ChannelExists {
        /// The name given.
        name: String,
    },
    /// The monitor holds its maximum number of channels.
    TooManyChannels {
        /// The maximum.
        max: u32,
    },
    /// The test message was not delivered.
    DeliveryFailed {
        /// Why (an HTTP status, a reject; never contains the URL).
        reason: String,
    },
    /// No webhook dead letter of this channel has this id.
    UnknownDeadLetter {
        /// The channel.
        channel: String,
        /// The id given.
        id: u64,
    },
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::NotAuthorized { caller, reason } => {
                write!(f, "{caller} may not do this: {reason}")
            }
            WebhookError::InvalidField { field, reason } => write!(f, "invalid {field}: {reason}"),
            WebhookError::UnknownChannel { name } => write!(f, "no webhook channel named {name:?}"),
            WebhookError::ChannelExists { name } => {
                write!(
                    f,
                    "a webhook channel named {name:?} exists; update it instead"
                )
            }
            WebhookError::TooManyChannels { max } => {
                write!(f, "the monitor holds its maximum of {max} webhook channels")
            }
            WebhookError::DeliveryFailed { reason } => {
                write!(f, "the test message was not delivered: {reason}")
            }
            WebhookError::UnknownDeadLetter { channel, id } => {
                write!(f, "channel {channel:?} has no dead letter {id}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ErrorEvent, EventOrigin, LowCyclesEvent, LowMemoryEvent, MemoryMetric};

    fn error(source: ErrorSource) -> HookEvent {
        HookEvent::Error(ErrorEvent {
            id: 1,
            origin: EventOrigin::SelfRaised,
            source,
            message: String::new(),
            reject_code: None,
            time_ns: 0,
            count: 1,
        })
    }

    fn low_cycles(seconds_to_freeze: Option<u64>) -> HookEvent {
        HookEvent::LowCycles(LowCyclesEvent {
            id: 1,
            origin: EventOrigin::SelfRaised,
            balance: 1,
            threshold: 2,
            burn_rate_per_day: 1,
            seconds_to_freeze,
            observed_at_ns: 0,
        })
    }

    #[test]
    fn system_faults_are_critical_and_reported_errors_are_errors() {
        for name in [
            "module_hash_changed",
            "status_access_lost",
            "upgrade_failed",
        ] {
            assert_eq!(
                Severity::of(&error(ErrorSource::System(name.into()))),
                Severity::Critical
            );
        }
        assert_eq!(
            Severity::of(&error(ErrorSource::Timer("t".into()))),
            Severity::Error
        );
        assert_eq!(
            Severity::of(&error(ErrorSource::Heartbeat)),
            Severity::Error
        );
    }

    #[test]
    fn low_cycles_escalate_to_critical_under_a_day_to_freezing() {
        assert_eq!(Severity::of(&low_cycles(None)), Severity::Warning);
        assert_eq!(Severity::of(&low_cycles(Some(86_400))), Severity::Warning);
        assert_eq!(Severity::of(&low_cycles(Some(86_399))), Severity::Critical);
        let memory = HookEvent::LowMemory(LowMemoryEvent {
            id: 1,
            origin: EventOrigin::SelfRaised,
            metric: MemoryMetric::Heap,
            value: 2,
            threshold: 1,
            limit: None,
            observed_at_ns: 0,
        });
        assert_eq!(Severity::of(&memory), Severity::Warning);
    }

    #[test]
    fn severities_order_from_info_to_critical() {
        let mut sorted = Severity::ALL;
        sorted.sort();
        assert_eq!(sorted, Severity::ALL);
        assert!(Severity::Warning < Severity::Critical);
    }
}
