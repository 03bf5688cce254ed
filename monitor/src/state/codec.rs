//! Compact binary encoding for the monitor's bounded stable records.
//!
//! Stable records use a hand-written, versioned layout instead of Candid so their size is
//! bounded and small (the registry must stay under 1 KiB per canister) and decoding is cheap.

use candid::Principal;

/// Appends fields to a byte buffer.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }
    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
    /// Writes one byte.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    /// Writes a LEB128 unsigned integer.
    pub fn varint(&mut self, mut v: u128) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
    /// Writes a u64 as a varint.
    pub fn u64(&mut self, v: u64) {
        self.varint(v as u128);
    }
    /// Writes an optional u64.
    pub fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
        }
    }
    /// Writes a u128 saturated to u64 (cycle amounts beyond 18.4 million T are stored as that).
    pub fn sat64(&mut self, v: u128) {
        self.u64(v.min(u64::MAX as u128) as u64);
    }
    /// Writes a u64 saturated to u32.
    pub fn sat32(&mut self, v: u64) {
        self.u64(v.min(u32::MAX as u64));
    }
    /// Writes an optional u128 saturated to u64.
    pub fn opt_sat64(&mut self, v: Option<u128>) {
        self.opt_u64(v.map(|v| v.min(u64::MAX as u128) as u64));
    }
    /// Writes an f32.
    pub fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a length-prefixed byte string (at most 255 bytes; longer input is cut).
    pub fn bytes(&mut self, v: &[u8]) {
        let len = v.len().min(255);
        self.u8(len as u8);
        self.0.extend_from_slice(&v[..len]);
    }
    /// Writes a string, cut at a character boundary to at most `max` bytes.
    pub fn str(&mut self, v: &str, max: usize) {
        self.bytes(truncate(v, max.min(255)).as_bytes());
    }
    /// Writes a principal.
    pub fn principal(&mut self, p: &Principal) {
        self.bytes(p.as_slice());
    }
}

/// Reads fields written by [`Writer`]; reading past the end yields zeros so a corrupt record
/// decodes to defaults instead of trapping the canister.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// Reads one byte.
    pub fn u8(&mut self) -> u8 {
        let v = self.buf.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }
    /// Reads a LEB128 unsigned integer.
    pub fn varint(&mut self) -> u128 {
        let mut v: u128 = 0;
        let mut shift = 0;
        loop {
            let byte = self.u8();
            if shift < 128 {
                v |= ((byte & 0x7f) as u128) << shift;
            }
            if byte & 0x80 == 0 || self.pos > self.buf.len() {
                return v;
            }
            shift += 7;
        }
    }
    /// Reads a u64 varint.
    pub fn u64(&mut self) -> u64 {
        self.varint().min(u64::MAX as u128) as u64
    }
    /// Reads an optional u64.
    pub fn opt_u64(&mut self) -> Option<u64> {
        (self.u8() == 1).then(|| self.u64())
    }
    /// Reads an f32.
    pub fn f32(&mut self) -> f32 {
        let mut b = [0u8; 4];
        for x in b.iter_mut() {
            *x = self.u8();
        }
        f32::from_le_bytes(b)
    }
    /// Reads an optional u128.
    pub fn opt_u128(&mut self) -> Option<u128> {
        (self.u8() == 1).then(|| self.varint())
    }
    /// Reads a length-prefixed byte string.
    pub fn bytes(&mut self) -> &'a [u8] {
        let len = self.u8() as usize;
        let start = self.pos.min(self.buf.len());
        let end = (self.pos + len).min(self.buf.len());
        self.pos += len;
        &self.buf[start..end]
    }
    /// Reads a string (invalid UTF-8 is replaced).
    pub fn string(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
    /// Reads a principal.
    pub fn principal(&mut self) -> Principal {
        Principal::try_from_slice(self.bytes()).unwrap_or(Principal::anonymous())
    }
}

use canister_hooks_types::text::truncate;

/// Maximum encoded size of a varint-encoded u64.
pub const MAX_U64: usize = 10;
/// Maximum encoded size of a varint-encoded u32.
pub const MAX_U32: usize = 5;
/// Maximum encoded size of a varint-encoded u128.
pub const MAX_U128: usize = 19;
/// Maximum encoded size of a principal (length byte + 29 bytes).
pub const MAX_PRINCIPAL: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field_kind() {
        let p = Principal::from_slice(&[1, 2, 3, 4, 5]);
        let mut w = Writer::default();
        w.u8(7);
        w.varint(u128::MAX);
        w.u64(u64::MAX);
        w.opt_u64(None);
        w.opt_u64(Some(42));
        w.opt_sat64(Some(1 << 100));
        w.str("héllo", 64);
        w.principal(&p);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8(), 7);
        assert_eq!(r.varint(), u128::MAX);
        assert_eq!(r.u64(), u64::MAX);
        assert_eq!(r.opt_u64(), None);
        assert_eq!(r.opt_u64(), Some(42));
        assert_eq!(r.opt_u128(), Some(u64::MAX as u128), "saturated to u64");
        assert_eq!(r.string(), "héllo");
        assert_eq!(r.principal(), p);
    }

    #[test]
    fn varint_sizes_stay_within_declared_maxima() {
        let mut w = Writer::default();
        w.varint(u128::MAX);
        assert!(w.finish().len() <= MAX_U128);
        let mut w = Writer::default();
        w.u64(u64::MAX);
        assert!(w.finish().len() <= MAX_U64);
    }

    #[test]
    fn reading_past_the_end_yields_defaults_not_panics() {
        let mut r = Reader::new(&[0x80]);
        assert_eq!(r.varint(), 0);
        assert_eq!(r.string(), "");
        assert_eq!(r.opt_u64(), None);
    }
}
