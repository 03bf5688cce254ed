//! The stable error log: a bounded ring of recent failures, newest kept, repeats folded into one
//! entry with a count.
//!
//! A repeat is the same source, message and reject code; it moves its entry to the newest
//! position and increments the count. When the ring is full the oldest entry is dropped.

use std::borrow::Cow;

use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, Storable};

use crate::events::ErrorSource;
use crate::types::ErrorRecord;

/// Default number of distinct failures kept.
pub const DEFAULT_CAPACITY: u64 = 64;

/// Messages longer than this are truncated (at a character boundary) before storing.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// The ring: `seq -> record`, plus `fingerprint -> seq` to find repeats.
pub struct ErrorLog<M: Memory> {
    entries: StableBTreeMap<u64, StoredRecord, M>,
    index: StableBTreeMap<u64, u64, M>,
    capacity: u64,
}

impl<M: Memory> ErrorLog<M> {
    /// Opens (or creates) the log stored in the two memories.
    pub fn init(entries: M, index: M, capacity: u64) -> Self {
        ErrorLog {
            entries: StableBTreeMap::init(entries),
            index: StableBTreeMap::init(index),
            capacity: capacity.max(1),
        }
    }

    /// Records one occurrence at `now_ns` and returns the (possibly folded) entry.
    pub fn record(
        &mut self,
        source: ErrorSource,
        message: &str,
        reject_code: Option<u32>,
        now_ns: u64,
    ) -> ErrorRecord {
        let message = canister_hooks_types::text::truncate(message, MAX_MESSAGE_BYTES);
        let fp = fingerprint(&source, message, reject_code);
        let seq = self.entries.last_key_value().map_or(0, |(s, _)| s + 1);
        let previous = self
            .index
            .get(&fp)
            .and_then(|old_seq| self.entries.get(&old_seq).map(|r| (old_seq, r.0)))
            .filter(|(_, r)| {
                r.source == source && r.message == message && r.reject_code == reject_code
            });
        let record = match previous {
            Some((old_seq, old)) => {
                self.entries.remove(&old_seq);
                ErrorRecord {
                    seq,
                    last_at_ns: now_ns,
                    count: old.count.saturating_add(1),
                    ..old
                }
            }
            None => ErrorRecord {
                seq,
                source,
                message: message.to_string(),
                reject_code,
                first_at_ns: now_ns,
                last_at_ns: now_ns,
                count: 1,
            },
        };
        self.entries.insert(seq, StoredRecord(record.clone()));
        self.index.insert(fp, seq);
        while self.entries.len() > self.capacity {
            if let Some((_, StoredRecord(old))) = self.entries.pop_first() {
                let old_fp = fingerprint(&old.source, &old.message, old.reject_code);
                if self.index.get(&old_fp) == Some(old.seq) {
                    self.index.remove(&old_fp);
                }
            }
        }
        record
    }

    /// Up to `limit` entries, newest first.
    pub fn recent(&self, limit: usize) -> Vec<ErrorRecord> {
        self.entries
            .iter()
            .rev()
            .take(limit)
            .map(|e| e.value().0)
            .collect()
    }

    /// Entries currently kept.
    pub fn len(&self) -> u64 {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// FNV-1a over the fields that define "the same failure" (stored as the index key: pinned).
pub(crate) fn fingerprint(source: &ErrorSource, message: &str, reject_code: Option<u32>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    let (tag, name): (u8, &str) = match source {
        ErrorSource::Timer(n) => (0, n),
        ErrorSource::Heartbeat => (1, ""),
        ErrorSource::InitTask(n) => (2, n),
        ErrorSource::Hook(n) => (3, n),
        ErrorSource::System(n) => (4, n),
    };
    eat(&[tag]);
    eat(&(name.len() as u64).to_le_bytes());
    eat(name.as_bytes());
    eat(&(message.len() as u64).to_le_bytes());
    eat(message.as_bytes());
    eat(&reject_code.map_or([0xff; 5], |c| {
        let b = c.to_le_bytes();
        [0, b[0], b[1], b[2], b[3]]
    }));
    h
}

/// Candid-encoded [`ErrorRecord`] stored in the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredRecord(pub(crate) ErrorRecord);

impl Storable for StoredRecord {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.clone_bytes())
    }

    fn into_bytes(self) -> Vec<u8> {
        self.clone_bytes()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        StoredRecord(
            candid::decode_one(&bytes)
                .expect("canister-hooks: corrupt error log entry in stable memory"),
        )
    }

    const BOUND: Bound = Bound::Unbounded;
}

impl StoredRecord {
    fn clone_bytes(&self) -> Vec<u8> {
        candid::encode_one(&self.0).expect("canister-hooks: error record always encodes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;
    use proptest::prelude::*;

    fn log(capacity: u64) -> ErrorLog<VectorMemory> {
        ErrorLog::init(VectorMemory::default(), VectorMemory::default(), capacity)
    }

    fn timer(name: &str) -> ErrorSource {
        ErrorSource::Timer(name.into())
    }

    #[test]
    fn repeats_fold_into_one_entry_with_a_count() {
        let mut l = log(8);
        l.record(timer("compact"), "boom", Some(5), 10);
        l.record(timer("other"), "x", Some(5), 11);
        let r = l.record(timer("compact"), "boom", Some(5), 20);
        assert_eq!(r.count, 2);
        assert_eq!((r.first_at_ns, r.last_at_ns), (10, 20));
        let recent = l.recent(10);
        assert_eq!(recent.len(), 2);
        assert_eq!(
            recent[0].source,
            timer("compact"),
            "a repeat becomes the newest entry"
        );
        assert_eq!(recent[0].count, 2);
    }

    #[test]
    fn different_code_or_source_is_a_different_failure() {
        let mut l = log(8);
        l.record(timer("a"), "boom", Some(5), 1);
        l.record(timer("a"), "boom", Some(4), 2);
        l.record(ErrorSource::InitTask("a".into()), "boom", Some(5), 3);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn oldest_are_dropped_when_full_newest_kept() {
        let mut l = log(3);
        for i in 0..5u64 {
            l.record(timer("t"), &format!("failure {i}"), Some(5), i);
        }
        let msgs: Vec<String> = l.recent(10).into_iter().map(|r| r.message).collect();
        assert_eq!(msgs, ["failure 4", "failure 3", "failure 2"]);
        // An evicted failure starts a fresh count.
        assert_eq!(l.record(timer("t"), "failure 0", Some(5), 9).count, 1);
    }

    #[test]
    fn long_messages_are_truncated_on_a_char_boundary() {
        let mut l = log(3);
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let r = l.record(ErrorSource::Heartbeat, &long, None, 0);
        assert!(r.message.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(l.record(ErrorSource::Heartbeat, &long, None, 1).count, 2);
    }

    #[test]
    fn log_survives_reopening_the_memory() {
        let (a, b) = (VectorMemory::default(), VectorMemory::default());
        ErrorLog::init(a.clone(), b.clone(), 8).record(ErrorSource::Heartbeat, "trap", Some(5), 1);
        let mut reopened = ErrorLog::init(a, b, 8);
        assert_eq!(reopened.recent(1)[0].message, "trap");
        assert_eq!(
            reopened
                .record(ErrorSource::Heartbeat, "trap", Some(5), 2)
                .count,
            2
        );
    }

    proptest! {
        /// The log never exceeds capacity, and counts add up to occurrences of kept failures.
        #[test]
        fn bounded_and_counts_add_up(ops in proptest::collection::vec(0u8..6, 1..150)) {
            let mut l = log(4);
            let mut occurrences = std::collections::HashMap::<u8, u64>::new();
            for (t, op) in ops.iter().enumerate() {
                l.record(timer("t"), &format!("m{op}"), Some(5), t as u64);
                *occurrences.entry(*op).or_default() += 1;
            }
            prop_assert!(l.len() <= 4);
            let last = *ops.last().unwrap();
            prop_assert_eq!(l.recent(1)[0].message.clone(), format!("m{last}"));
            for r in l.recent(10) {
                let op: u8 = r.message[1..].parse().unwrap();
                prop_assert!(r.count <= occurrences[&op]);
            }
        }
    }
}
