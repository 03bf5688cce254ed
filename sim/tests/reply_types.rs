//! Every reply of the management canister decodes with the newest published Candid types
//! (`ic-management-canister-types`, named here directly, not through the engine's re-export):
//! each method the engine implements is called once and its raw reply decoded with the crate's
//! result type.

mod common;

use candid::{CandidType, Principal};
use common::*;
use ic_management_canister_types as published;
use ic_sim::{Ingress, OutcallResponse, Sim, SimConfig};
use published::{
    CanisterIdRecord, CanisterInfoArgs, CanisterInfoResult, CanisterInstallMode,
    CanisterMetadataArgs, CanisterMetadataResult, CanisterSettings, CanisterStatusResult,
    ChunkHash, ClearChunkStoreArgs, CreateCanisterArgs, CreateCanisterResult,
    DeleteCanisterSnapshotArgs, FetchCanisterLogsArgs, FetchCanisterLogsResult, HttpRequestArgs,
    HttpRequestResult, InstallChunkedCodeArgs, InstallCodeArgs, ListCanisterSnapshotsResult,
    LoadCanisterSnapshotArgs, ProvisionalCreateCanisterWithCyclesArgs,
    ProvisionalCreateCanisterWithCyclesResult, ProvisionalTopUpCanisterArgs, RawRandResult,
    ReadCanisterSnapshotDataArgs, ReadCanisterSnapshotDataResult, ReadCanisterSnapshotMetadataArgs,
    ReadCanisterSnapshotMetadataResult, SnapshotDataKind, SnapshotDataOffset, StatusVisibility,
    StoredChunksResult, TakeCanisterSnapshotArgs, TakeCanisterSnapshotResult, UpdateSettingsArgs,
    UploadCanisterSnapshotDataArgs, UploadCanisterSnapshotMetadataArgs,
    UploadCanisterSnapshotMetadataResult, UploadChunkArgs, UploadChunkResult,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// A module with one heap page, one public and no other metadata.
const MODULE: &str = r#"(module (memory 1) (@custom "icp:public note" "hello"))"#;

/// Decodes a raw reply of `method` with the published result type `R`.
fn decode<R: CandidType + DeserializeOwned>(method: &str, bytes: &[u8]) -> R {
    candid::decode_one(bytes).unwrap_or_else(|e| {
        panic!("the reply of {method} does not decode with the published types: {e}")
    })
}

/// Calls management `method` by ingress as `admin()` and decodes its raw reply as `R`.
fn by_ingress<A: CandidType, R: CandidType + DeserializeOwned>(
    sim: &mut Sim,
    method: &str,
    arg: A,
    effective: Option<Principal>,
) -> R {
    let id = sim
        .submit_ingress(Ingress {
            sender: admin(),
            canister_id: Principal::management_canister(),
            method: method.into(),
            payload: enc(arg),
            effective_canister_id: effective,
        })
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    let bytes = sim
        .await_ingress(&id)
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    decode(method, &bytes)
}

/// Calls management `method` from `caller` (a canister) attaching `cycles`, and decodes its raw
/// reply as `R`.
fn by_canister<A: CandidType, R: CandidType + DeserializeOwned>(
    sim: &mut Sim,
    caller: Principal,
    method: &str,
    arg: A,
    cycles: u64,
) -> R {
    let call = submit_from_caller(
        sim,
        caller,
        Principal::management_canister(),
        method,
        enc(arg),
        cycles,
    );
    let out = await_caller(sim, &call);
    assert_eq!(
        out.reject_code,
        0,
        "{method}: {}",
        String::from_utf8_lossy(&out.data)
    );
    decode(method, &out.data)
}

#[test]
fn every_management_reply_decodes_with_the_newest_published_types() {
    let mut sim = Sim::new(SimConfig::default());
    let module = wat::parse_str(MODULE).unwrap();
    let by_id = |canister_id| CanisterIdRecord { canister_id };

    // Creation, settings, status, installation.
    let settings = CanisterSettings {
        controllers: Some(vec![admin()]),
        status_visibility: Some(StatusVisibility::Public),
        minimum_incoming_canister_call_cycles: Some(7u64.into()),
        ..Default::default()
    };
    let created: ProvisionalCreateCanisterWithCyclesResult = by_ingress(
        &mut sim,
        "provisional_create_canister_with_cycles",
        ProvisionalCreateCanisterWithCyclesArgs {
            amount: None,
            settings: Some(settings.clone()),
            specified_id: None,
            sender_canister_version: None,
        },
        None,
    );
    let id = created.canister_id;
    let () = by_ingress(
        &mut sim,
        "update_settings",
        UpdateSettingsArgs {
            canister_id: id,
            settings,
            sender_canister_version: None,
        },
        Some(id),
    );
    let () = by_ingress(
        &mut sim,
        "install_code",
        InstallCodeArgs {
            mode: CanisterInstallMode::Install,
            canister_id: id,
            wasm_module: module.clone(),
            arg: vec![],
            sender_canister_version: None,
        },
        Some(id),
    );
    let status: CanisterStatusResult = by_ingress(&mut sim, "canister_status", by_id(id), Some(id));
    assert_eq!(status.settings.status_visibility, StatusVisibility::Public);
    assert_eq!(status.settings.minimum_incoming_canister_call_cycles, 7u64);
    let () = by_ingress(
        &mut sim,
        "provisional_top_up_canister",
        ProvisionalTopUpCanisterArgs {
            canister_id: id,
            amount: 1_000u64.into(),
        },
        Some(id),
    );

    // Chunked installation.
    let hash: UploadChunkResult = by_ingress(
        &mut sim,
        "upload_chunk",
        UploadChunkArgs {
            canister_id: id,
            chunk: module.clone(),
        },
        Some(id),
    );
    let stored: StoredChunksResult = by_ingress(&mut sim, "stored_chunks", by_id(id), Some(id));
    assert_eq!(stored, vec![hash.clone()]);
    let () = by_ingress(
        &mut sim,
        "install_chunked_code",
        InstallChunkedCodeArgs {
            mode: CanisterInstallMode::Reinstall,
            target_canister: id,
            store_canister: None,
            chunk_hashes_list: vec![ChunkHash { hash: hash.hash }],
            wasm_module_hash: Sha256::digest(&module).to_vec(),
            arg: vec![],
            sender_canister_version: None,
        },
        Some(id),
    );
    let clear: ClearChunkStoreArgs = by_id(id);
    let () = by_ingress(&mut sim, "clear_chunk_store", clear, Some(id));

    // Snapshots: take, list, read, upload, load, delete.
    let () = by_ingress(&mut sim, "stop_canister", by_id(id), Some(id));
    let snapshot: TakeCanisterSnapshotResult = by_ingress(
        &mut sim,
        "take_canister_snapshot",
        TakeCanisterSnapshotArgs {
            canister_id: id,
            replace_snapshot: None,
            uninstall_code: None,
            sender_canister_version: None,
        },
        Some(id),
    );
    let listed: ListCanisterSnapshotsResult =
        by_ingress(&mut sim, "list_canister_snapshots", by_id(id), Some(id));
    assert_eq!(listed.len(), 1);
    let metadata: ReadCanisterSnapshotMetadataResult = by_ingress(
        &mut sim,
        "read_canister_snapshot_metadata",
        ReadCanisterSnapshotMetadataArgs {
            canister_id: id,
            snapshot_id: snapshot.id.clone(),
        },
        Some(id),
    );
    let data: ReadCanisterSnapshotDataResult = by_ingress(
        &mut sim,
        "read_canister_snapshot_data",
        ReadCanisterSnapshotDataArgs {
            canister_id: id,
            snapshot_id: snapshot.id.clone(),
            kind: SnapshotDataKind::WasmModule {
                offset: 0,
                size: metadata.wasm_module_size,
            },
        },
        Some(id),
    );
    assert_eq!(data.chunk, module);
    let uploaded: UploadCanisterSnapshotMetadataResult = by_ingress(
        &mut sim,
        "upload_canister_snapshot_metadata",
        UploadCanisterSnapshotMetadataArgs {
            canister_id: id,
            replace_snapshot: None,
            wasm_module_size: metadata.wasm_module_size,
            globals: vec![],
            wasm_memory_size: metadata.wasm_memory_size,
            stable_memory_size: metadata.stable_memory_size,
            certified_data: vec![],
            global_timer: None,
            on_low_wasm_memory_hook_status: None,
        },
        Some(id),
    );
    let () = by_ingress(
        &mut sim,
        "upload_canister_snapshot_data",
        UploadCanisterSnapshotDataArgs {
            canister_id: id,
            snapshot_id: uploaded.snapshot_id.clone(),
            kind: SnapshotDataOffset::WasmModule { offset: 0 },
            chunk: module.clone(),
        },
        Some(id),
    );
    let () = by_ingress(
        &mut sim,
        "load_canister_snapshot",
        LoadCanisterSnapshotArgs {
            canister_id: id,
            snapshot_id: snapshot.id.clone(),
            sender_canister_version: None,
        },
        Some(id),
    );
    for snapshot_id in [snapshot.id, uploaded.snapshot_id] {
        let () = by_ingress(
            &mut sim,
            "delete_canister_snapshot",
            DeleteCanisterSnapshotArgs {
                canister_id: id,
                snapshot_id,
            },
            Some(id),
        );
    }
    let () = by_ingress(&mut sim, "start_canister", by_id(id), Some(id));

    // Logs (a query).
    let logs = sim
        .query_call(
            Principal::management_canister(),
            admin(),
            "fetch_canister_logs",
            enc(FetchCanisterLogsArgs {
                canister_id: id,
                filter: None,
            }),
        )
        .unwrap();
    let _: FetchCanisterLogsResult = decode("fetch_canister_logs", &logs);

    // Methods only canisters call.
    let caller = add_caller(&mut sim);
    let info: CanisterInfoResult = by_canister(
        &mut sim,
        caller,
        "canister_info",
        CanisterInfoArgs {
            canister_id: id,
            num_requested_changes: Some(20),
        },
        0,
    );
    assert!(info.total_num_changes > 0);
    let note: CanisterMetadataResult = by_canister(
        &mut sim,
        caller,
        "canister_metadata",
        CanisterMetadataArgs {
            canister_id: id,
            name: "note".into(),
        },
        0,
    );
    assert_eq!(note.value, b"hello");
    let () = by_canister(&mut sim, caller, "deposit_cycles", by_id(id), 1_000);
    let random: RawRandResult = by_canister(&mut sim, caller, "raw_rand", (), 0);
    assert_eq!(random.len(), 32);
    let outcall = HttpRequestArgs {
        url: "https://example.com".into(),
        max_response_bytes: Some(100),
        ..Default::default()
    };
    let management = Principal::management_canister();
    let call = submit_from_caller(
        &mut sim,
        caller,
        management,
        "http_request",
        enc(outcall),
        1 << 40,
    );
    sim.tick();
    let pending = sim.pending_outcalls()[0].id;
    let response = OutcallResponse::reply(200, vec![], b"ok".to_vec());
    sim.answer_outcall(pending, response).unwrap();
    let out = await_caller(&mut sim, &call);
    assert_eq!(out.reject_code, 0, "{}", String::from_utf8_lossy(&out.data));
    let fetched: HttpRequestResult = decode("http_request", &out.data);
    assert_eq!(fetched.body, b"ok");
    let child: CreateCanisterResult = by_canister(
        &mut sim,
        caller,
        "create_canister",
        CreateCanisterArgs {
            settings: None,
            sender_canister_version: None,
        },
        1_000_000_000_000,
    );

    // Removal.
    let () = by_ingress(
        &mut sim,
        "uninstall_code",
        published::UninstallCodeArgs {
            canister_id: id,
            sender_canister_version: None,
        },
        Some(id),
    );
    let () = by_ingress(&mut sim, "stop_canister", by_id(id), Some(id));
    let () = by_ingress(&mut sim, "delete_canister", by_id(id), Some(id));
    assert_eq!(sim.controllers(child.canister_id).unwrap(), vec![caller]);
}
