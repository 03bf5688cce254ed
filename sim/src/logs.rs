//! A canister's log: `debug_print` output and traps, with indices and timestamps.

use ic_management_canister_types::CanisterLogRecord;
use std::collections::VecDeque;

/// Default and maximum size of a canister's log, in bytes (oldest records are dropped).
pub const LOG_CAPACITY_BYTES: usize = 4 * 1024;

/// A canister's log records.
#[derive(Debug, Clone, Default)]
pub struct CanisterLog {
    records: VecDeque<CanisterLogRecord>,
    next_idx: u64,
    bytes: usize,
}

impl CanisterLog {
    /// Appends a record, dropping the oldest ones to stay within the capacity.
    pub fn append(&mut self, timestamp_nanos: u64, content: Vec<u8>) {
        self.bytes += content.len();
        self.records.push_back(CanisterLogRecord {
            idx: self.next_idx,
            timestamp_nanos,
            content,
        });
        self.next_idx += 1;
        while self.bytes > LOG_CAPACITY_BYTES && self.records.len() > 1 {
            if let Some(r) = self.records.pop_front() {
                self.bytes -= r.content.len();
            }
        }
    }

    /// All records, oldest first.
    pub fn records(&self) -> Vec<CanisterLogRecord> {
        self.records.iter().cloned().collect()
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.bytes
    }

    /// Removes every record (the index keeps counting).
    pub fn clear(&mut self) {
        self.records.clear();
        self.bytes = 0;
    }
}
