//! Golden bytes of the webhook records: a channel's configuration, its state (rate window with a
//! folded digest, counters), webhook outbox entries (an event, a digest) and keys, and dead
//! letters.

use super::records::{assert_storable_pinned, T0_S};
use crate::api::*;
use crate::policy::validation::tests::canister;
use crate::policy::webhooks::rate_limit::RateWindow;
use crate::state::outbox::OutboxEntry;
use crate::state::stored::Stored;
use crate::state::webhooks::{ChannelCounters, ChannelState, WebhookDead};

fn digest() -> Digest {
    Digest {
        events: 995,
        first_event_id: 6,
        last_event_id: 1_000,
        counts: vec![DigestCount {
            kind: EventKind::Error,
            severity: Severity::Critical,
            count: 995,
        }],
        samples: vec!["[critical] aaaaa-aa: system fault frozen".into()],
    }
}

fn event() -> WebhookMessage {
    WebhookMessage::Event {
        canister_id: canister(7),
        event: HookEvent::LowCycles(LowCyclesEvent {
            id: 42,
            origin: EventOrigin::Monitor(canister(9)),
            balance: 1_500_000_000_000,
            threshold: 2_000_000_000_000,
            burn_rate_per_day: 100_000_000_000,
            seconds_to_freeze: Some(3_600),
            observed_at_ns: T0_S * NS,
        }),
    }
}

#[test]
fn webhook_channels_and_their_state_are_pinned() {
    assert_storable_pinned(
        "webhook_channel",
        Stored(WebhookChannel {
            name: "ops".into(),
            url: "https://hooks.example.com/services/T/B/token".into(),
            format: WebhookFormat::Slack,
            filter: WebhookFilter {
                kinds: vec![EventKind::Error, EventKind::LowCycles],
                canisters: vec![canister(7)],
                min_severity: Some(Severity::Warning),
            },
            rate_limit: Some(RateLimit {
                max_messages: 5,
                window_seconds: 600,
            }),
        }),
    );
    assert_storable_pinned(
        "webhook_channel_state",
        ChannelState {
            window: RateWindow {
                started_at_ns: T0_S * NS,
                sent: 5,
                folded: Some(digest()),
            },
            counters: ChannelCounters {
                delivered: 12,
                failed_attempts: 3,
                dead_lettered: 1,
                digests: 2,
                events_digested: 1_990,
                cycles_spent: 1_234_567_890,
                last_delivered_at_ns: Some((T0_S + 5) * NS),
                last_error: Some("HTTP 500".into()),
            },
        },
    );
}

#[test]
fn webhook_outbox_entries_keys_and_dead_letters_are_pinned() {
    for (name, message) in [
        ("webhook_outbox_entry_event", event()),
        (
            "webhook_outbox_entry_digest",
            WebhookMessage::Digest(digest()),
        ),
    ] {
        assert_storable_pinned(
            name,
            OutboxEntry {
                event: message,
                created_at_ns: (T0_S + 30) * NS,
                attempts: 2,
                next_attempt_ns: (T0_S + 36) * NS,
                last_error: "HTTP 503".into(),
            },
        );
    }
    assert_storable_pinned("webhook_outbox_key", (3u32, 42u64));
    assert_storable_pinned("webhook_outbox_due_key", ((T0_S + 36) * NS, 3u32));
    assert_storable_pinned(
        "webhook_dead_letter",
        WebhookDead {
            channel: 3,
            id: 42,
            message: event(),
            attempts: 3,
            created_at_ns: (T0_S + 30) * NS,
            dead_at_ns: (T0_S + 95) * NS,
            reason: "gave up after 3 attempts; last error: HTTP 404".into(),
        },
    );
}
