//! Reads the fields the monitor uses from a Candid-encoded `canister_status` reply.
//!
//! A general Candid decoder builds the whole type environment and deserialises every field of the
//! reply; that was most of the cost of processing a sample. This reader walks the wire format
//! once: it parses the type table, then streams through the reply record, reading the handful of
//! fields the monitor needs and skipping the rest by their wire type. Like Candid subtyping it
//! accepts fields in any position, unknown fields added by newer replicas, and missing optional
//! fields from older ones; malformed input is an error naming what was wrong, never a panic.
//!
//! Only the first argument of the reply is read; anything after it is not checked.

use crate::sample::{RunStatus, Sample, DAY_SECONDS};
use std::fmt;

/// The fields of a `canister_status` reply the monitor uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReply {
    pub status: RunStatus,
    /// Cycle balance (saturated to `u128`).
    pub cycles: u128,
    /// Total memory, bytes (saturated to `u64`).
    pub memory_size: u64,
    /// `memory_metrics`, absent on replicas that predate it.
    pub memory_metrics: Option<MemoryMetrics>,
    /// `settings.freezing_threshold`, seconds.
    pub freezing_threshold: u128,
    /// `settings.wasm_memory_limit`, absent on replicas that predate it.
    pub wasm_memory_limit: Option<u64>,
    pub idle_cycles_burned_per_day: u128,
}

/// The parts of `memory_metrics` the monitor uses, bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryMetrics {
    pub wasm_memory_size: u64,
    pub stable_memory_size: u64,
}

impl StatusReply {
    /// The sample this reply describes, observed at `at_ns`.
    pub fn to_sample(&self, at_ns: u64) -> Sample {
        let metrics = self.memory_metrics.unwrap_or(MemoryMetrics {
            wasm_memory_size: 0,
            stable_memory_size: 0,
        });
        Sample {
            at_ns,
            cycles: self.cycles,
            heap_bytes: metrics.wasm_memory_size,
            stable_bytes: metrics.stable_memory_size,
            total_bytes: self.memory_size,
            wasm_memory_limit: self.wasm_memory_limit.unwrap_or(0),
            freezing_reserve: self
                .idle_cycles_burned_per_day
                .saturating_mul(self.freezing_threshold)
                / DAY_SECONDS as u128,
            idle_burn_per_day: self.idle_cycles_burned_per_day,
            status: self.status,
        }
    }
}

/// Why a reply could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with `DIDL`.
    BadMagic,
    /// The input ended inside a value or the header.
    Truncated { at: usize },
    /// A LEB128 number does not fit the 64 bits a length or type code may have.
    NumberTooLarge { at: usize },
    /// The type table is malformed.
    BadTypeTable { at: usize, reason: &'static str },
    /// The reply has no argument, or its first argument is not a record.
    NotARecord,
    /// A value does not match its wire type.
    BadValue { at: usize, reason: &'static str },
    /// A field the monitor needs is absent.
    MissingField { field: &'static str },
    /// A field the monitor needs has a type it cannot read.
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    /// `status` holds a tag other than running, stopping or stopped.
    UnknownStatus { tag: u32 },
    /// The reply nests deeper, or holds more values, than a status reply can.
    TooComplex,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError::*;
        match self {
            BadMagic => write!(f, "not Candid: the reply does not start with DIDL"),
            Truncated { at } => write!(f, "the reply ends early (at byte {at})"),
            NumberTooLarge { at } => write!(f, "number at byte {at} does not fit in 64 bits"),
            BadTypeTable { at, reason } => write!(f, "bad type table at byte {at}: {reason}"),
            NotARecord => write!(f, "the reply is not a record"),
            BadValue { at, reason } => write!(f, "bad value at byte {at}: {reason}"),
            MissingField { field } => write!(f, "field `{field}` is missing"),
            WrongType { field, expected } => write!(f, "field `{field}` is not a {expected}"),
            UnknownStatus { tag } => write!(
                f,
                "`status` has the unknown tag {tag} (expected running, stopping or stopped)"
            ),
            TooComplex => write!(f, "the reply nests too deeply or holds too many values"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Candid's field id of `name`.
pub const fn field_id(name: &str) -> u32 {
    let b = name.as_bytes();
    let mut h: u32 = 0;
    let mut i = 0;
    while i < b.len() {
        h = h.wrapping_mul(223).wrapping_add(b[i] as u32);
        i += 1;
    }
    h
}

/// Most nested values (an honest reply nests 4 deep).
const MAX_DEPTH: u32 = 32;
/// Most values skipped in one reply (an honest reply holds a few dozen).
const MAX_SKIPPED_VALUES: u32 = 10_000;

// Primitive type codes.
const NULL: i64 = -1;
const BOOL: i64 = -2;
const NAT: i64 = -3;
const INT: i64 = -4;
const NAT8: i64 = -5;
const NAT16: i64 = -6;
const NAT32: i64 = -7;
const NAT64: i64 = -8;
const INT8: i64 = -9;
const INT16: i64 = -10;
const INT32: i64 = -11;
const INT64: i64 = -12;
const FLOAT32: i64 = -13;
const FLOAT64: i64 = -14;
const TEXT: i64 = -15;
const RESERVED: i64 = -16;
const EMPTY: i64 = -17;
const PRINCIPAL: i64 = -24;
// Composite type codes (type table only).
const OPT: i64 = -18;
const VEC: i64 = -19;
const RECORD: i64 = -20;
const VARIANT: i64 = -21;
const FUNC: i64 = -22;
const SERVICE: i64 = -23;

/// One entry of the type table.
#[derive(Clone, Copy, Debug)]
enum Composite {
    Opt(i64),
    Vec(i64),
    /// Fields `fields[start..end]`, sorted by id.
    Record(u32, u32),
    Variant(u32, u32),
    Func,
    Service,
    Future,
}

/// A record field (or variant tag) of the type table.
#[derive(Clone, Copy, Debug)]
struct Field {
    id: u32,
    ty: i64,
}

/// Decodes the fields the monitor uses from a `canister_status` reply.
pub fn decode(bytes: &[u8]) -> Result<StatusReply, DecodeError> {
    let mut r = Reader::new(bytes)?;
    let (start, end) = match r.first_argument()? {
        Some(Composite::Record(start, end)) => (start, end),
        _ => return Err(DecodeError::NotARecord),
    };
    let mut status = None;
    let mut cycles = None;
    let mut memory_size = None;
    let mut memory_metrics = None;
    let mut settings = None;
    let mut idle = None;
    for i in start..end {
        let f = r.fields[i as usize];
        match f.id {
            STATUS => status = Some(r.status(f.ty)?),
            CYCLES => cycles = Some(r.nat(f.ty, "cycles")?),
            MEMORY_SIZE => memory_size = Some(r.nat(f.ty, "memory_size")?),
            IDLE_CYCLES => idle = Some(r.nat(f.ty, "idle_cycles_burned_per_day")?),
            MEMORY_METRICS => memory_metrics = r.memory_metrics(f.ty)?,
            SETTINGS => settings = Some(r.settings(f.ty)?),
            _ => r.skip(f.ty, 0)?,
        }
    }
    let missing = |field| DecodeError::MissingField { field };
    let (freezing_threshold, wasm_memory_limit) = settings.ok_or(missing("settings"))?;
    Ok(StatusReply {
        status: status.ok_or(missing("status"))?,
        cycles: cycles.ok_or(missing("cycles"))?,
        memory_size: saturate64(memory_size.ok_or(missing("memory_size"))?),
        memory_metrics,
        freezing_threshold,
        wasm_memory_limit,
        idle_cycles_burned_per_day: idle.ok_or(missing("idle_cycles_burned_per_day"))?,
    })
}

const STATUS: u32 = field_id("status");
const CYCLES: u32 = field_id("cycles");
const MEMORY_SIZE: u32 = field_id("memory_size");
const MEMORY_METRICS: u32 = field_id("memory_metrics");
const IDLE_CYCLES: u32 = field_id("idle_cycles_burned_per_day");
const SETTINGS: u32 = field_id("settings");
const FREEZING_THRESHOLD: u32 = field_id("freezing_threshold");
const WASM_MEMORY_LIMIT: u32 = field_id("wasm_memory_limit");
const WASM_MEMORY_SIZE: u32 = field_id("wasm_memory_size");
const STABLE_MEMORY_SIZE: u32 = field_id("stable_memory_size");
const RUNNING: u32 = field_id("running");
const STOPPING: u32 = field_id("stopping");
const STOPPED: u32 = field_id("stopped");

fn saturate64(v: u128) -> u64 {
    v.min(u64::MAX as u128) as u64
}

/// A cursor over the reply, with its parsed type table.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    table: Vec<Composite>,
    fields: Vec<Field>,
    /// Values that may still be skipped.
    budget: u32,
}

impl<'a> Reader<'a> {
    /// Checks the magic and parses the type table.
    fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.get(..4) != Some(b"DIDL") {
            return Err(DecodeError::BadMagic);
        }
        let mut r = Reader {
            bytes,
            pos: 4,
            table: Vec::with_capacity(32),
            fields: Vec::with_capacity(96),
            budget: MAX_SKIPPED_VALUES,
        };
        r.type_table()?;
        Ok(r)
    }

    #[cold]
    fn truncated(&self) -> DecodeError {
        DecodeError::Truncated {
            at: self.bytes.len(),
        }
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, DecodeError> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated()),
        }
    }

    #[inline]
    fn skip_bytes(&mut self, n: u64) -> Result<(), DecodeError> {
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(self.truncated());
        }
        self.pos += n as usize;
        Ok(())
    }

    /// An unsigned LEB128 number of at most 64 bits (lengths, counts, ids): at most 10 bytes,
    /// the tenth 0 or 1, as Candid's own reader accepts.
    #[inline]
    fn leb(&mut self) -> Result<u64, DecodeError> {
        let rest = &self.bytes[self.pos..];
        let mut v: u64 = 0;
        for (i, &b) in rest.iter().take(10).enumerate() {
            if i == 9 && b > 1 {
                return Err(DecodeError::NumberTooLarge { at: self.pos });
            }
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        Err(self.truncated())
    }

    /// An unsigned LEB128 number of any size, saturated to `u128`.
    fn nat_value(&mut self) -> Result<u128, DecodeError> {
        let rest = &self.bytes[self.pos..];
        let mut v: u128 = 0;
        let mut saturated = false;
        for (i, &b) in rest.iter().enumerate() {
            let low = (b & 0x7f) as u128;
            let shift = 7 * i;
            if shift < 128 {
                let bits = low << shift;
                saturated |= bits >> shift != low;
                v |= bits;
            } else {
                saturated |= low != 0;
            }
            if b & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(if saturated { u128::MAX } else { v });
            }
        }
        Err(self.truncated())
    }

    /// Skips a LEB128 number of any size.
    fn skip_leb(&mut self) -> Result<(), DecodeError> {
        match self.bytes[self.pos..].iter().position(|b| b & 0x80 == 0) {
            Some(i) => {
                self.pos += i + 1;
                Ok(())
            }
            None => Err(self.truncated()),
        }
    }

    /// A signed LEB128 type code.
    #[inline]
    fn type_code(&mut self) -> Result<i64, DecodeError> {
        // Primitive codes and small table indexes take one byte.
        if let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                // Sign-extend the 7-bit value.
                return Ok((((b << 1) as i8) >> 1) as i64);
            }
        }
        let at = self.pos;
        let mut v: i64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift >= 63 {
                return Err(DecodeError::NumberTooLarge { at });
            }
            v |= ((b & 0x7f) as i64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Ok(v);
            }
        }
    }

    /// A type reference: a primitive code or an index into the table of `len` entries.
    fn type_ref(&mut self, len: u64) -> Result<i64, DecodeError> {
        let at = self.pos;
        let t = self.type_code()?;
        let ok = if t >= 0 {
            (t as u64) < len
        } else {
            t >= EMPTY || t == PRINCIPAL
        };
        if ok {
            Ok(t)
        } else {
            Err(DecodeError::BadTypeTable {
                at,
                reason: "type reference is neither a primitive type nor a table index",
            })
        }
    }

    fn type_table(&mut self) -> Result<(), DecodeError> {
        let len = self.leb()?;
        // Every entry takes at least one byte, so the input bounds the allocation.
        if len > (self.bytes.len() - self.pos) as u64 {
            return Err(self.truncated());
        }
        self.table.reserve(len as usize);
        for _ in 0..len {
            let at = self.pos;
            let entry = match self.type_code()? {
                OPT => Composite::Opt(self.type_ref(len)?),
                VEC => Composite::Vec(self.type_ref(len)?),
                code @ (RECORD | VARIANT) => {
                    let n = self.leb()?;
                    if n > (self.bytes.len() - self.pos) as u64 {
                        return Err(self.truncated());
                    }
                    let start = self.fields.len() as u32;
                    let mut previous: Option<u32> = None;
                    for _ in 0..n {
                        let id_at = self.pos;
                        let id = self.leb()?;
                        let id = u32::try_from(id).map_err(|_| DecodeError::BadTypeTable {
                            at: id_at,
                            reason: "field id out of 32-bit range",
                        })?;
                        if previous.is_some_and(|p| p >= id) {
                            return Err(DecodeError::BadTypeTable {
                                at: id_at,
                                reason: "field ids not in increasing order",
                            });
                        }
                        previous = Some(id);
                        let ty = self.type_ref(len)?;
                        self.fields.push(Field { id, ty });
                    }
                    let end = self.fields.len() as u32;
                    if code == RECORD {
                        Composite::Record(start, end)
                    } else {
                        Composite::Variant(start, end)
                    }
                }
                FUNC => {
                    for _ in 0..2 {
                        let n = self.leb()?;
                        for _ in 0..n {
                            self.type_ref(len)?;
                        }
                    }
                    let annotations = self.leb()?;
                    self.skip_bytes(annotations)?;
                    Composite::Func
                }
                SERVICE => {
                    let n = self.leb()?;
                    for _ in 0..n {
                        let name = self.leb()?;
                        self.skip_bytes(name)?;
                        self.type_ref(len)?;
                    }
                    Composite::Service
                }
                code if code < PRINCIPAL => {
                    let n = self.leb()?;
                    self.skip_bytes(n)?;
                    Composite::Future
                }
                _ => {
                    return Err(DecodeError::BadTypeTable {
                        at,
                        reason: "a type table entry must be a composite type",
                    })
                }
            };
            self.table.push(entry);
        }
        Ok(())
    }

    /// The table entry of the first argument's type (`None` if it is primitive); fails when
    /// there is no argument.
    fn first_argument(&mut self) -> Result<Option<Composite>, DecodeError> {
        let count = self.leb()?;
        if count == 0 {
            return Err(DecodeError::NotARecord);
        }
        let len = self.table.len() as u64;
        let first = self.type_ref(len)?;
        for _ in 1..count {
            self.type_ref(len)?;
        }
        Ok(self.composite(first))
    }

    fn composite(&self, ty: i64) -> Option<Composite> {
        (ty >= 0).then(|| self.table[ty as usize])
    }

    /// Skips one value of type `ty`.
    fn skip(&mut self, ty: i64, depth: u32) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH || self.budget == 0 {
            return Err(DecodeError::TooComplex);
        }
        self.budget -= 1;
        let at = self.pos;
        match ty {
            NULL | RESERVED => Ok(()),
            BOOL => match self.byte()? {
                0 | 1 => Ok(()),
                _ => Err(DecodeError::BadValue {
                    at,
                    reason: "bool is neither 0 nor 1",
                }),
            },
            NAT | INT => self.skip_leb(),
            NAT8 | INT8 => self.skip_bytes(1),
            NAT16 | INT16 => self.skip_bytes(2),
            NAT32 | INT32 | FLOAT32 => self.skip_bytes(4),
            NAT64 | INT64 | FLOAT64 => self.skip_bytes(8),
            TEXT => {
                let n = self.leb()?;
                self.skip_bytes(n)
            }
            EMPTY => Err(DecodeError::BadValue {
                at,
                reason: "a value of type empty",
            }),
            PRINCIPAL => self.principal(),
            index => match self.table[index as usize] {
                Composite::Opt(inner) => match self.byte()? {
                    0 => Ok(()),
                    1 => self.skip(inner, depth + 1),
                    _ => Err(DecodeError::BadValue {
                        at,
                        reason: "opt flag is neither 0 nor 1",
                    }),
                },
                Composite::Vec(inner) => {
                    let n = self.leb()?;
                    if inner == NAT8 || inner == INT8 {
                        return self.skip_bytes(n);
                    }
                    for _ in 0..n {
                        self.skip(inner, depth + 1)?;
                    }
                    Ok(())
                }
                Composite::Record(start, end) => {
                    for i in start..end {
                        let t = self.fields[i as usize].ty;
                        self.skip(t, depth + 1)?;
                    }
                    Ok(())
                }
                Composite::Variant(start, end) => {
                    let tag = self.tag(start, end)?;
                    self.skip(tag.ty, depth + 1)
                }
                Composite::Func => {
                    self.reference_flag()?;
                    self.principal()?;
                    self.skip(TEXT, depth + 1)
                }
                Composite::Service => self.principal(),
                Composite::Future => {
                    let n = self.leb()?;
                    self.leb()?;
                    self.skip_bytes(n)
                }
            },
        }
    }

    /// The flag before a reference: 1 (transparent) is the only kind a reply can hold.
    fn reference_flag(&mut self) -> Result<(), DecodeError> {
        let at = self.pos;
        match self.byte()? {
            1 => Ok(()),
            _ => Err(DecodeError::BadValue {
                at,
                reason: "opaque or malformed reference",
            }),
        }
    }

    fn principal(&mut self) -> Result<(), DecodeError> {
        self.reference_flag()?;
        let at = self.pos;
        let n = self.leb()?;
        if n > 29 {
            return Err(DecodeError::BadValue {
                at,
                reason: "principal longer than 29 bytes",
            });
        }
        self.skip_bytes(n)
    }

    /// Reads a variant's tag and returns its field.
    fn tag(&mut self, start: u32, end: u32) -> Result<Field, DecodeError> {
        let at = self.pos;
        let index = self.leb()?;
        if index >= u64::from(end - start) {
            return Err(DecodeError::BadValue {
                at,
                reason: "variant tag out of range",
            });
        }
        Ok(self.fields[(start as u64 + index) as usize])
    }

    /// True for the unsigned integer types a size or balance may be sent as.
    fn is_nat(ty: i64) -> bool {
        matches!(ty, NAT | NAT8 | NAT16 | NAT32 | NAT64)
    }

    /// Reads an unsigned integer of type `ty`, saturated to `u128`.
    fn nat(&mut self, ty: i64, field: &'static str) -> Result<u128, DecodeError> {
        let fixed = |r: &mut Self, n: usize| -> Result<u128, DecodeError> {
            let end = r.pos + n;
            let b = r.bytes.get(r.pos..end).ok_or_else(|| r.truncated())?;
            r.pos = end;
            Ok(b.iter()
                .rev()
                .fold(0u128, |acc, &x| (acc << 8) | u128::from(x)))
        };
        match ty {
            NAT => self.nat_value(),
            NAT8 => fixed(self, 1),
            NAT16 => fixed(self, 2),
            NAT32 => fixed(self, 4),
            NAT64 => fixed(self, 8),
            _ => Err(DecodeError::WrongType {
                field,
                expected: "nat",
            }),
        }
    }

    /// The type of the value inside an optional field, `None` when it is absent (a `null`,
    /// `reserved` or `opt` none). A bare `T` counts as present, as Candid's `opt` rule says.
    fn optional(&mut self, ty: i64) -> Result<Option<i64>, DecodeError> {
        match ty {
            NULL | RESERVED => Ok(None),
            _ => match self.composite(ty) {
                Some(Composite::Opt(inner)) => {
                    let at = self.pos;
                    match self.byte()? {
                        0 => Ok(None),
                        1 => Ok(Some(inner)),
                        _ => Err(DecodeError::BadValue {
                            at,
                            reason: "opt flag is neither 0 nor 1",
                        }),
                    }
                }
                _ => Ok(Some(ty)),
            },
        }
    }

    fn status(&mut self, ty: i64) -> Result<RunStatus, DecodeError> {
        let Some(Composite::Variant(start, end)) = self.composite(ty) else {
            return Err(DecodeError::WrongType {
                field: "status",
                expected: "variant",
            });
        };
        let tag = self.tag(start, end)?;
        self.skip(tag.ty, 1)?;
        match tag.id {
            RUNNING => Ok(RunStatus::Running),
            STOPPING => Ok(RunStatus::Stopping),
            STOPPED => Ok(RunStatus::Stopped),
            tag => Err(DecodeError::UnknownStatus { tag }),
        }
    }

    /// `settings`: the freezing threshold and the optional wasm memory limit.
    fn settings(&mut self, ty: i64) -> Result<(u128, Option<u64>), DecodeError> {
        let Some(Composite::Record(start, end)) = self.composite(ty) else {
            return Err(DecodeError::WrongType {
                field: "settings",
                expected: "record",
            });
        };
        let mut freezing = None;
        let mut limit = None;
        for i in start..end {
            let f = self.fields[i as usize];
            match f.id {
                FREEZING_THRESHOLD => {
                    freezing = Some(self.nat(f.ty, "settings.freezing_threshold")?)
                }
                WASM_MEMORY_LIMIT => match self.optional(f.ty)? {
                    // Like Candid's `opt` rule: a value of another type reads as absent.
                    Some(t) if Self::is_nat(t) => {
                        limit = Some(saturate64(self.nat(t, "settings.wasm_memory_limit")?))
                    }
                    Some(t) => self.skip(t, 2)?,
                    None => {}
                },
                _ => self.skip(f.ty, 1)?,
            }
        }
        let freezing = freezing.ok_or(DecodeError::MissingField {
            field: "settings.freezing_threshold",
        })?;
        Ok((freezing, limit))
    }

    /// `memory_metrics`: absent, of another type, or lacking one of the two sizes reads as
    /// `None` (Candid's `opt` rule).
    fn memory_metrics(&mut self, ty: i64) -> Result<Option<MemoryMetrics>, DecodeError> {
        let Some(t) = self.optional(ty)? else {
            return Ok(None);
        };
        let Some(Composite::Record(start, end)) = self.composite(t) else {
            self.skip(t, 1)?;
            return Ok(None);
        };
        let mut wasm = None;
        let mut stable = None;
        for i in start..end {
            let f = self.fields[i as usize];
            match f.id {
                WASM_MEMORY_SIZE if Self::is_nat(f.ty) => {
                    wasm = Some(saturate64(
                        self.nat(f.ty, "memory_metrics.wasm_memory_size")?,
                    ))
                }
                STABLE_MEMORY_SIZE if Self::is_nat(f.ty) => {
                    stable = Some(saturate64(
                        self.nat(f.ty, "memory_metrics.stable_memory_size")?,
                    ))
                }
                _ => self.skip(f.ty, 2)?,
            }
        }
        Ok(wasm.zip(stable).map(|(w, s)| MemoryMetrics {
            wasm_memory_size: w,
            stable_memory_size: s,
        }))
    }
}

#[cfg(test)]
mod tests;
