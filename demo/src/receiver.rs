//! The webhook receiver the demo plays (the emulator's mock of the server a channel posts to):
//! after each step it takes the monitor's pending HTTPS outcalls, logs each message (when, which
//! channel, its text, its idempotency key) and answers it: 200, or 500 once when told to, so the
//! monitor's retry shows with the same idempotency key.

use canister_hooks_testkit::{Ic, Outcall};

/// The header a webhook message carries its idempotency key in.
const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// One message as the receiver got it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// IC time it arrived, nanoseconds since the epoch.
    pub at_ns: u64,
    /// The channel's name (the receiver knows its URLs; the log never shows them).
    pub channel: String,
    /// The message's text (Slack's `text`, Discord's `content`, or the body as sent).
    pub text: String,
    /// Its idempotency key: a repeat of a message carries the same one.
    pub key: String,
    /// The HTTP status the receiver answered.
    pub status: u16,
}

impl ReceivedMessage {
    /// Whether the message is a digest of events folded beyond the rate limit.
    pub fn is_digest(&self) -> bool {
        self.key.contains("-digest-")
    }
}

/// The receiver: the URLs it answers at, its log, and whether its next answer is a 500.
#[derive(Default)]
pub struct Receiver {
    /// `(url, channel name)` of each channel it serves.
    channels: Vec<(String, String)>,
    fail_next: bool,
    /// Every message received, in order.
    pub log: Vec<ReceivedMessage>,
}

impl Receiver {
    /// Serves `url`, logging what arrives there as channel `channel`.
    pub fn listen(&mut self, url: &str, channel: &str) {
        self.channels.push((url.to_string(), channel.to_string()));
    }

    /// Answers the next message with a 500 (the monitor retries it).
    pub fn fail_next(&mut self) {
        self.fail_next = true;
    }

    /// Takes the outcalls pending on `ic` to the URLs it serves, logs and answers each; returns
    /// how many it took.
    pub fn receive<I: Ic>(&mut self, ic: &I) -> usize {
        let now_ns = ic.time_ns();
        let mut taken = 0;
        for outcall in ic.pending_outcalls() {
            let Some(channel) = self.channel_of(&outcall.url) else {
                continue;
            };
            let status = if std::mem::take(&mut self.fail_next) {
                500
            } else {
                200
            };
            self.log.push(ReceivedMessage {
                at_ns: now_ns,
                channel,
                text: text_of(&outcall),
                key: outcall
                    .header(IDEMPOTENCY_HEADER)
                    .unwrap_or_default()
                    .to_string(),
                status,
            });
            ic.answer_outcall(outcall.id, status);
            taken += 1;
        }
        taken
    }

    fn channel_of(&self, url: &str) -> Option<String> {
        self.channels
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, name)| name.clone())
    }
}

/// The text a person reads in the message: Slack's `text` or Discord's `content`, else the body.
fn text_of(outcall: &Outcall) -> String {
    let body: Option<serde_json::Value> = serde_json::from_slice(&outcall.body).ok();
    body.as_ref()
        .and_then(|b| b.get("text").or_else(|| b.get("content")))
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&outcall.body).into_owned())
}
