//! Stable memory as copy-on-write pages, so taking a snapshot before each message is cheap and a
//! trap can restore the previous contents.

use std::ops::Range;
use std::sync::Arc;

/// Size of a wasm (and stable memory) page.
pub const WASM_PAGE: u64 = 65536;

/// Largest stable memory, in pages (500 GiB).
pub const MAX_STABLE_PAGES: u64 = 500 * 1024 * 16;

type Page = Arc<[u8; WASM_PAGE as usize]>;

/// The byte range `offset..offset + len` cut at page boundaries: for each piece, the page, the
/// offset in that page and the piece's range within the `len` bytes.
fn page_spans(offset: u64, len: usize) -> impl Iterator<Item = (usize, usize, Range<usize>)> {
    let mut done = 0usize;
    std::iter::from_fn(move || {
        (done < len).then(|| {
            let pos = offset + done as u64;
            let in_page = (pos % WASM_PAGE) as usize;
            let n = (WASM_PAGE as usize - in_page).min(len - done);
            let span = ((pos / WASM_PAGE) as usize, in_page, done..done + n);
            done += n;
            span
        })
    })
}

/// A canister's stable memory: a vector of shared pages, copied on first write.
#[derive(Clone, Default, Debug)]
pub struct StableMemory {
    pages: Vec<Option<Page>>,
}

impl StableMemory {
    /// Number of 64 KiB pages.
    pub fn size_pages(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_pages() * WASM_PAGE
    }

    /// Adds `pages` zeroed pages.
    pub fn grow(&mut self, pages: u64) {
        self.pages.resize(self.pages.len() + pages as usize, None);
    }

    /// Whether `[offset, offset + len)` lies inside the memory.
    pub fn in_bounds(&self, offset: u64, len: u64) -> bool {
        offset
            .checked_add(len)
            .is_some_and(|end| end <= self.size_bytes())
    }

    /// Copies bytes out; the range must be in bounds.
    pub fn read(&self, offset: u64, dst: &mut [u8]) {
        for (page, in_page, part) in page_spans(offset, dst.len()) {
            let n = part.len();
            match &self.pages[page] {
                Some(p) => dst[part].copy_from_slice(&p[in_page..in_page + n]),
                None => dst[part].fill(0),
            }
        }
    }

    /// Copies bytes in; the range must be in bounds.
    pub fn write(&mut self, offset: u64, src: &[u8]) {
        for (page, in_page, part) in page_spans(offset, src.len()) {
            let n = part.len();
            let p = self.pages[page].get_or_insert_with(|| Arc::new([0u8; WASM_PAGE as usize]));
            Arc::make_mut(p)[in_page..in_page + n].copy_from_slice(&src[part]);
        }
    }

    /// The whole memory as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.size_bytes() as usize];
        self.read(0, &mut out);
        out
    }

    /// A memory holding `data`, padded with zeros to whole pages.
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut memory = StableMemory::default();
        memory.grow((data.len() as u64).div_ceil(WASM_PAGE));
        memory.write(0, data);
        memory
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_is_unaffected_by_later_writes() {
        let mut m = StableMemory::default();
        m.grow(2);
        m.write(65530, b"hello world");
        let snapshot = m.clone();
        m.write(65530, b"HELLO");
        let mut buf = [0u8; 11];
        snapshot.read(65530, &mut buf);
        assert_eq!(&buf, b"hello world");
        m.read(65530, &mut buf);
        assert_eq!(&buf, b"HELLO world");
        assert!(!m.in_bounds(2 * WASM_PAGE - 1, 2));
    }
}
