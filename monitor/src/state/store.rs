//! The watched canisters: one fixed-size stable record per canister (its registration and its
//! watch state together, see [`CanisterRecord`]) in [`Slots`], and a stable index from canister
//! id to slot.
//!
//! A B-tree search and node rewrite costs tens of thousands of instructions, so the sampling hot
//! path uses none: the slot of each canister and the poll schedule are kept on the heap
//! ([`HotIndex`]), derived from the records. It is rebuilt by the first update that needs it after
//! an upgrade (scanning the records), so `post_upgrade` stays constant-cost; after that, a sample
//! costs one stable read and one stable write of the canister's record.

use crate::api::Registration;
use crate::policy::scheduler::{PollWindow, MAX_EARLY_START_SECONDS};
use crate::state::codec::{self, Reader, Writer};
use crate::state::registration_encoding;
use crate::state::slots::{Slots, IN_USE};
use crate::state::watch::{self, WatchState};
use crate::state::watch_extension::{WatchExtension, EXTENSION_BYTES};
use candid::Principal;
use ic_stable_structures::{Memory, StableBTreeMap};
use std::collections::BTreeMap;

/// Bytes of one canister's record.
pub const RECORD_BYTES: usize = 512;
// Layout of a record: in-use flag, next poll (due, earliest), canister id, registration, watch
// state, watch extension (zeros in records written before it).
const DUE_AT: usize = 1;
const EARLIEST_AT: usize = DUE_AT + 8;
const ID_AT: usize = EARLIEST_AT + 8;
const REGISTRATION_AT: usize = ID_AT + codec::MAX_PRINCIPAL;
const WATCH_AT: usize = REGISTRATION_AT + registration_encoding::MAX_ENCODED;
pub(crate) const EXTENSION_AT: usize = WATCH_AT + watch::MAX_ENCODED;
const _: () = assert!(EXTENSION_AT + EXTENSION_BYTES <= RECORD_BYTES);

/// A watched canister: its registration and what the monitor knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct CanisterRecord {
    pub registration: Registration,
    pub watch: WatchState,
    /// Access, recorded code and controllers, cycles settings.
    pub extension: WatchExtension,
}

impl CanisterRecord {
    /// A record for a new registration, with nothing observed yet.
    pub fn new(registration: Registration) -> Self {
        Self {
            registration,
            watch: WatchState::default(),
            extension: WatchExtension::default(),
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8; RECORD_BYTES];
        out[0] = IN_USE;
        let poll = self.watch.next_poll;
        out[DUE_AT..EARLIEST_AT].copy_from_slice(&poll.due_ns.to_le_bytes());
        out[EARLIEST_AT..ID_AT].copy_from_slice(&poll.earliest_ns.to_le_bytes());
        let mut put = |start: usize, end: usize, f: &dyn Fn(&mut Writer)| {
            let mut w = Writer::with_capacity(end - start);
            f(&mut w);
            let bytes = w.finish();
            assert!(bytes.len() <= end - start, "record field over its bound");
            out[start..start + bytes.len()].copy_from_slice(&bytes);
        };
        put(ID_AT, REGISTRATION_AT, &|w| {
            w.principal(&self.registration.canister_id)
        });
        put(REGISTRATION_AT, WATCH_AT, &|w| {
            registration_encoding::encode(&self.registration, w)
        });
        put(WATCH_AT, EXTENSION_AT, &|w| self.watch.encode(w));
        out[EXTENSION_AT..EXTENSION_AT + EXTENSION_BYTES].copy_from_slice(&self.extension.encode());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Self {
        let (id, next_poll) = header(bytes).expect("a record in use");
        Self {
            registration: registration_encoding::decode(
                id,
                &mut Reader::new(&bytes[REGISTRATION_AT..WATCH_AT]),
            ),
            watch: WatchState::decode(&mut Reader::new(&bytes[WATCH_AT..EXTENSION_AT]), next_poll),
            extension: WatchExtension::decode(&bytes[EXTENSION_AT..]),
        }
    }
}

/// The canister id and next poll of a record in use.
fn header(bytes: &[u8]) -> Option<(Principal, PollWindow)> {
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    (bytes[0] == IN_USE).then(|| {
        let poll = PollWindow {
            due_ns: u64_at(DUE_AT),
            earliest_ns: u64_at(EARLIEST_AT),
        };
        (
            Reader::new(&bytes[ID_AT..REGISTRATION_AT]).principal(),
            poll,
        )
    })
}

/// A record loaded for change; [`CanisterStore::save`] writes it back and moves its schedule
/// entry if its next poll time changed.
pub struct Loaded {
    slot: u32,
    scheduled: PollWindow,
    pub record: CanisterRecord,
}

/// On the heap: each canister's slot, and the poll schedule (by due time, then id, to the
/// earliest start), derived from the records.
#[derive(Default)]
struct HotIndex {
    slots: BTreeMap<Principal, u32>,
    schedule: BTreeMap<(u64, Principal), u64>,
}

impl HotIndex {
    fn schedule(&mut self, id: Principal, poll: PollWindow) {
        self.schedule.insert((poll.due_ns, id), poll.earliest_ns);
    }

    fn unschedule(&mut self, id: Principal, poll: PollWindow) {
        self.schedule.remove(&(poll.due_ns, id));
    }
}

/// The watched canisters.
pub struct CanisterStore<M: Memory> {
    index: StableBTreeMap<Principal, u32, M>,
    records: Slots<M>,
    hot: Option<HotIndex>,
}

impl<M: Memory> CanisterStore<M> {
    /// Opens (or creates) the store: the index in `index`, the records in `records`. Reads only
    /// headers, whatever the number of canisters.
    pub fn init(index: M, records: M) -> Self {
        Self {
            index: StableBTreeMap::init(index),
            records: Slots::init(records, RECORD_BYTES as u32),
            hot: None,
        }
    }

    /// Number of watched canisters.
    pub fn len(&self) -> u64 {
        self.index.len()
    }

    fn hot(&mut self) -> &mut HotIndex {
        let records = &self.records;
        self.hot.get_or_insert_with(|| {
            let mut hot = HotIndex::default();
            let mut head = [0u8; REGISTRATION_AT];
            for slot in 0..records.count() {
                records.read(slot, &mut head);
                if let Some((id, poll)) = header(&head) {
                    hot.slots.insert(id, slot);
                    hot.schedule(id, poll);
                }
            }
            hot
        })
    }

    fn slot(&self, id: &Principal) -> Option<u32> {
        match &self.hot {
            Some(hot) => hot.slots.get(id).copied(),
            None => self.index.get(id),
        }
    }

    fn read(&self, slot: u32) -> CanisterRecord {
        let mut bytes = vec![0u8; RECORD_BYTES];
        self.records.read(slot, &mut bytes);
        CanisterRecord::decode(&bytes)
    }

    /// True when `id` is watched.
    pub fn contains(&self, id: &Principal) -> bool {
        self.slot(id).is_some()
    }

    /// The record of `id`.
    pub fn get(&self, id: &Principal) -> Option<CanisterRecord> {
        self.slot(id).map(|slot| self.read(slot))
    }

    /// The registration of `id`.
    pub fn registration(&self, id: &Principal) -> Option<Registration> {
        self.get(id).map(|r| r.registration)
    }

    /// Adds a canister that is not watched yet.
    pub fn insert(&mut self, record: CanisterRecord) {
        let id = record.registration.canister_id;
        assert!(!self.contains(&id), "{id} is already stored");
        let slot = self.records.allocate();
        self.records.write(slot, &record.encode());
        self.index.insert(id, slot);
        if let Some(hot) = &mut self.hot {
            hot.slots.insert(id, slot);
            hot.schedule(id, record.watch.next_poll);
        }
    }

    /// The record of `id`, for changing and [`CanisterStore::save`]-ing.
    pub fn load(&mut self, id: &Principal) -> Option<Loaded> {
        let slot = *self.hot().slots.get(id)?;
        let record = self.read(slot);
        Some(Loaded {
            slot,
            scheduled: record.watch.next_poll,
            record,
        })
    }

    /// Writes back a loaded record; its schedule entry changes only if its next poll did.
    pub fn save(&mut self, loaded: Loaded) {
        let id = loaded.record.registration.canister_id;
        let poll = loaded.record.watch.next_poll;
        if poll != loaded.scheduled {
            let hot = self.hot();
            hot.unschedule(id, loaded.scheduled);
            hot.schedule(id, poll);
        }
        self.records.write(loaded.slot, &loaded.record.encode());
    }

    /// Stops watching `id`; returns its last record.
    pub fn remove(&mut self, id: &Principal) -> Option<CanisterRecord> {
        let slot = self.index.remove(id)?;
        let record = self.read(slot);
        self.records.free(slot);
        if let Some(hot) = &mut self.hot {
            hot.slots.remove(id);
            hot.unschedule(*id, record.watch.next_poll);
        }
        Some(record)
    }

    /// Up to `limit` registrations after `start_after`, in canister id order, and the cursor for
    /// the next page.
    pub fn page(
        &self,
        start_after: Option<Principal>,
        limit: usize,
    ) -> (Vec<Registration>, Option<Principal>) {
        use std::ops::Bound::{Excluded, Unbounded};
        let lower = match start_after {
            Some(p) => Excluded(p),
            None => Unbounded,
        };
        let mut out = Vec::with_capacity(limit);
        let mut iter = self.index.range((lower, Unbounded));
        for entry in iter.by_ref().take(limit) {
            out.push(self.read(entry.into_pair().1).registration);
        }
        let next = if iter.next().is_some() {
            out.last().map(|r| r.canister_id)
        } else {
            None
        };
        (out, next)
    }

    /// Up to `limit` canisters whose poll may start at `now_ns` (its window has opened), the
    /// earliest due first, leaving out those `skip` names.
    pub fn due(
        &mut self,
        now_ns: u64,
        limit: usize,
        skip: impl Fn(&Principal) -> bool,
    ) -> Vec<Principal> {
        let horizon = now_ns.saturating_add(MAX_EARLY_START_SECONDS * 1_000_000_000);
        let mut out = vec![];
        for ((due, id), earliest) in &self.hot().schedule {
            if out.len() >= limit || *due > horizon {
                break;
            }
            if *earliest <= now_ns && !skip(id) {
                out.push(*id);
            }
        }
        out
    }

    /// The earliest due time among canisters `skip` does not name.
    pub fn next_due(&mut self, skip: impl Fn(&Principal) -> bool) -> Option<u64> {
        self.hot()
            .schedule
            .keys()
            .find(|(_, id)| !skip(id))
            .map(|(due, _)| *due)
    }

    #[cfg(test)]
    /// Checks that the stable index, the records and the heap index agree (tests).
    pub fn check_invariants(&mut self) -> Result<(), String> {
        let stable: Vec<(Principal, u32)> = self.index.iter().map(|e| e.into_pair()).collect();
        let hot = self.hot();
        let heap: Vec<(Principal, u32)> = hot.slots.iter().map(|(id, s)| (*id, *s)).collect();
        if stable != heap {
            return Err(format!(
                "the stable index has {} canisters, the heap {}",
                stable.len(),
                heap.len()
            ));
        }
        let schedule: Vec<(Principal, PollWindow)> = hot
            .schedule
            .iter()
            .map(|((due, id), earliest)| {
                (
                    *id,
                    PollWindow {
                        earliest_ns: *earliest,
                        due_ns: *due,
                    },
                )
            })
            .collect();
        if schedule.len() != stable.len() {
            return Err(format!(
                "{} schedule entries for {} canisters",
                schedule.len(),
                stable.len()
            ));
        }
        for (id, poll) in schedule {
            let next = self.get(&id).map(|r| r.watch.next_poll);
            if next != Some(poll) {
                return Err(format!(
                    "{id} is scheduled {poll:?}, its record says {next:?}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Config;
    use crate::policy::validation::tests::{args, canister};
    use crate::policy::validation::{validate, Context};
    use crate::status_reply::sample::tests::sample;
    use ic_stable_structures::VectorMemory;

    fn record(n: u64, due_ns: u64) -> CanisterRecord {
        let mut a = args(n);
        a.label = Some(format!("canister {n}"));
        let reg = validate(
            &a,
            &Context {
                monitor_id: canister(999_999),
                config: &Config::default(),
                now_ns: 5_000_000_000,
                self_registered: false,
            },
        )
        .unwrap();
        let mut r = CanisterRecord::new(reg);
        r.watch.next_poll = PollWindow::at(due_ns);
        r.watch.last_sample = Some(sample(4, 1_000 + n as u128, 2 << 20));
        r.watch.polls = n;
        r
    }

    fn store() -> (CanisterStore<VectorMemory>, VectorMemory, VectorMemory) {
        let (index, records) = (VectorMemory::default(), VectorMemory::default());
        (
            CanisterStore::init(index.clone(), records.clone()),
            index,
            records,
        )
    }

    #[test]
    fn a_record_round_trips_through_its_slot() {
        let (mut s, _, _) = store();
        let r = record(7, 42);
        s.insert(r.clone());
        assert_eq!(s.get(&r.registration.canister_id), Some(r.clone()));
        assert_eq!(
            s.registration(&r.registration.canister_id),
            Some(r.registration)
        );
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn the_schedule_follows_saved_poll_times_and_skips_what_is_asked() {
        let (mut s, _, _) = store();
        for n in 1..=3 {
            s.insert(record(n, n * 100));
        }
        let (a, b, c) = (canister(1), canister(2), canister(3));
        assert_eq!(s.due(200, 10, |_| false), vec![a, b]);
        assert_eq!(s.due(200, 1, |_| false), vec![a]);
        assert_eq!(s.due(200, 10, |id| *id == a), vec![b]);
        let mut l = s.load(&a).unwrap();
        l.record.watch.next_poll = PollWindow::at(250);
        s.save(l);
        assert_eq!(s.due(300, 10, |_| false), vec![b, a, c]);
        assert_eq!(s.next_due(|id| *id == b), Some(250));
        s.check_invariants().unwrap();
    }

    #[test]
    fn a_poll_is_taken_once_its_window_opens_before_it_is_due() {
        let (mut s, index, records) = store();
        let ns = 1_000_000_000;
        let mut early = record(1, 0);
        early.watch.next_poll = PollWindow::after(0, 86_400);
        let mut strict = record(2, 0);
        strict.watch.next_poll = PollWindow::at(86_000 * ns);
        s.insert(early);
        s.insert(strict);
        let window_opens = (86_400 - MAX_EARLY_START_SECONDS) * ns;
        assert!(s.due(window_opens - 1, 10, |_| false).is_empty());
        assert_eq!(s.due(window_opens, 10, |_| false), vec![canister(1)]);
        assert_eq!(
            s.due(86_000 * ns, 10, |_| false),
            vec![canister(2), canister(1)]
        );
        assert_eq!(s.next_due(|_| false), Some(86_000 * ns));
        // The window survives reopening.
        let mut reopened = CanisterStore::init(index, records);
        assert_eq!(reopened.due(window_opens, 10, |_| false), vec![canister(1)]);
    }

    #[test]
    fn reopened_the_heap_index_is_rebuilt_from_the_records() {
        let (mut s, index, records) = store();
        for n in 1..=50 {
            s.insert(record(n, 1_000 - n));
        }
        s.remove(&canister(10));
        let mut l = s.load(&canister(20)).unwrap();
        l.record.watch.next_poll = PollWindow::at(1);
        s.save(l);
        let before = s.due(u64::MAX, 100, |_| false);
        let mut reopened = CanisterStore::init(index, records);
        assert_eq!(reopened.len(), 49);
        assert_eq!(reopened.due(u64::MAX, 100, |_| false), before);
        assert_eq!(before[0], canister(20));
        assert!(!reopened.contains(&canister(10)));
        reopened.check_invariants().unwrap();
    }

    #[test]
    fn removed_slots_are_reused_and_the_rest_stay_intact() {
        let (mut s, _, records) = store();
        for n in 1..=3 {
            s.insert(record(n, n));
        }
        let size = records.size();
        assert_eq!(s.remove(&canister(2)), Some(record(2, 2)));
        assert_eq!(s.remove(&canister(2)), None);
        s.insert(record(4, 4));
        assert_eq!(records.size(), size);
        for n in [1, 3, 4] {
            assert_eq!(s.get(&canister(n)), Some(record(n, n)));
        }
        s.check_invariants().unwrap();
    }

    #[test]
    fn pages_walk_every_canister_once_in_id_order() {
        let (mut s, _, _) = store();
        for n in (0..25).rev() {
            s.insert(record(n, n));
        }
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let (items, next) = s.page(cursor, 10);
            seen.extend(items.into_iter().map(|r| r.canister_id));
            if next.is_none() {
                break;
            }
            cursor = next;
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen.len(), 25);
        assert_eq!(sorted, seen);
    }

    #[test]
    fn the_largest_record_fits_its_slot() {
        let mut r = record(1, u64::MAX);
        r.registration.label = "é".repeat(32);
        r.watch.last_failure = "x".repeat(100);
        r.watch.polls = u64::MAX;
        let bytes = r.encode();
        assert_eq!(bytes.len(), RECORD_BYTES);
        assert_eq!(CanisterRecord::decode(&bytes).registration, r.registration);
    }
}
