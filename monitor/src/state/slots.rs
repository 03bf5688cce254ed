//! Fixed-size record slots in one stable memory: a record is read or written with a single
//! stable-memory access at a computed offset, whatever the number of records, instead of a
//! B-tree search and node rewrite. Freed slots are chained into a free list and reused.
//!
//! Layout: a 32-byte header (magic, version, slot size, slot count, free-list head), then slot
//! `i` at `HEADER + i * slot_size`. Byte 0 of a slot says whether it is in use; a free slot keeps
//! the next free slot (plus one, zero ending the list) in its bytes 1..5.

use ic_stable_structures::Memory;

const MAGIC: &[u8; 4] = b"MSLT";
const VERSION: u8 = 1;
const HEADER: u64 = 32;
const PAGE: u64 = 65_536;

/// Byte 0 of a slot in use.
pub const IN_USE: u8 = 1;

/// Slots of `slot_size` bytes in `memory`.
pub struct Slots<M: Memory> {
    memory: M,
    slot_size: u64,
    count: u32,
    free_head: u32,
}

impl<M: Memory> Slots<M> {
    /// Opens the slots in `memory`, initialising an empty memory. Panics if the memory holds
    /// slots of another size (a layout change needs a migration, not a silent reinterpretation).
    pub fn init(memory: M, slot_size: u32) -> Self {
        let mut s = Self {
            memory,
            slot_size: slot_size as u64,
            count: 0,
            free_head: 0,
        };
        if s.memory.size() == 0 {
            grow_to(&s.memory, HEADER);
            s.save_header();
            return s;
        }
        let mut h = [0u8; HEADER as usize];
        s.memory.read(0, &mut h);
        assert_eq!(&h[0..4], MAGIC, "stable memory does not hold monitor slots");
        assert_eq!(h[4], VERSION, "unknown slot layout version {}", h[4]);
        let stored_size = u32::from_le_bytes(h[5..9].try_into().expect("4 bytes"));
        assert_eq!(
            stored_size, slot_size,
            "slots were written {stored_size} bytes wide, not {slot_size}"
        );
        s.count = u32::from_le_bytes(h[9..13].try_into().expect("4 bytes"));
        s.free_head = u32::from_le_bytes(h[13..17].try_into().expect("4 bytes"));
        s
    }

    fn save_header(&self) {
        let mut h = [0u8; HEADER as usize];
        h[0..4].copy_from_slice(MAGIC);
        h[4] = VERSION;
        h[5..9].copy_from_slice(&(self.slot_size as u32).to_le_bytes());
        h[9..13].copy_from_slice(&self.count.to_le_bytes());
        h[13..17].copy_from_slice(&self.free_head.to_le_bytes());
        self.memory.write(0, &h);
    }

    fn offset(&self, slot: u32) -> u64 {
        HEADER + slot as u64 * self.slot_size
    }

    /// Slots ever allocated (in use or free).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// A free slot (reused, or a new one at the end); its content is unspecified until written.
    pub fn allocate(&mut self) -> u32 {
        let slot = if self.free_head > 0 {
            let slot = self.free_head - 1;
            let mut next = [0u8; 5];
            self.memory.read(self.offset(slot), &mut next);
            self.free_head = u32::from_le_bytes(next[1..5].try_into().expect("4 bytes"));
            slot
        } else {
            let slot = self.count;
            self.count += 1;
            grow_to(&self.memory, self.offset(self.count));
            slot
        };
        self.save_header();
        slot
    }

    /// Returns `slot` to the free list.
    pub fn free(&mut self, slot: u32) {
        let mut entry = [0u8; 5];
        entry[1..5].copy_from_slice(&self.free_head.to_le_bytes());
        self.memory.write(self.offset(slot), &entry);
        self.free_head = slot + 1;
        self.save_header();
    }

    /// Reads the first `buf.len()` bytes of `slot`.
    pub fn read(&self, slot: u32, buf: &mut [u8]) {
        debug_assert!(slot < self.count && buf.len() as u64 <= self.slot_size);
        self.memory.read(self.offset(slot), buf);
    }

    /// Writes `bytes` at the start of `slot`.
    pub fn write(&self, slot: u32, bytes: &[u8]) {
        assert!(slot < self.count, "slot {slot} was never allocated");
        assert!(
            bytes.len() as u64 <= self.slot_size,
            "record larger than a slot"
        );
        self.memory.write(self.offset(slot), bytes);
    }
}

/// Grows `memory` to hold at least `bytes`.
fn grow_to<M: Memory>(memory: &M, bytes: u64) {
    let pages = bytes.div_ceil(PAGE);
    if memory.size() < pages {
        assert!(
            memory.grow(pages - memory.size()) >= 0,
            "out of stable memory"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    #[test]
    fn records_survive_reopening() {
        let mem = VectorMemory::default();
        let mut s = Slots::init(mem.clone(), 64);
        let a = s.allocate();
        let b = s.allocate();
        s.write(a, &[IN_USE, 1, 2, 3]);
        s.write(b, &[IN_USE, 9]);
        let s = Slots::init(mem, 64);
        assert_eq!(s.count(), 2);
        let mut buf = [0u8; 4];
        s.read(a, &mut buf);
        assert_eq!(buf, [IN_USE, 1, 2, 3]);
        s.read(b, &mut buf[..2]);
        assert_eq!(buf[..2], [IN_USE, 9]);
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first_and_marked_free() {
        let mem = VectorMemory::default();
        let mut s = Slots::init(mem.clone(), 16);
        let ids: Vec<u32> = (0..4).map(|_| s.allocate()).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        for &i in &ids {
            s.write(i, &[IN_USE]);
        }
        s.free(1);
        s.free(3);
        let mut byte = [0u8; 1];
        s.read(3, &mut byte);
        assert_ne!(byte[0], IN_USE);
        // The free list survives reopening.
        let mut s = Slots::init(mem, 16);
        assert_eq!(s.allocate(), 3);
        assert_eq!(s.allocate(), 1);
        assert_eq!(s.allocate(), 4);
        assert_eq!(s.count(), 5);
    }

    #[test]
    fn memory_grows_in_pages_as_slots_are_added() {
        let mem = VectorMemory::default();
        let mut s = Slots::init(mem.clone(), 512);
        assert_eq!(mem.size(), 1);
        // The first page holds the header and 127 slots.
        for _ in 0..127 {
            s.allocate();
        }
        assert_eq!(mem.size(), 1);
        s.allocate();
        assert_eq!(mem.size(), 2);
    }

    #[test]
    #[should_panic(expected = "slots were written 64 bytes wide, not 32")]
    fn reopening_with_another_slot_size_is_refused() {
        let mem = VectorMemory::default();
        Slots::init(mem.clone(), 64);
        Slots::init(mem, 32);
    }
}
