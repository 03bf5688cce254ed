//! Snapshot download and upload through the PocketIC REST front: the `pocket-ic` 16 client's
//! typed snapshot methods and Candid-encoded calls of the data methods reach the engine through
//! the server's ordinary update and query routes.

use candid::{CandidType, Principal};
use ic_sim::management_types::{
    ReadCanisterSnapshotDataArgs, ReadCanisterSnapshotDataResult, ReadCanisterSnapshotMetadataArgs,
    ReadCanisterSnapshotMetadataResult, SnapshotDataKind, SnapshotDataOffset,
    UploadCanisterSnapshotDataArgs, UploadCanisterSnapshotMetadataArgs,
    UploadCanisterSnapshotMetadataResult,
};
use pocket_ic::common::rest::RawEffectivePrincipal;
use pocket_ic::{ErrorCode, PocketIc, PocketIcBuilder, RejectResponse};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// Bytes per read and upload.
const PIECE: u64 = 1_000_000;

fn admin() -> Principal {
    Principal::from_slice(&[0xad, 0x01])
}

fn probe_wasm() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/canisters/sim-test-probe.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nRun `bash scripts/build-canisters.sh` first.",
            path.display()
        )
    })
}

/// A PocketIC client on this package's `ic-sim-server` binary.
fn pocket_ic() -> PocketIc {
    PocketIcBuilder::new()
        .with_server_binary(PathBuf::from(env!("CARGO_BIN_EXE_ic-sim-server")))
        .with_application_subnet()
        .build()
}

/// Calls management `method` about canister `id` (its effective canister id) as `sender`.
fn management<A: CandidType, R: CandidType + DeserializeOwned>(
    pic: &PocketIc,
    sender: Principal,
    id: Principal,
    method: &str,
    arg: &A,
) -> Result<R, RejectResponse> {
    let reply = pic.update_call_with_effective_principal(
        Principal::management_canister(),
        RawEffectivePrincipal::CanisterId(id.as_slice().to_vec()),
        sender,
        method,
        candid::encode_one(arg).unwrap(),
    )?;
    Ok(candid::decode_one(&reply).unwrap())
}

fn read(pic: &PocketIc, id: Principal, snapshot: &[u8], kind: SnapshotDataKind) -> Vec<u8> {
    let args = ReadCanisterSnapshotDataArgs {
        canister_id: id,
        snapshot_id: snapshot.to_vec(),
        kind,
    };
    let r: ReadCanisterSnapshotDataResult =
        management(pic, admin(), id, "read_canister_snapshot_data", &args).unwrap();
    r.chunk
}

/// Reads a whole region of `size` bytes in pieces.
fn read_region(
    pic: &PocketIc,
    id: Principal,
    snapshot: &[u8],
    size: u64,
    kind: fn(u64, u64) -> SnapshotDataKind,
) -> Vec<u8> {
    (0..size)
        .step_by(PIECE as usize)
        .flat_map(|offset| read(pic, id, snapshot, kind(offset, PIECE.min(size - offset))))
        .collect()
}

fn upload(
    pic: &PocketIc,
    id: Principal,
    snapshot: &[u8],
    bytes: &[u8],
    kind: fn(u64) -> SnapshotDataOffset,
) {
    for (i, piece) in bytes.chunks(PIECE as usize).enumerate() {
        let args = UploadCanisterSnapshotDataArgs {
            canister_id: id,
            snapshot_id: snapshot.to_vec(),
            kind: kind(i as u64 * PIECE),
            chunk: piece.to_vec(),
        };
        let () = management(pic, admin(), id, "upload_canister_snapshot_data", &args).unwrap();
    }
}

fn heap_value(pic: &PocketIc, id: Principal) -> u64 {
    let reply = pic
        .query_call(id, admin(), "get_heap", candid::encode_one(()).unwrap())
        .unwrap();
    candid::decode_one(&reply).unwrap()
}

#[test]
fn a_snapshot_downloads_uploads_and_loads_through_the_rest_front() {
    let pic = pocket_ic();
    let id = pic.create_canister_with_settings(Some(admin()), None);
    pic.add_cycles(id, 10_000_000_000_000);
    pic.install_canister(
        id,
        probe_wasm(),
        candid::encode_one(()).unwrap(),
        Some(admin()),
    );
    let set_heap = |v: u64| {
        pic.update_call(id, admin(), "set_heap", candid::encode_one(v).unwrap())
            .unwrap()
    };
    set_heap(42);
    let taken = pic.take_canister_snapshot(id, Some(admin()), None).unwrap();

    let args = ReadCanisterSnapshotMetadataArgs {
        canister_id: id,
        snapshot_id: taken.id.clone(),
    };
    let m: ReadCanisterSnapshotMetadataResult =
        management(&pic, admin(), id, "read_canister_snapshot_metadata", &args).unwrap();
    let module = read_region(&pic, id, &taken.id, m.wasm_module_size, |offset, size| {
        SnapshotDataKind::WasmModule { offset, size }
    });
    let heap = read_region(&pic, id, &taken.id, m.wasm_memory_size, |offset, size| {
        SnapshotDataKind::WasmMemory { offset, size }
    });
    let stable = read_region(&pic, id, &taken.id, m.stable_memory_size, |offset, size| {
        SnapshotDataKind::StableMemory { offset, size }
    });
    assert_eq!(module, probe_wasm());

    // A stranger is refused, with the engine's error code.
    let stranger = Principal::from_slice(&[0x5e, 0x03]);
    let err = management::<_, ReadCanisterSnapshotMetadataResult>(
        &pic,
        stranger,
        id,
        "read_canister_snapshot_metadata",
        &args,
    )
    .unwrap_err();
    assert_eq!(
        err.error_code,
        ErrorCode::CanisterInvalidController,
        "{}",
        err.reject_message
    );

    set_heap(7);
    let metadata = UploadCanisterSnapshotMetadataArgs {
        canister_id: id,
        replace_snapshot: None,
        wasm_module_size: m.wasm_module_size,
        globals: m.globals.iter().map(|g| g.clone().unwrap()).collect(),
        wasm_memory_size: m.wasm_memory_size,
        stable_memory_size: m.stable_memory_size,
        certified_data: m.certified_data.clone(),
        global_timer: m.global_timer.clone(),
        on_low_wasm_memory_hook_status: m.on_low_wasm_memory_hook_status.clone(),
    };
    let uploaded: UploadCanisterSnapshotMetadataResult = management(
        &pic,
        admin(),
        id,
        "upload_canister_snapshot_metadata",
        &metadata,
    )
    .unwrap();
    let snapshot = uploaded.snapshot_id;
    upload(&pic, id, &snapshot, &module, |offset| {
        SnapshotDataOffset::WasmModule { offset }
    });
    upload(&pic, id, &snapshot, &heap, |offset| {
        SnapshotDataOffset::WasmMemory { offset }
    });
    upload(&pic, id, &snapshot, &stable, |offset| {
        SnapshotDataOffset::StableMemory { offset }
    });
    assert_eq!(
        pic.list_canister_snapshots(id, Some(admin()))
            .unwrap()
            .len(),
        2
    );

    pic.load_canister_snapshot(id, Some(admin()), snapshot)
        .unwrap();
    assert_eq!(heap_value(&pic, id), 42);
    let status = pic.canister_status(id, Some(admin())).unwrap();
    assert_eq!(
        status.module_hash.unwrap(),
        ic_sim::wasm::module_cache::sha256(&probe_wasm()).to_vec()
    );
}
