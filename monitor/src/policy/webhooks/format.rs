//! What a webhook message says, in each format: a one-line summary of an event or a digest, and
//! the JSON body (Slack `{"text"}`, Discord `{"content"}`, or generic JSON with every field).
//! Every body carries the message's idempotency key, as its `Idempotency-Key` header does.

use crate::api::{
    Digest, ErrorSource, EventKind, HookEvent, MemoryMetric, Severity, WebhookFormat,
    WebhookMessage,
};
use candid::Principal;
use canister_hooks_types::text::truncate;
use canister_hooks_types::units;
use serde_json::{json, Value};

/// Longest event message quoted, bytes.
const QUOTED_MESSAGE_BYTES: usize = 300;
/// Longest text in a Discord message (Discord allows 2,000 characters).
const DISCORD_TEXT_BYTES: usize = 1_900;
/// Longest text in a Slack or generic message.
const TEXT_BYTES: usize = 3_000;

/// The key a receiver deduplicates message `id` by: `<monitor-id>-<event id>` for an event,
/// `<monitor-id>-digest-<last event id>` for a digest.
pub fn idempotency_key(monitor: Principal, id: u64, message: &WebhookMessage) -> String {
    match message {
        WebhookMessage::Event { .. } => format!("{monitor}-{id}"),
        WebhookMessage::Digest(_) => format!("{monitor}-digest-{id}"),
    }
}

/// `low_cycles`, `low_memory` or `error`.
pub fn kind_name(kind: EventKind) -> &'static str {
    kind.endpoint().trim_start_matches("on_")
}

fn source_name(source: &ErrorSource) -> String {
    match source {
        ErrorSource::Timer(n) => format!("timer {n}"),
        ErrorSource::Heartbeat => "heartbeat".into(),
        ErrorSource::InitTask(n) => format!("init task {n}"),
        ErrorSource::Hook(n) => format!("hook {n}"),
        ErrorSource::System(n) => format!("system fault {n}"),
    }
}

/// One line saying what happened: `[critical] <canister>: ...`.
pub fn summary(canister: Principal, event: &HookEvent) -> String {
    let what = match event {
        HookEvent::LowCycles(e) => format!(
            "low cycles: {} below {}, burning {}/day{}",
            units::cycles(e.balance),
            units::cycles(e.threshold),
            units::cycles(e.burn_rate_per_day),
            e.seconds_to_freeze.map_or(String::new(), |s| format!(
                ", freezes in {}",
                units::duration(s)
            ))
        ),
        HookEvent::LowMemory(e) => {
            let show = |v: u64| match e.metric {
                MemoryMetric::HeapPercentOfLimit => format!("{v}%"),
                _ => units::bytes(v),
            };
            format!(
                "memory {:?} at {}, above {}",
                e.metric,
                show(e.value),
                show(e.threshold)
            )
        }
        HookEvent::Error(e) => format!(
            "{}: {}{}",
            source_name(&e.source),
            truncate(&e.message, QUOTED_MESSAGE_BYTES),
            if e.count > 1 {
                format!(" (x{})", e.count)
            } else {
                String::new()
            }
        ),
    };
    format!("[{}] {canister}: {what}", Severity::of(event).name())
}

/// The most severe severity a digest counted.
pub fn digest_severity(d: &Digest) -> Severity {
    d.counts
        .iter()
        .map(|c| c.severity)
        .max()
        .unwrap_or(Severity::Info)
}

fn digest_text(monitor: Principal, d: &Digest) -> String {
    let counts: Vec<String> = d
        .counts
        .iter()
        .map(|c| format!("{} {}/{}", c.count, kind_name(c.kind), c.severity.name()))
        .collect();
    let mut text = format!(
        "[{}] digest from monitor {monitor}: {} events (ids {} to {}) while this channel was at its rate limit: {}.",
        digest_severity(d).name(),
        d.events,
        d.first_event_id,
        d.last_event_id,
        counts.join(", ")
    );
    for s in &d.samples {
        text.push_str("\n- ");
        text.push_str(s);
    }
    text
}

/// The message's text, as Slack and Discord show it.
pub fn text(monitor: Principal, message: &WebhookMessage) -> String {
    match message {
        WebhookMessage::Event { canister_id, event } => summary(*canister_id, event),
        WebhookMessage::Digest(d) => digest_text(monitor, d),
    }
}

/// The JSON body of message `id` in `format`.
pub fn body(
    format: WebhookFormat,
    monitor: Principal,
    id: u64,
    message: &WebhookMessage,
) -> Vec<u8> {
    let key = idempotency_key(monitor, id, message);
    let text = text(monitor, message);
    let value = match format {
        WebhookFormat::Slack => {
            json!({ "text": truncate(&text, TEXT_BYTES), "idempotency_key": key })
        }
        WebhookFormat::Discord => {
            json!({ "content": truncate(&text, DISCORD_TEXT_BYTES), "idempotency_key": key })
        }
        WebhookFormat::GenericJson => generic(monitor, &key, &text, message),
    };
    value.to_string().into_bytes()
}

fn generic(monitor: Principal, key: &str, text: &str, message: &WebhookMessage) -> Value {
    let text = truncate(text, TEXT_BYTES);
    match message {
        WebhookMessage::Event { canister_id, event } => json!({
            "idempotency_key": key,
            "monitor_id": monitor.to_text(),
            "event_id": event.id(),
            "kind": kind_name(event.kind()),
            "severity": Severity::of(event).name(),
            "canister_id": canister_id.to_text(),
            "message": text,
        }),
        WebhookMessage::Digest(d) => json!({
            "idempotency_key": key,
            "monitor_id": monitor.to_text(),
            "digest": {
                "events": d.events,
                "first_event_id": d.first_event_id,
                "last_event_id": d.last_event_id,
                "counts": d.counts.iter().map(|c| json!({
                    "kind": kind_name(c.kind),
                    "severity": c.severity.name(),
                    "count": c.count,
                })).collect::<Vec<_>>(),
                "samples": d.samples,
            },
            "severity": digest_severity(d).name(),
            "message": text,
        }),
    }
}

/// The body `test_webhook` sends: an `info` message saying the channel works.
pub fn test_body(format: WebhookFormat, monitor: Principal, channel: &str, key: &str) -> Vec<u8> {
    let text = format!(
        "[info] test message from monitor {monitor} to channel {channel}: this channel works."
    );
    let value = match format {
        WebhookFormat::Slack => json!({ "text": text, "idempotency_key": key }),
        WebhookFormat::Discord => json!({ "content": text, "idempotency_key": key }),
        WebhookFormat::GenericJson => json!({
            "idempotency_key": key,
            "monitor_id": monitor.to_text(),
            "test": true,
            "severity": Severity::Info.name(),
            "message": text,
        }),
    };
    value.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DigestCount, EventOrigin, LowCyclesEvent};
    use crate::state::outbox::tests::ev;

    fn monitor() -> Principal {
        Principal::from_slice(&[9])
    }

    fn canister() -> Principal {
        Principal::from_slice(&[1])
    }

    fn parse(bytes: Vec<u8>) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    fn event_message() -> WebhookMessage {
        WebhookMessage::Event {
            canister_id: canister(),
            event: ev(42),
        }
    }

    #[test]
    fn slack_gets_text_and_discord_content_with_the_key() {
        let key = format!("{}-42", monitor());
        let slack = parse(body(WebhookFormat::Slack, monitor(), 42, &event_message()));
        assert_eq!(slack["idempotency_key"], key.as_str());
        let text = slack["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!(
                "[critical] {}: system fault test: event 42",
                canister()
            )),
            "{text}"
        );
        let discord = parse(body(
            WebhookFormat::Discord,
            monitor(),
            42,
            &event_message(),
        ));
        assert_eq!(discord["content"], slack["text"]);
        assert_eq!(discord["idempotency_key"], key.as_str());
        assert!(discord.get("text").is_none());
    }

    #[test]
    fn generic_json_has_every_field() {
        let v = parse(body(
            WebhookFormat::GenericJson,
            monitor(),
            42,
            &event_message(),
        ));
        assert_eq!(v["idempotency_key"], format!("{}-42", monitor()).as_str());
        assert_eq!(v["event_id"], 42);
        assert_eq!(v["kind"], "error");
        assert_eq!(v["severity"], "critical");
        assert_eq!(v["canister_id"], canister().to_text().as_str());
        assert_eq!(v["monitor_id"], monitor().to_text().as_str());
        assert!(v["message"].as_str().unwrap().contains("event 42"));
    }

    #[test]
    fn a_digest_counts_by_kind_and_severity_and_quotes_samples() {
        let d = Digest {
            events: 995,
            first_event_id: 6,
            last_event_id: 1000,
            counts: vec![
                DigestCount {
                    kind: EventKind::Error,
                    severity: Severity::Critical,
                    count: 990,
                },
                DigestCount {
                    kind: EventKind::LowCycles,
                    severity: Severity::Warning,
                    count: 5,
                },
            ],
            samples: vec!["first".into(), "second".into()],
        };
        let message = WebhookMessage::Digest(d);
        let v = parse(body(WebhookFormat::GenericJson, monitor(), 1000, &message));
        assert_eq!(
            v["idempotency_key"],
            format!("{}-digest-1000", monitor()).as_str()
        );
        assert_eq!(v["digest"]["events"], 995);
        assert_eq!(v["digest"]["counts"][0]["count"], 990);
        assert_eq!(v["severity"], "critical");
        let slack = parse(body(WebhookFormat::Slack, monitor(), 1000, &message));
        let text = slack["text"].as_str().unwrap();
        assert!(
            text.contains("995 events (ids 6 to 1000)") && text.contains("990 error/critical"),
            "{text}"
        );
        assert!(text.contains("\n- first\n- second"));
    }

    #[test]
    fn summaries_read_in_t_cycles_and_escape_nothing_json_cannot_carry() {
        let low = HookEvent::LowCycles(LowCyclesEvent {
            id: 1,
            origin: EventOrigin::SelfRaised,
            balance: 1_500_000_000_000,
            threshold: 2_000_000_000_000,
            burn_rate_per_day: 1_000_000_000_000,
            seconds_to_freeze: Some(3_600),
            observed_at_ns: 0,
        });
        let s = summary(canister(), &low);
        assert!(
            s.starts_with("[critical]")
                && s.contains("1.5 T cycles below 2.0 T cycles")
                && s.contains("freezes in 1 h"),
            "{s}"
        );
        let mut quote = ev(7);
        if let HookEvent::Error(e) = &mut quote {
            e.message = "a \"quoted\"\nline".into();
        }
        let message = WebhookMessage::Event {
            canister_id: canister(),
            event: quote,
        };
        let v = parse(body(WebhookFormat::Discord, monitor(), 7, &message));
        assert!(v["content"]
            .as_str()
            .unwrap()
            .ends_with("a \"quoted\"\nline"));
    }

    #[test]
    fn the_test_message_is_info_and_carries_its_key() {
        for format in [
            WebhookFormat::Slack,
            WebhookFormat::Discord,
            WebhookFormat::GenericJson,
        ] {
            let v = parse(test_body(format, monitor(), "ops", "k-1"));
            assert_eq!(v["idempotency_key"], "k-1");
            assert!(v.to_string().contains("[info] test message"));
        }
    }
}
