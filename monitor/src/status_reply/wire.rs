//! A streaming reader of the Candid wire format: LEB128 numbers, the type table, and skipping any
//! value by its wire type. It knows nothing of `canister_status` (see the parent module).

use std::fmt;

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
pub(super) const NULL: i64 = -1;
pub(super) const BOOL: i64 = -2;
pub(super) const NAT: i64 = -3;
pub(super) const INT: i64 = -4;
pub(super) const NAT8: i64 = -5;
pub(super) const NAT16: i64 = -6;
pub(super) const NAT32: i64 = -7;
pub(super) const NAT64: i64 = -8;
pub(super) const INT8: i64 = -9;
pub(super) const INT16: i64 = -10;
pub(super) const INT32: i64 = -11;
pub(super) const INT64: i64 = -12;
pub(super) const FLOAT32: i64 = -13;
pub(super) const FLOAT64: i64 = -14;
pub(super) const TEXT: i64 = -15;
pub(super) const RESERVED: i64 = -16;
pub(super) const EMPTY: i64 = -17;
pub(super) const PRINCIPAL: i64 = -24;
// Composite type codes (type table only).
pub(super) const OPT: i64 = -18;
pub(super) const VEC: i64 = -19;
pub(super) const RECORD: i64 = -20;
pub(super) const VARIANT: i64 = -21;
pub(super) const FUNC: i64 = -22;
pub(super) const SERVICE: i64 = -23;

/// One entry of the type table.
#[derive(Clone, Copy, Debug)]
pub(super) enum Composite {
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
pub(super) struct Field {
    pub(super) id: u32,
    pub(super) ty: i64,
}

/// A cursor over the reply, with its parsed type table.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    pub(super) table: Vec<Composite>,
    pub(super) fields: Vec<Field>,
    /// Values that may still be skipped.
    pub(super) budget: u32,
}

impl<'a> Reader<'a> {
    /// Checks the magic and parses the type table.
    pub(super) fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
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
    pub(super) fn truncated(&self) -> DecodeError {
        DecodeError::Truncated {
            at: self.bytes.len(),
        }
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Result<u8, DecodeError> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated()),
        }
    }

    #[inline]
    pub(super) fn skip_bytes(&mut self, n: u64) -> Result<(), DecodeError> {
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
    pub(super) fn leb(&mut self) -> Result<u64, DecodeError> {
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
    pub(super) fn nat_value(&mut self) -> Result<u128, DecodeError> {
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
    pub(super) fn skip_leb(&mut self) -> Result<(), DecodeError> {
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
    pub(super) fn type_code(&mut self) -> Result<i64, DecodeError> {
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
    pub(super) fn type_ref(&mut self, len: u64) -> Result<i64, DecodeError> {
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

    pub(super) fn type_table(&mut self) -> Result<(), DecodeError> {
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
    pub(super) fn first_argument(&mut self) -> Result<Option<Composite>, DecodeError> {
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

    pub(super) fn composite(&self, ty: i64) -> Option<Composite> {
        (ty >= 0).then(|| self.table[ty as usize])
    }

    /// Skips one value of type `ty`.
    pub(super) fn skip(&mut self, ty: i64, depth: u32) -> Result<(), DecodeError> {
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
            PRINCIPAL => self.principal().map(drop),
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
                Composite::Service => self.principal().map(drop),
                Composite::Future => {
                    let n = self.leb()?;
                    self.leb()?;
                    self.skip_bytes(n)
                }
            },
        }
    }

    /// The flag before a reference: 1 (transparent) is the only kind a reply can hold.
    pub(super) fn reference_flag(&mut self) -> Result<(), DecodeError> {
        let at = self.pos;
        match self.byte()? {
            1 => Ok(()),
            _ => Err(DecodeError::BadValue {
                at,
                reason: "opaque or malformed reference",
            }),
        }
    }

    /// A principal value: its bytes.
    pub(super) fn principal(&mut self) -> Result<&'a [u8], DecodeError> {
        self.reference_flag()?;
        let at = self.pos;
        let n = self.leb()?;
        if n > 29 {
            return Err(DecodeError::BadValue {
                at,
                reason: "principal longer than 29 bytes",
            });
        }
        let start = self.pos;
        self.skip_bytes(n)?;
        Ok(&self.bytes[start..self.pos])
    }

    /// A `vec principal` value (the field is named in the error when it has another type).
    pub(super) fn principals(
        &mut self,
        ty: i64,
        field: &'static str,
    ) -> Result<Vec<candid::Principal>, DecodeError> {
        let Some(Composite::Vec(PRINCIPAL)) = self.composite(ty) else {
            return Err(DecodeError::WrongType {
                field,
                expected: "vec principal",
            });
        };
        let n = self.leb()?;
        // Every principal takes at least two bytes, so the input bounds the allocation.
        if n > (self.bytes.len() - self.pos) as u64 / 2 {
            return Err(self.truncated());
        }
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            out.push(candid::Principal::from_slice(self.principal()?));
        }
        Ok(out)
    }

    /// The bytes of a `blob` (`vec nat8`) value, or `None` (nothing read) when `ty` is another
    /// type.
    pub(super) fn blob(&mut self, ty: i64) -> Result<Option<&'a [u8]>, DecodeError> {
        let Some(Composite::Vec(NAT8)) = self.composite(ty) else {
            return Ok(None);
        };
        let n = self.leb()?;
        let start = self.pos;
        self.skip_bytes(n)?;
        Ok(Some(&self.bytes[start..self.pos]))
    }

    /// Reads a variant's tag and returns its field.
    pub(super) fn tag(&mut self, start: u32, end: u32) -> Result<Field, DecodeError> {
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
    pub(super) fn is_nat(ty: i64) -> bool {
        matches!(ty, NAT | NAT8 | NAT16 | NAT32 | NAT64)
    }

    /// Reads an unsigned integer of type `ty`, saturated to `u128`.
    pub(super) fn nat(&mut self, ty: i64, field: &'static str) -> Result<u128, DecodeError> {
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
    pub(super) fn optional(&mut self, ty: i64) -> Result<Option<i64>, DecodeError> {
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
}
