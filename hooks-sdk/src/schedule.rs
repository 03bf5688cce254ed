//! The timer queue: which timers are due, interval rescheduling, cancellation, and the
//! one-run-in-flight rule for intervals.
//!
//! Pure and generic over the task payload `T`; the canister layer ([`crate::runtime::timers`])
//! stores boxed futures in it and dispatches each due timer as one bounded-wait self-call.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

/// Identifies a scheduled timer; never reused within a canister's lifetime (until upgrade).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub u64);

/// How a timer repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Runs once, then is removed.
    Once,
    /// Runs every `interval` (nanoseconds) from its first due time.
    Every(u64),
}

struct Entry<T> {
    repeat: Repeat,
    payload: T,
    in_flight: bool,
}

/// What [`Schedule::next_due`] hands out for a timer to dispatch now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The timer to run.
    pub id: TimerId,
    /// The time it was scheduled for (ns).
    pub scheduled_ns: u64,
}

/// Timers by id plus a min-heap of `(time, order, id)` occurrences.
pub struct Schedule<T> {
    entries: BTreeMap<TimerId, Entry<T>>,
    queue: BinaryHeap<Reverse<(u64, u64, TimerId)>>,
    next_id: u64,
    next_order: u64,
}

impl<T> Default for Schedule<T> {
    fn default() -> Self {
        Schedule {
            entries: BTreeMap::new(),
            queue: BinaryHeap::new(),
            next_id: 0,
            next_order: 0,
        }
    }
}

/// Converts a delay to nanoseconds, saturating.
pub fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl<T> Schedule<T> {
    /// Adds a timer first due at `now_ns + delay` and returns its id.
    pub fn add(&mut self, now_ns: u64, delay: Duration, repeat: Repeat, payload: T) -> TimerId {
        let id = TimerId(self.next_id);
        self.next_id += 1;
        self.entries.insert(
            id,
            Entry {
                repeat,
                payload,
                in_flight: false,
            },
        );
        self.push(now_ns.saturating_add(duration_ns(delay)), id);
        id
    }

    /// Removes a timer; a run already dispatched finishes, but none follows. Returns its payload.
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        self.entries.remove(&id).map(|e| e.payload)
    }

    /// Pops the next timer due at `now_ns` and marks it in flight (`None`: nothing is due).
    ///
    /// Interval timers are rescheduled at once from their scheduled time (keeping their phase;
    /// runs missed while the canister was busy are skipped, not replayed in a burst). An interval
    /// whose previous run is still in flight is skipped for this occurrence.
    pub fn next_due(&mut self, now_ns: u64) -> Option<Due> {
        loop {
            let &Reverse((time, _, id)) = self.queue.peek()?;
            if time > now_ns {
                return None;
            }
            self.queue.pop();
            let Some(entry) = self.entries.get_mut(&id) else {
                continue; // cancelled
            };
            let repeat = entry.repeat;
            let busy = entry.in_flight;
            entry.in_flight = true;
            if let Repeat::Every(interval) = repeat {
                let interval = interval.max(1);
                let mut next = time.saturating_add(interval);
                if next <= now_ns {
                    let missed = (now_ns - time) / interval;
                    next = time.saturating_add(interval.saturating_mul(missed + 1));
                }
                self.push(next, id);
            }
            if !busy {
                return Some(Due {
                    id,
                    scheduled_ns: time,
                });
            }
        }
    }

    /// Gives the executor access to a timer's payload (None if cancelled).
    pub fn payload_mut(&mut self, id: TimerId) -> Option<&mut T> {
        self.entries.get_mut(&id).map(|e| &mut e.payload)
    }

    /// Whether the timer exists and repeats.
    pub fn repeat(&self, id: TimerId) -> Option<Repeat> {
        self.entries.get(&id).map(|e| e.repeat)
    }

    /// Records that a dispatched run ended (ran, trapped or was rejected); removes one-shot timers.
    pub fn finished(&mut self, id: TimerId) -> Option<T> {
        let entry = self.entries.get_mut(&id)?;
        entry.in_flight = false;
        match entry.repeat {
            Repeat::Once => self.entries.remove(&id).map(|e| e.payload),
            Repeat::Every(_) => None,
        }
    }

    /// Puts a dispatched run back to run again at `at_ns` (the call never reached the executor).
    pub fn retry(&mut self, id: TimerId, at_ns: u64) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.in_flight = false;
            if entry.repeat == Repeat::Once {
                self.push(at_ns, id);
            }
        }
    }

    /// Earliest time anything is due, for the IC global timer.
    pub fn next_wakeup(&mut self) -> Option<u64> {
        while let Some(&Reverse((time, _, id))) = self.queue.peek() {
            if self.entries.contains_key(&id) {
                return Some(time);
            }
            self.queue.pop(); // cancelled: drop lazily
        }
        None
    }

    /// Timers scheduled (not cancelled).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no timer is scheduled.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push(&mut self, time: u64, id: TimerId) {
        self.queue.push(Reverse((time, self.next_order, id)));
        self.next_order += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Duration = Duration::from_nanos(10);

    fn ids(due: &[Due]) -> Vec<u64> {
        due.iter().map(|d| d.id.0).collect()
    }

    /// Up to `max` timers due at `now` (what one global-timer tick dispatches).
    fn due<T>(s: &mut Schedule<T>, now: u64, max: usize) -> Vec<Due> {
        std::iter::from_fn(|| s.next_due(now)).take(max).collect()
    }

    #[test]
    fn one_shot_runs_once_when_due() {
        let mut s = Schedule::default();
        let id = s.add(0, S, Repeat::Once, "a");
        assert!(due(&mut s, 9, 10).is_empty());
        assert_eq!(s.next_wakeup(), Some(10));
        assert_eq!(ids(&due(&mut s, 10, 10)), [id.0]);
        assert_eq!(s.finished(id), Some("a"));
        assert!(s.is_empty());
        assert!(due(&mut s, 100, 10).is_empty());
    }

    #[test]
    fn due_in_time_then_insertion_order() {
        let mut s = Schedule::default();
        let b = s.add(0, Duration::from_nanos(5), Repeat::Once, ());
        let a = s.add(0, Duration::from_nanos(3), Repeat::Once, ());
        let c = s.add(0, Duration::from_nanos(5), Repeat::Once, ());
        assert_eq!(ids(&due(&mut s, 5, 10)), [a.0, b.0, c.0]);
    }

    #[test]
    fn interval_keeps_its_schedule_whatever_happens_to_a_run() {
        let mut s = Schedule::default();
        let id = s.add(0, S, Repeat::Every(10), ());
        assert_eq!(due(&mut s, 12, 10)[0].scheduled_ns, 10);
        s.finished(id); // e.g. the run trapped
        assert_eq!(s.next_wakeup(), Some(20));
        assert_eq!(due(&mut s, 20, 10)[0].scheduled_ns, 20);
        s.finished(id);
        // Late by 3.5 periods: one run now, next on the original phase.
        assert_eq!(due(&mut s, 65, 10).len(), 1);
        assert_eq!(s.next_wakeup(), Some(70));
    }

    #[test]
    fn interval_run_is_skipped_while_the_previous_is_in_flight() {
        let mut s = Schedule::default();
        let id = s.add(0, S, Repeat::Every(10), ());
        assert_eq!(due(&mut s, 10, 10).len(), 1);
        assert!(
            due(&mut s, 20, 10).is_empty(),
            "previous run still in flight"
        );
        s.finished(id);
        assert_eq!(due(&mut s, 30, 10).len(), 1);
    }

    #[test]
    fn cancelled_timers_never_come_due() {
        let mut s = Schedule::default();
        let a = s.add(0, S, Repeat::Every(10), 1);
        let b = s.add(0, S, Repeat::Once, 2);
        assert_eq!(s.cancel(a), Some(1));
        assert_eq!(ids(&due(&mut s, 10, 10)), [b.0]);
        s.finished(b);
        assert_eq!(s.next_wakeup(), None);
    }

    #[test]
    fn retry_requeues_a_one_shot_whose_call_failed() {
        let mut s = Schedule::default();
        let id = s.add(0, S, Repeat::Once, ());
        due(&mut s, 10, 10);
        s.retry(id, 11);
        assert_eq!(ids(&due(&mut s, 11, 10)), [id.0]);
    }

    #[test]
    fn at_most_max_per_round_rest_stay_due() {
        let mut s = Schedule::default();
        for _ in 0..5 {
            s.add(0, S, Repeat::Once, ());
        }
        assert_eq!(due(&mut s, 10, 2).len(), 2);
        assert_eq!(s.next_wakeup(), Some(10));
        assert_eq!(due(&mut s, 10, 10).len(), 3);
    }

    proptest! {
        /// Every one-shot timer runs exactly once, none before its time.
        #[test]
        fn each_one_shot_runs_once_not_early(delays in proptest::collection::vec(0u64..100, 1..30)) {
            let mut s = Schedule::default();
            let mut due_at = std::collections::HashMap::new();
            for d in &delays {
                let id = s.add(0, Duration::from_nanos(*d), Repeat::Once, ());
                due_at.insert(id, *d);
            }
            let mut runs = std::collections::HashMap::<TimerId, u32>::new();
            for now in 0..=100u64 {
                for d in due(&mut s, now, 7) {
                    prop_assert!(due_at[&d.id] <= now);
                    *runs.entry(d.id).or_default() += 1;
                    s.finished(d.id);
                }
            }
            prop_assert_eq!(runs.len(), delays.len());
            prop_assert!(runs.values().all(|&n| n == 1));
        }
    }
}
