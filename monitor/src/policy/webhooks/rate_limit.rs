//! A channel's rate limit: at most `max_messages` per window; events beyond it are folded into
//! one digest (counts per kind and severity, the first few summaries) that goes out as the first
//! message of the next window. Every event is either sent alone or counted in exactly one digest.

use crate::api::{Digest, DigestCount, EventKind, RateLimit, Severity, NS};
use candid::CandidType;
use serde::Deserialize;

/// Event summaries a digest quotes.
pub const DIGEST_SAMPLES: usize = 5;

/// A channel's current window and the digest it is folding (persisted with the channel).
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RateWindow {
    /// IC time the window opened, ns.
    pub started_at_ns: u64,
    /// Messages queued in this window (a digest counts as one).
    pub sent: u32,
    /// Events folded since the limit was reached, waiting for the next window.
    pub folded: Option<Digest>,
}

/// What becomes of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Queue it as its own message.
    Send,
    /// Counted in the digest the next window sends.
    Folded,
}

/// An event as the rate limit sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub id: u64,
    pub kind: EventKind,
    pub severity: Severity,
    /// One line for the digest's samples.
    pub summary: String,
}

impl RateWindow {
    fn ends_at(&self, limit: &RateLimit) -> u64 {
        self.started_at_ns
            .saturating_add(limit.window_seconds.saturating_mul(NS))
    }

    /// Opens a new window if the current one is over; returns the digest folded in the old one,
    /// which is the new window's first message.
    pub fn roll(&mut self, limit: &RateLimit, now_ns: u64) -> Option<Digest> {
        if now_ns < self.ends_at(limit) {
            return None;
        }
        self.started_at_ns = now_ns;
        self.sent = 0;
        let digest = self.folded.take()?;
        self.sent = 1;
        Some(digest)
    }

    /// Admits `event` at `now_ns`: first the digest a new window sends (if any), then whether
    /// the event goes alone or is folded.
    pub fn admit(
        &mut self,
        limit: &RateLimit,
        now_ns: u64,
        event: Arrival,
    ) -> (Option<Digest>, Admission) {
        let digest = self.roll(limit, now_ns);
        if self.sent < limit.max_messages {
            self.sent += 1;
            return (digest, Admission::Send);
        }
        let d = self.folded.get_or_insert_with(|| Digest {
            first_event_id: event.id,
            ..Digest::default()
        });
        d.events += 1;
        d.first_event_id = d.first_event_id.min(event.id);
        d.last_event_id = d.last_event_id.max(event.id);
        match d
            .counts
            .iter_mut()
            .find(|c| c.kind == event.kind && c.severity == event.severity)
        {
            Some(c) => c.count += 1,
            None => d.counts.push(DigestCount {
                kind: event.kind,
                severity: event.severity,
                count: 1,
            }),
        }
        if d.samples.len() < DIGEST_SAMPLES {
            d.samples.push(event.summary);
        }
        (digest, Admission::Folded)
    }

    /// When the folded digest may go: when the window ends (`None`: nothing folded).
    pub fn digest_due_at(&self, limit: &RateLimit) -> Option<u64> {
        self.folded.as_ref().map(|_| self.ends_at(limit))
    }

    /// Events folded and waiting for the next window.
    pub fn folded_events(&self) -> u64 {
        self.folded.as_ref().map_or(0, |d| d.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        max_messages: 5,
        window_seconds: 600,
    };

    fn arrival(id: u64) -> Arrival {
        let (kind, severity) = if id.is_multiple_of(3) {
            (EventKind::LowCycles, Severity::Warning)
        } else {
            (EventKind::Error, Severity::Critical)
        };
        Arrival {
            id,
            kind,
            severity,
            summary: format!("event {id}"),
        }
    }

    /// Runs `events` arrivals `gap_ns` apart, then time passes so every digest goes; returns
    /// the messages (`None` = an event alone with its id, `Some` = a digest) and their times.
    fn storm(events: u64, gap_ns: u64) -> Vec<(u64, Result<u64, Digest>)> {
        let mut w = RateWindow::default();
        let mut out = vec![];
        let mut now = 1_000 * NS;
        for id in 1..=events {
            let (digest, admission) = w.admit(&LIMIT, now, arrival(id));
            out.extend(digest.map(|d| (now, Err(d))));
            if admission == Admission::Send {
                out.push((now, Ok(id)));
            }
            now += gap_ns;
        }
        while let Some(at) = w.digest_due_at(&LIMIT) {
            now = now.max(at);
            out.extend(w.roll(&LIMIT, now).map(|d| (now, Err(d))));
        }
        out
    }

    #[test]
    fn a_storm_of_1000_events_sends_a_handful_of_messages_and_loses_none() {
        let messages = storm(1_000, NS / 10); // 1,000 events in 100 seconds
        assert_eq!(messages.len(), 6, "5 alone, then one digest");
        let mut seen = vec![];
        for (_, m) in &messages {
            match m {
                Ok(id) => seen.push(*id),
                Err(d) => {
                    assert_eq!(d.events, d.counts.iter().map(|c| c.count).sum::<u64>());
                    assert_eq!(d.samples.len(), DIGEST_SAMPLES);
                    seen.extend(d.first_event_id..=d.last_event_id);
                    assert_eq!(d.events, d.last_event_id - d.first_event_id + 1);
                }
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            (1..=1_000).collect::<Vec<_>>(),
            "each event exactly once"
        );
        let Err(digest) = &messages[5].1 else {
            panic!()
        };
        assert_eq!(digest.counts.len(), 2, "per kind and severity");
        assert_eq!(
            messages[5].0,
            1_000 * NS + 600 * NS,
            "when the window opens again"
        );
    }

    #[test]
    fn no_window_ever_carries_more_than_the_limit() {
        // A steady storm over an hour: one event a second.
        let messages = storm(3_600, NS);
        let total: u64 = messages
            .iter()
            .map(|(_, m)| m.as_ref().map_or_else(|d| d.events, |_| 1))
            .sum();
        assert_eq!(total, 3_600);
        // An hour holds six windows and the digest of the last one opens a seventh.
        assert!(messages.len() <= 7 * 5, "{}", messages.len());
    }

    #[test]
    fn under_the_limit_every_event_goes_alone() {
        let messages = storm(5, 200 * NS);
        assert!(messages.iter().all(|(_, m)| m.is_ok()));
        let messages = storm(20, 600 * NS);
        assert_eq!(messages.len(), 20);
    }
}
