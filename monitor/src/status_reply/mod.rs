//! The `canister_status` reply: the fields the monitor uses, read straight from the Candid wire
//! format by [`wire`], and the [`sample::Sample`] they make.
//!
//! A general Candid decoder builds the whole type environment and deserialises every field of the
//! reply; that was most of the cost of processing a sample. This reader walks the wire format
//! once: it parses the type table, then streams through the reply record, reading the handful of
//! fields the monitor needs and skipping the rest by their wire type. Like Candid subtyping it
//! accepts fields in any position, unknown fields added by newer replicas, and missing optional
//! fields from older ones; malformed input is an error naming what was wrong, never a panic.
//!
//! Only the first argument of the reply is read; anything after it is not checked.

pub(crate) mod identity;
pub(crate) mod sample;
pub(crate) mod wire;

use candid::Principal;
use identity::Identity;
use sample::{RunStatus, Sample, DAY_SECONDS};
pub(crate) use wire::DecodeError;
use wire::{field_id, Composite, Reader};

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
    /// Module hash, controllers and the cycles settings the watching rules use.
    pub identity: Identity,
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
    let mut module_hash = None;
    let mut reserved_cycles = 0;
    for i in start..end {
        let f = r.fields[i as usize];
        match f.id {
            STATUS => status = Some(r.status(f.ty)?),
            CYCLES => cycles = Some(r.nat(f.ty, "cycles")?),
            MEMORY_SIZE => memory_size = Some(r.nat(f.ty, "memory_size")?),
            IDLE_CYCLES => idle = Some(r.nat(f.ty, "idle_cycles_burned_per_day")?),
            MEMORY_METRICS => memory_metrics = r.memory_metrics(f.ty)?,
            SETTINGS => settings = Some(r.settings(f.ty)?),
            MODULE_HASH => module_hash = r.module_hash(f.ty)?,
            RESERVED_CYCLES if Reader::is_nat(f.ty) => {
                reserved_cycles = r.nat(f.ty, "reserved_cycles")?
            }
            _ => r.skip(f.ty, 0)?,
        }
    }
    let missing = |field| DecodeError::MissingField { field };
    let settings = settings.ok_or(missing("settings"))?;
    Ok(StatusReply {
        status: status.ok_or(missing("status"))?,
        cycles: cycles.ok_or(missing("cycles"))?,
        memory_size: saturate64(memory_size.ok_or(missing("memory_size"))?),
        memory_metrics,
        freezing_threshold: settings.freezing_threshold,
        wasm_memory_limit: settings.wasm_memory_limit,
        idle_cycles_burned_per_day: idle.ok_or(missing("idle_cycles_burned_per_day"))?,
        identity: Identity {
            module_hash,
            controllers: settings.controllers,
            reserved_cycles,
            minimum_incoming_call_cycles: settings.minimum_incoming_call_cycles,
        },
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
const MODULE_HASH: u32 = field_id("module_hash");
const RESERVED_CYCLES: u32 = field_id("reserved_cycles");
const CONTROLLERS: u32 = field_id("controllers");
const MINIMUM_INCOMING_CYCLES: u32 = field_id("minimum_incoming_canister_call_cycles");

/// What the reader takes of `settings`.
struct Settings {
    freezing_threshold: u128,
    wasm_memory_limit: Option<u64>,
    controllers: Vec<Principal>,
    minimum_incoming_call_cycles: u128,
}

fn saturate64(v: u128) -> u64 {
    v.min(u64::MAX as u128) as u64
}

/// The `canister_status`-specific readers.
impl Reader<'_> {
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

    /// `settings`: the freezing threshold, the optional wasm memory limit, the controllers and
    /// the optional minimum cycles of incoming calls.
    fn settings(&mut self, ty: i64) -> Result<Settings, DecodeError> {
        let Some(Composite::Record(start, end)) = self.composite(ty) else {
            return Err(DecodeError::WrongType {
                field: "settings",
                expected: "record",
            });
        };
        let mut freezing = None;
        let mut limit = None;
        let mut controllers = Vec::new();
        let mut minimum_incoming = 0;
        for i in start..end {
            let f = self.fields[i as usize];
            match f.id {
                CONTROLLERS => controllers = self.principals(f.ty, "settings.controllers")?,
                MINIMUM_INCOMING_CYCLES if Self::is_nat(f.ty) => {
                    minimum_incoming =
                        self.nat(f.ty, "settings.minimum_incoming_canister_call_cycles")?
                }
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
        Ok(Settings {
            freezing_threshold: freezing,
            wasm_memory_limit: limit,
            controllers,
            minimum_incoming_call_cycles: minimum_incoming,
        })
    }

    /// `module_hash`: absent, or a blob of another type, reads as `None` (Candid's `opt` rule).
    fn module_hash(&mut self, ty: i64) -> Result<Option<[u8; 32]>, DecodeError> {
        let Some(t) = self.optional(ty)? else {
            return Ok(None);
        };
        match self.blob(t)? {
            Some(bytes) => {
                let mut hash = [0u8; 32];
                let n = bytes.len().min(32);
                hash[..n].copy_from_slice(&bytes[..n]);
                Ok(Some(hash))
            }
            None => {
                self.skip(t, 1)?;
                Ok(None)
            }
        }
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
