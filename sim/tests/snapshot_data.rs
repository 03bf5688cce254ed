//! Snapshot download and upload (`read_canister_snapshot_metadata`, `read_canister_snapshot_data`,
//! `upload_canister_snapshot_metadata`, `upload_canister_snapshot_data`): a downloaded snapshot
//! uploaded again loads back the exact state; permissions, size checks, the snapshot limit.

mod common;

use candid::Principal;
use common::{
    admin, assert_invalid_controller, assert_mentions, canister_info, dec, enc, sim_with_probe,
    wasm,
};
use ic_sim::management_types::{
    CanisterIdRecord, CanisterSettings, CanisterTimer, ChangeDetails, ChunkHash,
    OnLowWasmMemoryHookStatus, ReadCanisterSnapshotMetadataResult, SnapshotDataKind,
    SnapshotDataOffset, SnapshotSource, SnapshotVisibility, UploadCanisterSnapshotDataArgs,
    UploadCanisterSnapshotMetadataArgs, UploadChunkArgs,
};
use ic_sim::{ErrorCode, Ingress, Sim, UserError};

/// Bytes per download and upload piece: not a page multiple, so pieces straddle pages.
const PIECE: u64 = 1_000_000;

fn stranger() -> Principal {
    Principal::from_slice(&[0x5e, 0x02])
}

/// A snapshot as downloaded: its metadata and every byte of its data.
struct Download {
    metadata: ReadCanisterSnapshotMetadataResult,
    module: Vec<u8>,
    heap: Vec<u8>,
    stable: Vec<u8>,
    chunks: Vec<Vec<u8>>,
}

/// Reads `size` bytes of one region in pieces of [`PIECE`] bytes.
fn read_region(
    sim: &mut Sim,
    id: Principal,
    snapshot: &[u8],
    size: u64,
    kind: fn(u64, u64) -> SnapshotDataKind,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    while (bytes.len() as u64) < size {
        let offset = bytes.len() as u64;
        let piece = PIECE.min(size - offset);
        let got = sim
            .read_canister_snapshot_data(id, Some(admin()), snapshot.to_vec(), kind(offset, piece))
            .unwrap();
        assert_eq!(
            got.len() as u64,
            piece,
            "a read returns exactly the requested size"
        );
        bytes.extend(got);
    }
    bytes
}

/// Asserts that `err` has `code` and its message names `named`.
fn assert_refused(err: &UserError, code: ErrorCode, named: &str) {
    assert_eq!(err.error_code, code, "{}", err.message);
    assert_mentions(err, named);
}

/// The snapshot's metadata, as `admin()` reads it.
fn metadata(sim: &mut Sim, id: Principal, snapshot: &[u8]) -> ReadCanisterSnapshotMetadataResult {
    sim.read_canister_snapshot_metadata(id, Some(admin()), snapshot.to_vec())
        .unwrap()
}

fn download(sim: &mut Sim, id: Principal, snapshot: &[u8]) -> Download {
    let metadata = metadata(sim, id, snapshot);
    type Region = fn(u64, u64) -> SnapshotDataKind;
    let regions: [(u64, Region); 3] = [
        (metadata.wasm_module_size, |offset, size| {
            SnapshotDataKind::WasmModule { offset, size }
        }),
        (metadata.wasm_memory_size, |offset, size| {
            SnapshotDataKind::WasmMemory { offset, size }
        }),
        (metadata.stable_memory_size, |offset, size| {
            SnapshotDataKind::StableMemory { offset, size }
        }),
    ];
    let [module, heap, stable] =
        regions.map(|(size, kind)| read_region(sim, id, snapshot, size, kind));
    let chunks = metadata
        .wasm_chunk_store
        .iter()
        .map(|h| {
            let kind = SnapshotDataKind::WasmChunk {
                hash: h.hash.clone(),
            };
            sim.read_canister_snapshot_data(id, Some(admin()), snapshot.to_vec(), kind)
                .unwrap()
        })
        .collect();
    Download {
        metadata,
        module,
        heap,
        stable,
        chunks,
    }
}

/// The upload arguments recreating `metadata` on `canister_id`.
fn metadata_args(
    canister_id: Principal,
    metadata: &ReadCanisterSnapshotMetadataResult,
) -> UploadCanisterSnapshotMetadataArgs {
    UploadCanisterSnapshotMetadataArgs {
        canister_id,
        replace_snapshot: None,
        wasm_module_size: metadata.wasm_module_size,
        globals: metadata
            .globals
            .iter()
            .map(|g| g.clone().unwrap())
            .collect(),
        wasm_memory_size: metadata.wasm_memory_size,
        stable_memory_size: metadata.stable_memory_size,
        certified_data: metadata.certified_data.clone(),
        global_timer: metadata.global_timer.clone(),
        on_low_wasm_memory_hook_status: metadata.on_low_wasm_memory_hook_status.clone(),
    }
}

fn upload_data(
    sim: &mut Sim,
    id: Principal,
    snapshot: &[u8],
    kind: SnapshotDataOffset,
    chunk: Vec<u8>,
) -> Result<(), UserError> {
    let args = UploadCanisterSnapshotDataArgs {
        canister_id: id,
        snapshot_id: snapshot.to_vec(),
        kind,
        chunk,
    };
    sim.upload_canister_snapshot_data(Some(admin()), args)
}

/// Uploads `download` in pieces as a new snapshot of `id`; returns its id.
fn upload(sim: &mut Sim, id: Principal, download: &Download) -> Vec<u8> {
    let snapshot = sim
        .upload_canister_snapshot_metadata(Some(admin()), metadata_args(id, &download.metadata))
        .unwrap();
    type Region = fn(u64) -> SnapshotDataOffset;
    let regions: [(&Vec<u8>, Region); 3] = [
        (&download.module, |offset| SnapshotDataOffset::WasmModule {
            offset,
        }),
        (&download.heap, |offset| SnapshotDataOffset::WasmMemory {
            offset,
        }),
        (&download.stable, |offset| {
            SnapshotDataOffset::StableMemory { offset }
        }),
    ];
    for (bytes, kind) in regions {
        for (i, piece) in bytes.chunks(PIECE as usize).enumerate() {
            let offset = i as u64 * PIECE;
            upload_data(sim, id, &snapshot, kind(offset), piece.to_vec()).unwrap();
        }
    }
    for chunk in &download.chunks {
        upload_data(
            sim,
            id,
            &snapshot,
            SnapshotDataOffset::WasmChunk,
            chunk.clone(),
        )
        .unwrap();
    }
    snapshot
}

/// Calls management `method` about canister `id` as `admin()`; its reply.
fn management(sim: &mut Sim, method: &str, payload: Vec<u8>, id: Principal) -> Vec<u8> {
    let call = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: method.into(),
            payload,
            effective_canister_id: Some(id),
        })
        .unwrap();
    sim.await_ingress(&call).unwrap()
}

fn heap_value(sim: &mut Sim, id: Principal) -> u64 {
    dec(&sim.query_call(id, admin(), "get_heap", enc(())).unwrap())
}

fn events(sim: &mut Sim, id: Principal) -> Vec<String> {
    dec(&sim.query_call(id, admin(), "events", enc(())).unwrap())
}

fn module_hash(sim: &mut Sim, id: Principal) -> Option<Vec<u8>> {
    sim.canister_status(id, Some(admin())).unwrap().module_hash
}

/// A probe with over 2 MB of heap, stable data and a chunk in its store, and a snapshot of it.
fn probe_with_snapshot() -> (Sim, Principal, Vec<u8>) {
    let (mut sim, id) = sim_with_probe();
    // An upgrade records pre_upgrade/post_upgrade events in stable memory.
    sim.upgrade_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    sim.update_call(id, admin(), "set_heap", enc(42u64))
        .unwrap();
    // 1 MiB more heap: over 2 MB in all, more than one read may return.
    sim.update_call(id, admin(), "grow_heap", enc(16u64))
        .unwrap();
    let chunk = UploadChunkArgs {
        canister_id: id,
        chunk: vec![7; 3000],
    };
    management(&mut sim, "upload_chunk", enc(chunk), id);
    let snapshot = sim.take_canister_snapshot(id, Some(admin()), None).unwrap();
    (sim, id, snapshot.id)
}

/// The metadata fields an upload reproduces (source, timestamp and version describe the upload).
fn uploaded_fields(m: &ReadCanisterSnapshotMetadataResult) -> String {
    format!(
        "{} {:?} {} {} {:?} {:?} {:?} {:?}",
        m.wasm_module_size,
        m.globals,
        m.wasm_memory_size,
        m.stable_memory_size,
        m.wasm_chunk_store,
        m.certified_data,
        m.global_timer,
        m.on_low_wasm_memory_hook_status
    )
}

#[test]
fn a_downloaded_snapshot_uploads_and_loads_back_the_exact_state() {
    // Spec: read_canister_snapshot_metadata/data return the snapshot's metadata and bytes;
    // upload_canister_snapshot_metadata/data create a snapshot from them, which
    // load_canister_snapshot loads like a taken one.
    let (mut sim, id, taken) = probe_with_snapshot();
    let (heap, history, hash) = (
        heap_value(&mut sim, id),
        events(&mut sim, id),
        module_hash(&mut sim, id),
    );
    assert_eq!(heap, 42);
    assert_eq!(history, ["init", "pre_upgrade", "post_upgrade"]);
    let original = download(&mut sim, id, &taken);
    assert!(matches!(
        original.metadata.source,
        Some(SnapshotSource::TakenFromCanister(_))
    ));
    assert!(
        original.heap.len() as u64 > PIECE,
        "the heap is read in several pieces"
    );
    assert_eq!(original.stable.len(), 65536);
    assert_eq!(original.chunks, [vec![7u8; 3000]]);
    assert!(original.metadata.global_timer.is_some());
    assert!(original.metadata.on_low_wasm_memory_hook_status.is_some());

    // Change the canister's state, then upload the download onto it and onto an empty canister.
    sim.update_call(id, admin(), "set_heap", enc(7u64)).unwrap();
    sim.upgrade_canister(id, wasm("sim-test-probe"), enc(()), Some(admin()))
        .unwrap();
    let empty = sim.create_canister_with_settings(Some(admin()), None);
    for target in [id, empty] {
        let uploaded = upload(&mut sim, target, &original);
        let again = download(&mut sim, target, &uploaded);
        assert!(matches!(
            again.metadata.source,
            Some(SnapshotSource::MetadataUpload(_))
        ));
        assert_eq!(
            uploaded_fields(&again.metadata),
            uploaded_fields(&original.metadata)
        );
        assert!(again.module == original.module && again.heap == original.heap);
        assert!(again.stable == original.stable && again.chunks == original.chunks);

        sim.load_canister_snapshot(target, Some(admin()), uploaded)
            .unwrap();
        assert_eq!(heap_value(&mut sim, target), heap);
        assert_eq!(events(&mut sim, target), history);
        assert_eq!(module_hash(&mut sim, target), hash);
        let store = management(
            &mut sim,
            "stored_chunks",
            enc(CanisterIdRecord {
                canister_id: target,
            }),
            target,
        );
        let store: Vec<ChunkHash> = dec(&store);
        assert_eq!(store, original.metadata.wasm_chunk_store);
        // The loaded canister runs: it takes updates again.
        sim.update_call(target, admin(), "set_heap", enc(9u64))
            .unwrap();
        assert_eq!(heap_value(&mut sim, target), 9);
    }
    // The history records the load with the snapshot's source.
    let info = canister_info(&mut sim, id, empty, 1);
    let Some(ChangeDetails::LoadSnapshot(load)) = &info.recent_changes.last().unwrap().details
    else {
        panic!("{:?}", info.recent_changes)
    };
    assert!(matches!(load.source, SnapshotSource::MetadataUpload(_)));
    assert_eq!(load.from_canister_id, None);
}

#[test]
fn an_incomplete_or_inconsistent_upload_does_not_load() {
    // Spec: load_canister_snapshot parses the snapshot's module and requires its globals to match
    // the module's.
    let (mut sim, id, taken) = probe_with_snapshot();
    let original = download(&mut sim, id, &taken);
    let metadata_only = sim
        .upload_canister_snapshot_metadata(Some(admin()), metadata_args(id, &original.metadata))
        .unwrap();
    let err = sim
        .load_canister_snapshot(id, Some(admin()), metadata_only)
        .unwrap_err();
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterInvalidWasm,
        "{}",
        err.message
    );

    let mut args = metadata_args(id, &original.metadata);
    args.globals.pop();
    let snapshot = sim
        .upload_canister_snapshot_metadata(Some(admin()), args)
        .unwrap();
    upload_data(
        &mut sim,
        id,
        &snapshot,
        SnapshotDataOffset::WasmModule { offset: 0 },
        original.module.clone(),
    )
    .unwrap();
    let err = sim
        .load_canister_snapshot(id, Some(admin()), snapshot)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::InvalidManagementPayload);
    assert_mentions(&err, "globals");
    // The canister kept its state.
    assert_eq!(heap_value(&mut sim, id), 42);
}

#[test]
fn only_controllers_upload_and_snapshot_visibility_decides_who_reads() {
    // Spec: snapshot_visibility governs read_canister_snapshot_metadata/data and
    // list_canister_snapshots; only controllers upload.
    let (mut sim, id, taken) = probe_with_snapshot();
    let viewer = Principal::from_slice(&[0x71, 0x01]);
    let read_metadata = |sim: &mut Sim, who: Principal| {
        sim.read_canister_snapshot_metadata(id, Some(who), taken.clone())
    };
    let read_data = |sim: &mut Sim, who: Principal| {
        let kind = SnapshotDataKind::WasmMemory { offset: 0, size: 8 };
        sim.read_canister_snapshot_data(id, Some(who), taken.clone(), kind)
    };
    let original = download(&mut sim, id, &taken);
    for err in [
        read_metadata(&mut sim, stranger()).map(|_| ()).unwrap_err(),
        read_data(&mut sim, stranger()).map(|_| ()).unwrap_err(),
        sim.list_canister_snapshots(id, Some(stranger()))
            .map(|_| ())
            .unwrap_err(),
        sim.upload_canister_snapshot_metadata(
            Some(stranger()),
            metadata_args(id, &original.metadata),
        )
        .map(|_| ())
        .unwrap_err(),
    ] {
        assert_invalid_controller(&err);
    }
    let uploaded = upload(&mut sim, id, &original);
    let args = UploadCanisterSnapshotDataArgs {
        canister_id: id,
        snapshot_id: uploaded,
        kind: SnapshotDataOffset::WasmMemory { offset: 0 },
        chunk: vec![1; 8],
    };
    let err = sim
        .upload_canister_snapshot_data(Some(stranger()), args)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);

    // Allowed viewers read (and list) but do not upload; others still cannot read.
    let visibility = |v| CanisterSettings {
        snapshot_visibility: Some(v),
        ..Default::default()
    };
    let viewers = SnapshotVisibility::AllowedViewers(vec![viewer]);
    sim.update_canister_settings(id, Some(admin()), visibility(viewers))
        .unwrap();
    assert_eq!(
        read_metadata(&mut sim, viewer).unwrap().wasm_memory_size,
        original.metadata.wasm_memory_size
    );
    assert_eq!(read_data(&mut sim, viewer).unwrap(), original.heap[..8]);
    assert_eq!(
        sim.list_canister_snapshots(id, Some(viewer)).unwrap().len(),
        2
    );
    let err = read_metadata(&mut sim, stranger()).unwrap_err();
    assert_mentions(&err, "allowed viewers");
    let err = sim
        .upload_canister_snapshot_metadata(Some(viewer), metadata_args(id, &original.metadata))
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterInvalidController);

    // Public: anyone reads.
    sim.update_canister_settings(id, Some(admin()), visibility(SnapshotVisibility::Public))
        .unwrap();
    assert_eq!(read_data(&mut sim, stranger()).unwrap(), original.heap[..8]);
}

#[test]
fn reads_and_uploads_outside_the_snapshot_are_refused_naming_the_problem() {
    // Spec: offset + size must not exceed the region's size in the metadata; chunks are read by
    // a hash the snapshot holds and uploaded at most 1 MiB each. The IC refuses reads of more
    // than 2,000,000 bytes (the reply limit).
    let (mut sim, id, taken) = probe_with_snapshot();
    let m = metadata(&mut sim, id, &taken);
    let mut read = |kind| {
        sim.read_canister_snapshot_data(id, Some(admin()), taken.clone(), kind)
            .unwrap_err()
    };
    let refused_reads = [
        (
            SnapshotDataKind::WasmModule {
                offset: m.wasm_module_size - 10,
                size: 11,
            },
            "wasm module",
        ),
        (
            SnapshotDataKind::WasmMemory {
                offset: m.wasm_memory_size,
                size: 1,
            },
            "wasm memory",
        ),
        (
            SnapshotDataKind::StableMemory {
                offset: 1,
                size: m.stable_memory_size,
            },
            "stable memory",
        ),
        (
            SnapshotDataKind::StableMemory {
                offset: u64::MAX,
                size: 2,
            },
            "stable memory",
        ),
        (
            SnapshotDataKind::WasmMemory {
                offset: 0,
                size: 2_000_001,
            },
            "too large",
        ),
        (
            SnapshotDataKind::WasmChunk { hash: vec![0; 32] },
            "no chunk with hash",
        ),
    ];
    for (kind, named) in refused_reads {
        let err = read(kind);
        assert_refused(&err, ErrorCode::InvalidManagementPayload, named);
    }
    let ok = sim
        .read_canister_snapshot_data(
            id,
            Some(admin()),
            taken.clone(),
            SnapshotDataKind::WasmMemory {
                offset: 0,
                size: 2_000_000,
            },
        )
        .unwrap();
    assert_eq!(ok.len(), 2_000_000, "a read of exactly the limit is served");

    let snapshot = sim
        .upload_canister_snapshot_metadata(Some(admin()), metadata_args(id, &m))
        .unwrap();
    let refused_uploads = [
        (
            SnapshotDataOffset::WasmModule {
                offset: m.wasm_module_size,
            },
            vec![0; 1],
            "wasm module",
        ),
        (
            SnapshotDataOffset::WasmMemory {
                offset: m.wasm_memory_size - 4,
            },
            vec![0; 5],
            "wasm memory",
        ),
        (
            SnapshotDataOffset::StableMemory { offset: u64::MAX },
            vec![0; 1],
            "stable memory",
        ),
        (
            SnapshotDataOffset::WasmChunk,
            vec![0; 1024 * 1024 + 1],
            "exceeds the maximum",
        ),
    ];
    for (kind, chunk, named) in refused_uploads {
        let err = upload_data(&mut sim, id, &snapshot, kind, chunk).unwrap_err();
        assert_refused(&err, ErrorCode::InvalidManagementPayload, named);
    }

    let mut bad_metadata = [
        metadata_args(id, &m),
        metadata_args(id, &m),
        metadata_args(id, &m),
    ];
    bad_metadata[0].wasm_memory_size += 1;
    bad_metadata[1].stable_memory_size = 100;
    bad_metadata[2].certified_data = vec![0; 33];
    for (args, named) in
        bad_metadata
            .into_iter()
            .zip(["wasm pages", "wasm pages", "certified data"])
    {
        let err = sim
            .upload_canister_snapshot_metadata(Some(admin()), args)
            .unwrap_err();
        assert_refused(&err, ErrorCode::InvalidManagementPayload, named);
    }
    let err = sim
        .read_canister_snapshot_metadata(id, Some(admin()), vec![9; 12])
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterSnapshotNotFound);
}

#[test]
fn data_upload_into_a_taken_snapshot_is_refused() {
    // Spec: upload_canister_snapshot_data fails for a snapshot made by take_canister_snapshot.
    let (mut sim, id, taken) = probe_with_snapshot();
    let err = upload_data(
        &mut sim,
        id,
        &taken,
        SnapshotDataOffset::WasmMemory { offset: 0 },
        vec![1; 8],
    )
    .unwrap_err();
    assert_refused(
        &err,
        ErrorCode::CanisterSnapshotImmutable,
        "metadata upload",
    );
}

#[test]
fn uploads_count_toward_the_snapshot_limit_and_replace_snapshot_makes_room() {
    // Spec: upload_canister_snapshot_metadata fails at MAX_SNAPSHOTS unless replace_snapshot
    // names an existing snapshot, which is deleted.
    let (mut sim, id, taken) = probe_with_snapshot();
    let m = metadata(&mut sim, id, &taken);
    for _ in 1..10 {
        sim.upload_canister_snapshot_metadata(Some(admin()), metadata_args(id, &m))
            .unwrap();
    }
    assert_eq!(
        sim.list_canister_snapshots(id, Some(admin()))
            .unwrap()
            .len(),
        10
    );
    let full = [
        sim.upload_canister_snapshot_metadata(Some(admin()), metadata_args(id, &m))
            .map(|_| ())
            .unwrap_err(),
        sim.take_canister_snapshot(id, Some(admin()), None)
            .map(|_| ())
            .unwrap_err(),
    ];
    for err in full {
        assert_refused(
            &err,
            ErrorCode::CanisterRejectedMessage,
            "maximum number of snapshots allowed: 10",
        );
    }
    let mut args = metadata_args(id, &m);
    args.replace_snapshot = Some(vec![1; 12]);
    let err = sim
        .upload_canister_snapshot_metadata(Some(admin()), args.clone())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterSnapshotNotFound);
    args.replace_snapshot = Some(taken.clone());
    let replacement = sim
        .upload_canister_snapshot_metadata(Some(admin()), args)
        .unwrap();
    let ids: Vec<Vec<u8>> = sim
        .list_canister_snapshots(id, Some(admin()))
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids.len(), 10);
    assert!(ids.contains(&replacement) && !ids.contains(&taken));
}

/// Uploads `download` onto `id` with the given timer and hook state; the new snapshot's id.
fn upload_with(
    sim: &mut Sim,
    id: Principal,
    download: &Download,
    global_timer: Option<CanisterTimer>,
    hook: Option<OnLowWasmMemoryHookStatus>,
) -> Vec<u8> {
    let mut metadata = download.metadata.clone();
    metadata.global_timer = global_timer;
    metadata.on_low_wasm_memory_hook_status = hook;
    let with_state = Download {
        metadata,
        module: download.module.clone(),
        heap: download.heap.clone(),
        stable: download.stable.clone(),
        chunks: download.chunks.clone(),
    };
    upload(sim, id, &with_state)
}

/// The canister's global timer, as a fresh snapshot's metadata shows it.
fn global_timer(sim: &mut Sim, id: Principal) -> Option<CanisterTimer> {
    let snapshot = sim.take_canister_snapshot(id, Some(admin()), None).unwrap();
    let m = metadata(sim, id, &snapshot.id);
    sim.delete_canister_snapshot(id, Some(admin()), snapshot.id)
        .unwrap();
    m.global_timer
}

#[test]
fn an_uploaded_timer_and_hook_state_apply_on_load_and_must_match_the_canister() {
    // Spec: an uploaded global timer / hook status replaces the canister's on load, an absent one
    // leaves it; a hook status contradicting the hook's condition on the canister is refused.
    let (mut sim, id, taken) = probe_with_snapshot();
    let original = download(&mut sim, id, &taken);
    let at = 4_000_000_000_000_000_000;
    let with_timer = upload_with(
        &mut sim,
        id,
        &original,
        Some(CanisterTimer::Active(at)),
        None,
    );
    sim.load_canister_snapshot(id, Some(admin()), with_timer)
        .unwrap();
    assert!(matches!(global_timer(&mut sim, id), Some(CanisterTimer::Active(t)) if t == at));
    let without = upload_with(&mut sim, id, &original, None, None);
    sim.load_canister_snapshot(id, Some(admin()), without)
        .unwrap();
    assert!(
        matches!(global_timer(&mut sim, id), Some(CanisterTimer::Active(t)) if t == at),
        "a snapshot without a timer keeps the canister's"
    );

    // The probe has no wasm_memory_threshold: the hook's condition does not hold.
    let ready = Some(OnLowWasmMemoryHookStatus::Ready);
    let contradicting = upload_with(&mut sim, id, &original, None, ready);
    let err = sim
        .load_canister_snapshot(id, Some(admin()), contradicting)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::InvalidManagementPayload);
    assert_mentions(&err, "on_low_wasm_memory_hook_status");
}
