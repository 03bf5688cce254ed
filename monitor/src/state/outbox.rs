//! The stable outbox: messages waiting for delivery, per target in id order, with retries and a
//! dead-letter queue. One implementation serves every [`Queue`]: hook events to canisters
//! ([`HookQueue`]) and webhook messages to channels (`state::webhooks`).
//!
//! Invariant: every target with pending messages has exactly one entry in the due index, keyed by
//! the time its oldest message (its head) may next be attempted. Only heads are ever sent.

use crate::api::{DeadLetter, HookEvent, NS};
use crate::state::stored::Stored;
use candid::{CandidType, Principal};
use canister_hooks_types::Backoff;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt::Debug;
use std::ops::Bound::{Excluded, Included, Unbounded};

/// A message waiting for delivery. The payload's field is named `event` (the pinned layout of
/// the hook outbox).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry<P> {
    pub event: P,
    pub created_at_ns: u64,
    pub attempts: u32,
    pub next_attempt_ns: u64,
    pub last_error: String,
}

canister_hooks_types::candid_storable!(impl<P> for OutboxEntry<P>);

/// What one outbox holds: whom it delivers to, what, and how it keeps what it gave up on.
pub(crate) trait Queue {
    /// Who receives messages (a canister, a channel).
    type Target: Storable + Ord + Copy + Debug;
    /// What is delivered.
    type Payload: CandidType + DeserializeOwned + Clone;
    /// A message given up, as stored.
    type Dead: Storable + Clone;
    /// The key of a dead letter.
    type DeadKey: Storable + Ord + Copy + Debug;
    /// The least target (the due index's range bound).
    const FIRST_TARGET: Self::Target;
    /// Makes the dead letter of message `id` of `target`.
    fn bury(
        target: Self::Target,
        id: u64,
        entry: OutboxEntry<Self::Payload>,
        reason: String,
        now_ns: u64,
    ) -> Self::Dead;
    /// The dead letter's key.
    fn dead_key(target: Self::Target, id: u64) -> Self::DeadKey;
    /// Whose message a dead letter was, its id and its payload.
    fn unbury(dead: &Self::Dead) -> (Self::Target, u64, Self::Payload);
}

/// Hook events to registered canisters (memories `OUTBOX`, `OUTBOX_DUE`, `DEAD_LETTERS`).
pub(crate) struct HookQueue;

impl Queue for HookQueue {
    type Target = Principal;
    type Payload = HookEvent;
    type Dead = Stored<DeadLetter>;
    type DeadKey = u64;
    const FIRST_TARGET: Principal = Principal::management_canister();
    fn bury(
        target: Principal,
        id: u64,
        e: OutboxEntry<HookEvent>,
        reason: String,
        now_ns: u64,
    ) -> Self::Dead {
        Stored(DeadLetter {
            id,
            canister_id: target,
            event: e.event,
            attempts: e.attempts,
            created_at_ns: e.created_at_ns,
            dead_at_ns: now_ns,
            reason,
        })
    }
    fn dead_key(_: Principal, id: u64) -> u64 {
        id
    }
    fn unbury(d: &Self::Dead) -> (Principal, u64, HookEvent) {
        (d.canister_id, d.id, d.event.clone())
    }
}

/// When to give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub backoff: Backoff,
    pub max_attempts: u32,
    pub max_age_ns: u64,
}

/// Why an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying later (reject, timeout, trap, stopped target).
    Retryable(String),
    /// Worth a few more tries only: given up after this many attempts at most (a webhook's
    /// 4xx other than 429).
    RetryableUpTo(String, u32),
    /// Retrying cannot help (the target does not export the hook).
    Permanent(String),
}

/// What happened to a message after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Removed: the target acknowledged it.
    Acked { attempts: u32 },
    /// Kept; next attempt at this time.
    Retry { at_ns: u64 },
    /// Moved to the dead-letter queue.
    DeadLettered { reason: String },
    /// The message was no longer in the outbox (purged or already settled).
    Unknown,
}

/// Outbox, due index and dead letters of queue `Q`.
pub(crate) struct Outbox<M: Memory, Q: Queue = HookQueue> {
    entries: StableBTreeMap<(Q::Target, u64), OutboxEntry<Q::Payload>, M>,
    due: StableBTreeMap<(u64, Q::Target), (), M>,
    dead: StableBTreeMap<Q::DeadKey, Q::Dead, M>,
}

impl<M: Memory, Q: Queue> Outbox<M, Q> {
    /// Opens (or creates) the outbox in three memories.
    pub fn init(entries: M, due: M, dead: M) -> Self {
        Self {
            entries: StableBTreeMap::init(entries),
            due: StableBTreeMap::init(due),
            dead: StableBTreeMap::init(dead),
        }
    }

    /// Messages waiting for delivery.
    pub fn len(&self) -> u64 {
        self.entries.len()
    }

    #[cfg(test)]
    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Dead letters held.
    pub fn dead_len(&self) -> u64 {
        self.dead.len()
    }

    fn range(target: Q::Target) -> impl std::ops::RangeBounds<(Q::Target, u64)> {
        (Included((target, 0)), Included((target, u64::MAX)))
    }

    /// The oldest pending message of `target`.
    pub fn head(&self, target: Q::Target) -> Option<(u64, OutboxEntry<Q::Payload>)> {
        self.entries.range(Self::range(target)).next().map(|e| {
            let ((_, id), v) = e.into_pair();
            (id, v)
        })
    }

    /// Pending messages of `target`.
    pub fn pending_for(&self, target: Q::Target) -> u64 {
        self.entries.range(Self::range(target)).count() as u64
    }

    /// Moves the target's due-index entry from `old_due` to its current head's time.
    fn reindex(&mut self, target: Q::Target, old_due: Option<u64>) {
        if let Some(d) = old_due {
            self.due.remove(&(d, target));
        }
        if let Some((_, head)) = self.head(target) {
            self.due.insert((head.next_attempt_ns, target), ());
        }
    }

    fn head_due(&self, target: Q::Target) -> Option<u64> {
        self.head(target).map(|(_, h)| h.next_attempt_ns)
    }

    /// Writes message `id` to the outbox before any attempt.
    pub fn enqueue(&mut self, target: Q::Target, id: u64, message: Q::Payload, now_ns: u64) {
        let old = self.head_due(target);
        self.entries.insert(
            (target, id),
            OutboxEntry {
                event: message,
                created_at_ns: now_ns,
                attempts: 0,
                next_attempt_ns: now_ns,
                last_error: String::new(),
            },
        );
        self.reindex(target, old);
    }

    /// The earliest time a head of a target `busy` does not exclude may be attempted.
    pub fn next_due_excluding(&self, busy: impl Fn(&Q::Target) -> bool) -> Option<u64> {
        self.due.keys().find(|(_, t)| !busy(t)).map(|(at, _)| at)
    }

    /// Drops the oldest dead letters beyond `capacity`.
    pub fn trim_dead(&mut self, capacity: u64) {
        while self.dead.len() > capacity.max(1) {
            self.dead.pop_first();
        }
    }

    /// Heads due at `now_ns`, oldest first, at most `limit`, skipping targets `busy` says are
    /// already being delivered to.
    pub fn due(
        &self,
        now_ns: u64,
        limit: usize,
        busy: impl Fn(&Q::Target) -> bool,
    ) -> Vec<(Q::Target, u64, Q::Payload)> {
        let mut out = vec![];
        for key in self
            .due
            .keys_range(..(now_ns.saturating_add(1), Q::FIRST_TARGET))
        {
            if out.len() >= limit {
                break;
            }
            let (at, target) = key;
            if at > now_ns || busy(&target) {
                continue;
            }
            if let Some((id, head)) = self.head(target) {
                out.push((target, id, head.event));
            }
        }
        out
    }

    /// Records that `target` acknowledged message `id`.
    pub fn ack(&mut self, target: Q::Target, id: u64) -> Outcome {
        let old = self.head_due(target);
        match self.entries.remove(&(target, id)) {
            Some(e) => {
                self.reindex(target, old);
                Outcome::Acked {
                    attempts: e.attempts + 1,
                }
            }
            None => Outcome::Unknown,
        }
    }

    /// Records a failed attempt to deliver `id` to `target`; retries or dead-letters it.
    pub fn fail(
        &mut self,
        target: Q::Target,
        id: u64,
        failure: Failure,
        now_ns: u64,
        policy: &RetryPolicy,
    ) -> Outcome {
        let old = self.head_due(target);
        let Some(mut e) = self.entries.get(&(target, id)) else {
            return Outcome::Unknown;
        };
        e.attempts += 1;
        let (reason, permanent, max_attempts) = match failure {
            Failure::Retryable(r) => (r, false, policy.max_attempts),
            Failure::RetryableUpTo(r, n) => (r, false, policy.max_attempts.min(n)),
            Failure::Permanent(r) => (r, true, policy.max_attempts),
        };
        let too_old = now_ns.saturating_sub(e.created_at_ns) >= policy.max_age_ns;
        if permanent || e.attempts >= max_attempts || too_old {
            let why = if permanent {
                reason
            } else if too_old {
                format!(
                    "gave up after {} attempts (age limit reached); last error: {reason}",
                    e.attempts
                )
            } else {
                format!(
                    "gave up after {} attempts; last error: {reason}",
                    e.attempts
                )
            };
            self.entries.remove(&(target, id));
            self.dead.insert(
                Q::dead_key(target, id),
                Q::bury(target, id, e, why.clone(), now_ns),
            );
            self.reindex(target, old);
            return Outcome::DeadLettered { reason: why };
        }
        let at = now_ns.saturating_add(
            policy
                .backoff
                .jittered_seconds(e.attempts, id ^ now_ns)
                .saturating_mul(NS),
        );
        e.next_attempt_ns = at;
        e.last_error = reason;
        self.entries.insert((target, id), e);
        self.reindex(target, old);
        Outcome::Retry { at_ns: at }
    }

    /// Dead-letters every pending message of `target` with `reason`; returns their ids.
    pub fn purge(&mut self, target: Q::Target, reason: &str, now_ns: u64) -> Vec<u64> {
        let old = self.head_due(target);
        let pending: Vec<_> = self
            .entries
            .range(Self::range(target))
            .map(|e| e.into_pair())
            .collect();
        let mut ids = vec![];
        for ((_, id), e) in pending {
            self.entries.remove(&(target, id));
            self.dead.insert(
                Q::dead_key(target, id),
                Q::bury(target, id, e, reason.to_string(), now_ns),
            );
            ids.push(id);
        }
        self.reindex(target, old);
        ids
    }

    /// Drops every dead letter of `target` (its channel was removed).
    pub fn forget_dead_of(&mut self, target: Q::Target) {
        for key in self.dead_ids_of(target) {
            self.dead.remove(&key);
        }
    }

    /// The dead letter at `key`.
    pub fn dead_letter(&self, key: Q::DeadKey) -> Option<Q::Dead> {
        self.dead.get(&key)
    }

    /// Puts dead letter `key` back in the outbox with its original id (so the receiver's
    /// dedupe still recognises it) and fresh attempts; returns it.
    pub fn redrive(&mut self, key: Q::DeadKey, now_ns: u64) -> Option<Q::Dead> {
        let dead = self.dead.remove(&key)?;
        let (target, id, message) = Q::unbury(&dead);
        self.enqueue(target, id, message, now_ns);
        Some(dead)
    }

    /// Dead letters in key order, optionally of one target, after `after`.
    pub fn dead_page(
        &self,
        target: Option<Q::Target>,
        after: Option<Q::DeadKey>,
        limit: usize,
    ) -> (Vec<Q::Dead>, Option<Q::DeadKey>) {
        let lower = after.map_or(Unbounded, Excluded);
        let mut out: Vec<(Q::DeadKey, Q::Dead)> = vec![];
        let mut more = false;
        for e in self.dead.range((lower, Unbounded)) {
            let (key, d) = e.into_pair();
            if target.is_some_and(|t| t != Q::unbury(&d).0) {
                continue;
            }
            if out.len() == limit {
                more = true;
                break;
            }
            out.push((key, d));
        }
        let next = if more {
            out.last().map(|(k, _)| *k)
        } else {
            None
        };
        (out.into_iter().map(|(_, d)| d).collect(), next)
    }

    /// Keys of the dead letters of `target`.
    pub fn dead_ids_of(&self, target: Q::Target) -> Vec<Q::DeadKey> {
        self.dead
            .iter()
            .filter(|e| Q::unbury(&e.value()).0 == target)
            .map(|e| *e.key())
            .collect()
    }

    #[cfg(test)]
    /// Checks the due-index invariant (tests and debugging).
    pub fn check_invariant(&self) -> Result<(), String> {
        let mut heads = std::collections::BTreeMap::new();
        for e in self.entries.iter() {
            let (t, _) = *e.key();
            heads.entry(t).or_insert_with(|| e.value().next_attempt_ns);
        }
        let index: Vec<(u64, Q::Target)> = self.due.keys().collect();
        if index.len() != heads.len() {
            return Err(format!(
                "{} due entries for {} targets",
                index.len(),
                heads.len()
            ));
        }
        for (at, t) in index {
            if heads.get(&t) != Some(&at) {
                return Err(format!("due entry ({at}, {t:?}) does not match the head"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::{ErrorEvent, ErrorSource, EventOrigin};
    use crate::policy::validation::tests::canister;
    use ic_stable_structures::VectorMemory;

    pub fn ev(id: u64) -> HookEvent {
        HookEvent::Error(ErrorEvent {
            id,
            origin: EventOrigin::SelfRaised,
            source: ErrorSource::System("test".into()),
            message: format!("event {id}"),
            reject_code: None,
            time_ns: 0,
            count: 1,
        })
    }

    fn outbox() -> Outbox<VectorMemory> {
        Outbox::init(
            VectorMemory::default(),
            VectorMemory::default(),
            VectorMemory::default(),
        )
    }

    const POLICY: RetryPolicy = RetryPolicy {
        backoff: Backoff::doubling_seconds(1, 60),
        max_attempts: 3,
        max_age_ns: 3_600_000_000_000,
    };

    #[test]
    fn only_the_head_of_each_target_is_due_in_id_order() {
        let mut o = outbox();
        let (a, b) = (canister(1), canister(2));
        o.enqueue(a, 1, ev(1), 0);
        o.enqueue(b, 2, ev(2), 0);
        o.enqueue(a, 3, ev(3), 0);
        let due = o.due(0, 10, |_| false);
        let ids: Vec<u64> = due.iter().map(|d| d.1).collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&1) && ids.contains(&2));
        assert_eq!(o.ack(a, 1), Outcome::Acked { attempts: 1 });
        assert_eq!(o.head(a).unwrap().0, 3);
        o.check_invariant().unwrap();
    }

    #[test]
    fn a_failure_delays_the_head_and_blocks_later_events_of_that_target_only() {
        let mut o = outbox();
        let (a, b) = (canister(1), canister(2));
        o.enqueue(a, 1, ev(1), 0);
        o.enqueue(a, 2, ev(2), 0);
        o.enqueue(b, 3, ev(3), 0);
        let Outcome::Retry { at_ns } =
            o.fail(a, 1, Failure::Retryable("timeout".into()), 0, &POLICY)
        else {
            panic!()
        };
        assert!(at_ns > 0);
        let due: Vec<u64> = o.due(0, 10, |_| false).iter().map(|d| d.1).collect();
        assert_eq!(due, vec![3], "event 2 waits behind event 1");
        let due: Vec<u64> = o.due(at_ns, 10, |_| false).iter().map(|d| d.1).collect();
        assert!(due.contains(&1));
        o.check_invariant().unwrap();
    }

    #[test]
    fn busy_targets_are_skipped_and_the_limit_holds() {
        let mut o = outbox();
        for n in 0..5 {
            o.enqueue(canister(n), n, ev(n), 0);
        }
        assert_eq!(o.due(0, 3, |_| false).len(), 3);
        assert_eq!(o.due(0, 10, |t| *t == canister(0)).len(), 4);
    }

    #[test]
    fn attempts_exhausted_moves_to_dead_letters_with_the_last_reason() {
        let mut o = outbox();
        let a = canister(1);
        o.enqueue(a, 1, ev(1), 0);
        o.enqueue(a, 2, ev(2), 0);
        let mut now = 0;
        let mut last = Outcome::Unknown;
        for _ in 0..3 {
            last = o.fail(a, 1, Failure::Retryable("trap: boom".into()), now, &POLICY);
            now += 120_000_000_000;
        }
        let Outcome::DeadLettered { reason } = last else {
            panic!("{last:?}")
        };
        assert!(reason.contains("trap: boom") && reason.contains("3 attempts"));
        assert_eq!(o.dead_letter(1).unwrap().attempts, 3);
        assert_eq!(o.head(a).unwrap().0, 2, "the next event proceeds");
        o.check_invariant().unwrap();
    }

    #[test]
    fn age_limit_dead_letters_even_with_attempts_left() {
        let mut o = outbox();
        let a = canister(1);
        o.enqueue(a, 1, ev(1), 0);
        let out = o.fail(
            a,
            1,
            Failure::Retryable("x".into()),
            POLICY.max_age_ns,
            &POLICY,
        );
        assert!(matches!(out, Outcome::DeadLettered { reason } if reason.contains("age")));
    }

    #[test]
    fn a_permanent_failure_is_not_retried() {
        let mut o = outbox();
        let a = canister(1);
        o.enqueue(a, 1, ev(1), 0);
        let out = o.fail(a, 1, Failure::Permanent("no hook".into()), 0, &POLICY);
        assert_eq!(
            out,
            Outcome::DeadLettered {
                reason: "no hook".into()
            }
        );
        assert!(o.is_empty());
    }

    #[test]
    fn redrive_puts_the_event_back_first_with_its_original_id() {
        let mut o = outbox();
        let a = canister(1);
        o.enqueue(a, 1, ev(1), 0);
        o.fail(a, 1, Failure::Permanent("no hook".into()), 0, &POLICY);
        o.enqueue(a, 2, ev(2), 5);
        assert_eq!(o.redrive(1, 10).unwrap().id, 1);
        assert_eq!(o.dead_len(), 0);
        assert_eq!(o.head(a).unwrap().0, 1);
        assert_eq!(o.head(a).unwrap().1.attempts, 0);
        o.check_invariant().unwrap();
        assert!(o.redrive(1, 10).is_none());
    }

    #[test]
    fn purge_dead_letters_everything_pending_for_a_target() {
        let mut o = outbox();
        let (a, b) = (canister(1), canister(2));
        o.enqueue(a, 1, ev(1), 0);
        o.enqueue(a, 2, ev(2), 0);
        o.enqueue(b, 3, ev(3), 0);
        assert_eq!(o.purge(a, "unregistered", 1), vec![1, 2]);
        assert_eq!(o.len(), 1);
        assert_eq!(o.dead_ids_of(a), vec![1, 2]);
        let (page, next) = o.dead_page(Some(a), None, 1);
        assert_eq!((page[0].id, next), (1, Some(1)));
        let (page, next) = o.dead_page(Some(a), Some(1), 1);
        assert_eq!((page[0].id, next), (2, None));
        o.check_invariant().unwrap();
    }
}
