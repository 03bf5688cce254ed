//! Alerts to people: early on the operator adds a Slack channel with a rate limit; the demo's
//! world plays its receiver (see [`crate::receiver`]), so every alert of the later chapters shows
//! in the receiver's log beside the timeline.

use super::message;
use crate::journal::Journal;
use crate::world::World;
use canister_hooks_testkit::monitor::{RateLimit, WebhookChannel, WebhookFilter, WebhookFormat};
use canister_hooks_testkit::Ic;

/// The channel's name: what the monitor's views, its metrics and the receiver's log call it.
pub const WEBHOOK_CHANNEL: &str = "ops";
/// The URL the operator types: it carries a token, so nothing the demo shows may print it.
pub const WEBHOOK_URL: &str = "https://hooks.slack.com/services/T0DEMO/B0DEMO/demo-secret-token";

/// At most this many messages per window; beyond it events are folded into a digest.
pub fn webhook_rate_limit() -> RateLimit {
    RateLimit {
        max_messages: 3,
        window_seconds: 600,
    }
}

/// The operator adds the channel (every event, Slack format, [`webhook_rate_limit`]) and the
/// receiver starts answering at its URL.
pub fn add_webhook_channel<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    chapter: &'static str,
) -> Result<(), String> {
    world
        .receiver
        .borrow_mut()
        .listen(WEBHOOK_URL, WEBHOOK_CHANNEL);
    let limit = webhook_rate_limit();
    world
        .monitor()
        .add_webhook(&WebhookChannel {
            name: WEBHOOK_CHANNEL.into(),
            url: WEBHOOK_URL.into(),
            format: WebhookFormat::Slack,
            filter: WebhookFilter::default(),
            rate_limit: Some(limit),
        })
        .map_err(message)?
        .map_err(|e| format!("add_webhook: {e:?}"))?;
    journal.note(
        world.now_ns(),
        chapter,
        format!(
            "added webhook channel `{WEBHOOK_CHANNEL}` (Slack format, every event, at most {} messages per {} min, then digests)",
            limit.max_messages,
            limit.window_seconds / 60
        ),
    );
    Ok(())
}
