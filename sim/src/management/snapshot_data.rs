//! Snapshot download and upload: `read_canister_snapshot_metadata`, `read_canister_snapshot_data`,
//! `upload_canister_snapshot_metadata`, `upload_canister_snapshot_data`.

use super::chunks::{MAX_CHUNKS, MAX_CHUNK_BYTES};
use super::snapshots::{check_room, not_found};
use super::{decode, reply, MgmtCall, MgmtResult};
use crate::canister::{CanisterSnapshot, LowMemoryHook};
use crate::error::{ErrorCode, UserError};
use crate::sim::Sim;
use crate::wasm::instance::ExecState;
use crate::wasm::module_cache::sha256;
use crate::wasm::stable::{StableMemory, MAX_STABLE_PAGES, WASM_PAGE};
use candid::{Nat, Principal};
use ic_management_canister_types::{
    CanisterTimer, ChunkHash, OnLowWasmMemoryHookStatus, ReadCanisterSnapshotDataArgs,
    ReadCanisterSnapshotDataResult, ReadCanisterSnapshotMetadataArgs,
    ReadCanisterSnapshotMetadataResult, SnapshotDataKind, SnapshotDataOffset,
    SnapshotMetadataGlobal, SnapshotSource, UploadCanisterSnapshotDataArgs,
    UploadCanisterSnapshotMetadataArgs, UploadCanisterSnapshotMetadataResult,
};
use std::collections::BTreeMap;
use std::ops::Range;
use wasmi::{Val, F32, F64, V128};

/// Most bytes one `read_canister_snapshot_data` returns (the IC's slice limit, which keeps the
/// reply under the 2 MiB response limit).
pub const MAX_SLICE_BYTES: u64 = 2_000_000;
/// Largest module an uploaded snapshot may declare (the IC's 100 MiB module limit).
const MAX_MODULE_BYTES: u64 = 100 * 1024 * 1024;
/// Largest wasm memory an uploaded snapshot may declare (4 GiB: 32-bit memory).
const MAX_HEAP_BYTES: u64 = 65536 * WASM_PAGE;
/// Most bytes of certified data.
const MAX_CERTIFIED_DATA_BYTES: usize = 32;

fn payload_error(message: String) -> UserError {
    UserError::new(ErrorCode::InvalidManagementPayload, message)
}

/// The byte range `offset..offset + size` of a snapshot `region` of `len` bytes, if it lies
/// inside it.
fn subslice(region: &str, len: u64, offset: u64, size: u64) -> Result<Range<usize>, UserError> {
    match offset.checked_add(size) {
        Some(end) if end <= len => Ok(offset as usize..end as usize),
        _ => Err(payload_error(format!(
            "Invalid subslice into the snapshot's {region}: offset {offset} + size {size} exceeds its size of {len} bytes"
        ))),
    }
}

/// A global's value as the snapshot metadata shows it (`None` for reference globals).
fn metadata_global(value: &Val) -> Option<SnapshotMetadataGlobal> {
    Some(match value {
        Val::I32(v) => SnapshotMetadataGlobal::I32(*v),
        Val::I64(v) => SnapshotMetadataGlobal::I64(*v),
        Val::F32(v) => SnapshotMetadataGlobal::F32(f32::from_bits(v.to_bits())),
        Val::F64(v) => SnapshotMetadataGlobal::F64(f64::from_bits(v.to_bits())),
        Val::V128(v) => SnapshotMetadataGlobal::V128(Nat::from(v.as_u128())),
        Val::FuncRef(_) | Val::ExternRef(_) => return None,
    })
}

/// An uploaded global as a wasm value.
fn global_value(index: usize, global: &SnapshotMetadataGlobal) -> Result<Val, UserError> {
    Ok(match global {
        SnapshotMetadataGlobal::I32(v) => Val::I32(*v),
        SnapshotMetadataGlobal::I64(v) => Val::I64(*v),
        SnapshotMetadataGlobal::F32(v) => Val::F32(F32::from_bits(v.to_bits())),
        SnapshotMetadataGlobal::F64(v) => Val::F64(F64::from_bits(v.to_bits())),
        SnapshotMetadataGlobal::V128(v) => {
            let bits = u128::try_from(&v.0).map_err(|_| {
                payload_error(format!(
                    "Global {index} (v128) has the value {v}, which does not fit in 128 bits"
                ))
            })?;
            Val::V128(V128::from(bits))
        }
    })
}

fn canister_timer(timer: u64) -> CanisterTimer {
    match timer {
        0 => CanisterTimer::Inactive,
        at => CanisterTimer::Active(at),
    }
}

fn timer_value(timer: &CanisterTimer) -> u64 {
    match timer {
        CanisterTimer::Inactive => 0,
        CanisterTimer::Active(at) => *at,
    }
}

fn hook_status(hook: LowMemoryHook) -> OnLowWasmMemoryHookStatus {
    match hook {
        LowMemoryHook::ConditionNotSatisfied => OnLowWasmMemoryHookStatus::ConditionNotSatisfied,
        LowMemoryHook::Ready => OnLowWasmMemoryHookStatus::Ready,
        LowMemoryHook::Executed => OnLowWasmMemoryHookStatus::Executed,
    }
}

fn hook_state(status: &OnLowWasmMemoryHookStatus) -> LowMemoryHook {
    match status {
        OnLowWasmMemoryHookStatus::ConditionNotSatisfied => LowMemoryHook::ConditionNotSatisfied,
        OnLowWasmMemoryHookStatus::Ready => LowMemoryHook::Ready,
        OnLowWasmMemoryHookStatus::Executed => LowMemoryHook::Executed,
    }
}

/// Checks a size declared by uploaded metadata: at most `max` bytes and, for memories, whole
/// wasm pages.
fn check_declared_size(what: &str, size: u64, max: u64, paged: bool) -> Result<(), UserError> {
    if size > max {
        return Err(payload_error(format!(
            "The snapshot's {what} of {size} bytes exceeds the maximum of {max} bytes"
        )));
    }
    if paged && !size.is_multiple_of(WASM_PAGE) {
        return Err(payload_error(format!(
            "The snapshot's {what} of {size} bytes is not a whole number of wasm pages ({WASM_PAGE} bytes)"
        )));
    }
    Ok(())
}

/// The snapshot `metadata` describes, with zeroed data for the uploads to fill.
fn uploaded_snapshot(
    metadata: &UploadCanisterSnapshotMetadataArgs,
    taken_at: u64,
    canister_version: u64,
) -> Result<CanisterSnapshot, UserError> {
    let sizes = [
        (
            "wasm module",
            metadata.wasm_module_size,
            MAX_MODULE_BYTES,
            false,
        ),
        (
            "wasm memory",
            metadata.wasm_memory_size,
            MAX_HEAP_BYTES,
            true,
        ),
        (
            "stable memory",
            metadata.stable_memory_size,
            MAX_STABLE_PAGES * WASM_PAGE,
            true,
        ),
    ];
    for (what, size, max, paged) in sizes {
        check_declared_size(what, size, max, paged)?;
    }
    if metadata.certified_data.len() > MAX_CERTIFIED_DATA_BYTES {
        return Err(payload_error(format!(
            "The snapshot's certified data has {} bytes; at most {MAX_CERTIFIED_DATA_BYTES} are allowed",
            metadata.certified_data.len()
        )));
    }
    let globals = metadata
        .globals
        .iter()
        .enumerate()
        .map(|(i, g)| global_value(i, g))
        .collect::<Result<_, _>>()?;
    let mut stable = StableMemory::default();
    stable.grow(metadata.stable_memory_size / WASM_PAGE);
    Ok(CanisterSnapshot {
        source: SnapshotSource::MetadataUpload(candid::Reserved),
        taken_at,
        wasm: vec![0; metadata.wasm_module_size as usize],
        state: ExecState {
            heap: vec![0; metadata.wasm_memory_size as usize],
            globals,
            stable,
        },
        certified_data: metadata.certified_data.clone(),
        global_timer: metadata.global_timer.as_ref().map(timer_value),
        low_memory_hook: metadata
            .on_low_wasm_memory_hook_status
            .as_ref()
            .map(hook_state),
        canister_version,
        chunks: BTreeMap::new(),
    })
}

/// Writes `chunk` into the uploaded `snapshot` where `kind` says.
fn write_data(
    snapshot: &mut CanisterSnapshot,
    kind: &SnapshotDataOffset,
    chunk: Vec<u8>,
    canister: Principal,
) -> Result<(), UserError> {
    let size = chunk.len() as u64;
    match *kind {
        SnapshotDataOffset::WasmModule { offset } => {
            let range = subslice("wasm module", snapshot.wasm.len() as u64, offset, size)?;
            snapshot.wasm[range].copy_from_slice(&chunk);
        }
        SnapshotDataOffset::WasmMemory { offset } => {
            let heap = &mut snapshot.state.heap;
            let range = subslice("wasm memory", heap.len() as u64, offset, size)?;
            heap[range].copy_from_slice(&chunk);
        }
        SnapshotDataOffset::StableMemory { offset } => {
            let stable = &mut snapshot.state.stable;
            subslice("stable memory", stable.size_bytes(), offset, size)?;
            stable.write(offset, &chunk);
        }
        SnapshotDataOffset::WasmChunk => {
            if chunk.len() > MAX_CHUNK_BYTES {
                return Err(payload_error(format!(
                    "Wasm chunk of {size} bytes exceeds the maximum of {MAX_CHUNK_BYTES} bytes"
                )));
            }
            let hash = sha256(&chunk);
            if !snapshot.chunks.contains_key(&hash) && snapshot.chunks.len() >= MAX_CHUNKS {
                return Err(payload_error(format!(
                    "The wasm chunk store of the snapshot of canister {canister} is full ({MAX_CHUNKS} chunks)"
                )));
            }
            snapshot.chunks.insert(hash, chunk);
        }
    }
    Ok(())
}

impl Sim {
    /// Snapshot `snapshot_id` of canister `id`, if `sender` may read it.
    fn readable_snapshot(
        &self,
        id: Principal,
        sender: Principal,
        snapshot_id: &[u8],
    ) -> Result<&CanisterSnapshot, UserError> {
        self.snapshot_viewer(id, sender)?
            .snapshots
            .get(snapshot_id)
            .ok_or_else(|| not_found(id, snapshot_id))
    }

    pub(super) fn read_snapshot_metadata_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: ReadCanisterSnapshotMetadataArgs =
            decode("read_canister_snapshot_metadata", call.payload)?;
        let s = self.readable_snapshot(args.canister_id, call.sender, &args.snapshot_id)?;
        reply(&ReadCanisterSnapshotMetadataResult {
            source: Some(s.source.clone()),
            taken_at_timestamp: s.taken_at,
            wasm_module_size: s.wasm.len() as u64,
            globals: s.state.globals.iter().map(metadata_global).collect(),
            wasm_memory_size: s.state.heap.len() as u64,
            stable_memory_size: s.state.stable.size_bytes(),
            wasm_chunk_store: s
                .chunks
                .keys()
                .map(|h| ChunkHash { hash: h.to_vec() })
                .collect(),
            canister_version: s.canister_version,
            certified_data: s.certified_data.clone(),
            global_timer: s.global_timer.map(canister_timer),
            on_low_wasm_memory_hook_status: s.low_memory_hook.map(hook_status),
        })
    }

    pub(super) fn read_snapshot_data_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: ReadCanisterSnapshotDataArgs =
            decode("read_canister_snapshot_data", call.payload)?;
        let s = self.readable_snapshot(args.canister_id, call.sender, &args.snapshot_id)?;
        if let SnapshotDataKind::WasmModule { size, .. }
        | SnapshotDataKind::WasmMemory { size, .. }
        | SnapshotDataKind::StableMemory { size, .. } = args.kind
        {
            if size > MAX_SLICE_BYTES {
                return Err(payload_error(format!(
                    "Requested slice too large: {size} > {MAX_SLICE_BYTES} bytes (the most one reply may carry); read in smaller pieces"
                )));
            }
        }
        let chunk = match &args.kind {
            SnapshotDataKind::WasmModule { offset, size } => {
                s.wasm[subslice("wasm module", s.wasm.len() as u64, *offset, *size)?].to_vec()
            }
            SnapshotDataKind::WasmMemory { offset, size } => {
                let heap = &s.state.heap;
                heap[subslice("wasm memory", heap.len() as u64, *offset, *size)?].to_vec()
            }
            SnapshotDataKind::StableMemory { offset, size } => {
                let stable = &s.state.stable;
                let range = subslice("stable memory", stable.size_bytes(), *offset, *size)?;
                let mut bytes = vec![0; range.len()];
                stable.read(*offset, &mut bytes);
                bytes
            }
            SnapshotDataKind::WasmChunk { hash } => <[u8; 32]>::try_from(hash.as_slice())
                .ok()
                .and_then(|h| s.chunks.get(&h))
                .cloned()
                .ok_or_else(|| {
                    payload_error(format!(
                        "The snapshot's wasm chunk store has no chunk with hash {}",
                        hex::encode(hash)
                    ))
                })?,
        };
        reply(&ReadCanisterSnapshotDataResult { chunk })
    }

    pub(super) fn upload_snapshot_metadata_method(
        &mut self,
        call: &mut MgmtCall<'_>,
    ) -> MgmtResult {
        let args: UploadCanisterSnapshotMetadataArgs =
            decode("upload_canister_snapshot_metadata", call.payload)?;
        let id = args.canister_id;
        let c = self.controlled(id, call.sender)?;
        check_room(c, args.replace_snapshot.as_ref())?;
        let snapshot = uploaded_snapshot(&args, self.time_ns, c.version)?;
        let snapshot_id = self.add_snapshot(id, args.replace_snapshot.as_ref(), snapshot);
        reply(&UploadCanisterSnapshotMetadataResult { snapshot_id })
    }

    pub(super) fn upload_snapshot_data_method(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: UploadCanisterSnapshotDataArgs =
            decode("upload_canister_snapshot_data", call.payload)?;
        let id = args.canister_id;
        self.controlled(id, call.sender)?;
        let c = self.canisters.get_mut(&id).expect("checked");
        let snapshot = c
            .snapshots
            .get_mut(&args.snapshot_id)
            .ok_or_else(|| not_found(id, &args.snapshot_id))?;
        if let SnapshotSource::TakenFromCanister(_) = snapshot.source {
            return Err(UserError::new(
                ErrorCode::CanisterSnapshotImmutable,
                format!(
                    "Snapshot {} of canister {id} was taken from the canister; only canister snapshots created by metadata upload can be mutated.",
                    hex::encode(&args.snapshot_id)
                ),
            ));
        }
        write_data(snapshot, &args.kind, args.chunk, id)?;
        reply(&())
    }
}
