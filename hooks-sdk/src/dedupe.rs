//! A bounded window of recently seen event ids in stable memory, so an event delivered more than
//! once runs its handler once.
//!
//! Keys are `(sender, event id)`: ids are assigned by each sender (a monitor, or the canister
//! itself for locally raised errors), so two senders can never collide. The oldest entries are
//! evicted once the window holds `capacity` ids.

use candid::Principal;
use ic_stable_structures::{Memory, StableBTreeMap};

use crate::events::EventId;

/// Default number of event ids remembered.
pub const DEFAULT_CAPACITY: u64 = 4096;

const IN_PROGRESS: u8 = 0;
const DONE: u8 = 1;

/// What a delivery of an event id means given the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// First delivery: the id is now marked in progress; run the handler.
    New,
    /// The handler for this id is running (it awaits); the sender should retry later.
    InProgress,
    /// The handler already completed; acknowledge without running it again.
    Duplicate,
}

type Key = (Principal, EventId);

/// The dedupe window: `(sender, id) -> (insertion seq, state)` plus `seq -> key` for eviction.
pub struct SeenEvents<M: Memory> {
    by_key: StableBTreeMap<Key, (u64, u8), M>,
    by_seq: StableBTreeMap<u64, Key, M>,
    capacity: u64,
}

impl<M: Memory> SeenEvents<M> {
    /// Opens (or creates) the window stored in the two memories.
    pub fn init(by_key: M, by_seq: M, capacity: u64) -> Self {
        SeenEvents {
            by_key: StableBTreeMap::init(by_key),
            by_seq: StableBTreeMap::init(by_seq),
            capacity: capacity.max(1),
        }
    }

    /// Classifies a delivery of `id` from `sender`; a new id is recorded as in progress.
    pub fn begin(&mut self, sender: Principal, id: EventId) -> Delivery {
        match self.by_key.get(&(sender, id)) {
            Some((_, DONE)) => Delivery::Duplicate,
            Some(_) => Delivery::InProgress,
            None => {
                let seq = self.by_seq.last_key_value().map_or(0, |(s, _)| s + 1);
                self.by_key.insert((sender, id), (seq, IN_PROGRESS));
                self.by_seq.insert(seq, (sender, id));
                while self.by_seq.len() > self.capacity {
                    if let Some((_, old)) = self.by_seq.pop_first() {
                        self.by_key.remove(&old);
                    }
                }
                Delivery::New
            }
        }
    }

    /// Marks the handler for `id` as completed: later deliveries are duplicates.
    pub fn complete(&mut self, sender: Principal, id: EventId) {
        if let Some((seq, _)) = self.by_key.get(&(sender, id)) {
            self.by_key.insert((sender, id), (seq, DONE));
        }
    }

    /// Forgets `id` (its handler was cancelled by a trap): the next delivery runs it again.
    pub fn abandon(&mut self, sender: Principal, id: EventId) {
        if let Some((seq, _)) = self.by_key.remove(&(sender, id)) {
            self.by_seq.remove(&seq);
        }
    }

    /// Forgets every id still marked in progress and returns how many. Called after an upgrade:
    /// no handler survives one (its awaits are never resumed and nothing unwinds it), so without
    /// this every redelivery of such an event would be refused as in progress forever.
    pub fn abandon_in_progress(&mut self) -> u64 {
        let stale: Vec<(Key, u64)> = self
            .by_key
            .iter()
            .filter_map(|entry| {
                let (seq, state) = entry.value();
                (state == IN_PROGRESS).then_some((*entry.key(), seq))
            })
            .collect();
        for (key, seq) in &stale {
            self.by_key.remove(key);
            self.by_seq.remove(seq);
        }
        stale.len() as u64
    }

    /// Ids currently remembered.
    pub fn len(&self) -> u64 {
        self.by_key.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;
    use proptest::prelude::*;

    fn window(capacity: u64) -> SeenEvents<VectorMemory> {
        SeenEvents::init(VectorMemory::default(), VectorMemory::default(), capacity)
    }

    fn monitor() -> Principal {
        Principal::from_slice(&[1, 2, 3])
    }

    /// Delivers event `id` from `monitor()` for the first time and completes its handler.
    fn handle(w: &mut SeenEvents<VectorMemory>, id: u64) {
        assert_eq!(w.begin(monitor(), id), Delivery::New);
        w.complete(monitor(), id);
    }

    #[test]
    fn repeated_id_after_completion_is_a_duplicate() {
        let mut w = window(10);
        handle(&mut w, 7);
        assert_eq!(w.begin(monitor(), 7), Delivery::Duplicate);
        assert_eq!(w.begin(monitor(), 7), Delivery::Duplicate);
    }

    #[test]
    fn repeated_id_while_running_is_in_progress() {
        let mut w = window(10);
        assert_eq!(w.begin(monitor(), 1), Delivery::New);
        assert_eq!(w.begin(monitor(), 1), Delivery::InProgress);
    }

    #[test]
    fn after_an_upgrade_in_progress_ids_run_again_and_completed_ones_stay_duplicates() {
        let mut w = window(16);
        handle(&mut w, 1);
        for in_progress in [2, 3] {
            assert_eq!(w.begin(monitor(), in_progress), Delivery::New);
        }
        assert_eq!(w.abandon_in_progress(), 2);
        assert_eq!(w.len(), 1);
        assert_eq!(w.begin(monitor(), 1), Delivery::Duplicate);
        assert_eq!(w.begin(monitor(), 2), Delivery::New);
        assert_eq!(w.begin(monitor(), 3), Delivery::New);
        assert_eq!(
            w.begin(monitor(), 4),
            Delivery::New,
            "eviction order still works"
        );
    }

    #[test]
    fn abandoned_id_runs_again() {
        let mut w = window(10);
        w.begin(monitor(), 1);
        w.abandon(monitor(), 1);
        assert_eq!(w.begin(monitor(), 1), Delivery::New);
    }

    #[test]
    fn same_id_from_different_senders_are_different_events() {
        let mut w = window(10);
        handle(&mut w, 1);
        assert_eq!(w.begin(Principal::from_slice(&[9]), 1), Delivery::New);
    }

    #[test]
    fn oldest_ids_are_evicted_at_capacity() {
        let mut w = window(3);
        for id in 0..5 {
            handle(&mut w, id);
        }
        assert_eq!(w.len(), 3);
        assert_eq!(w.begin(monitor(), 4), Delivery::Duplicate);
        assert_eq!(w.begin(monitor(), 0), Delivery::New);
    }

    #[test]
    fn window_survives_reopening_the_memory() {
        let (a, b) = (VectorMemory::default(), VectorMemory::default());
        let mut w = SeenEvents::init(a.clone(), b.clone(), 10);
        handle(&mut w, 42);
        drop(w);
        let mut reopened = SeenEvents::init(a, b, 10);
        assert_eq!(reopened.begin(monitor(), 42), Delivery::Duplicate);
    }

    proptest! {
        /// Within the window, each id gets exactly one `New` across any delivery sequence.
        #[test]
        fn one_handler_run_per_id(deliveries in proptest::collection::vec(0u64..20, 0..200)) {
            let mut w = window(64);
            let mut runs = std::collections::HashMap::<u64, u32>::new();
            for id in deliveries {
                if w.begin(monitor(), id) == Delivery::New {
                    *runs.entry(id).or_default() += 1;
                    w.complete(monitor(), id);
                }
            }
            prop_assert!(runs.values().all(|&n| n == 1));
            prop_assert!(w.len() <= 64);
        }
    }
}
