//! `dfx canister snapshot create` and `download`, as dfx runs them: a snapshot of a stopped
//! canister; a snapshot's files in an empty directory, in dfx's layout (`metadata.json`,
//! `wasm_module.bin`, `wasm_memory.bin`, `stable_memory.bin` when not empty, and
//! `wasm_chunk_store/<hash>.bin`), read in slices of at most 2,000,000 bytes.

use super::dfx::hex;
use super::options::Options;
use super::replica::Replica;
use super::{Fatal, Session};
use candid::{CandidType, Principal};
use ic_management_canister_types::{
    ReadCanisterSnapshotDataArgs, ReadCanisterSnapshotDataResult, ReadCanisterSnapshotMetadataArgs,
    ReadCanisterSnapshotMetadataResult, Snapshot, SnapshotDataKind, TakeCanisterSnapshotArgs,
};
use std::path::Path;

/// Largest slice one `read_canister_snapshot_data` asks for (dfx's).
const SLICE_BYTES: u64 = 2_000_000;

impl Session {
    pub(super) fn dfx_snapshot(&mut self, args: &[&str]) -> Result<String, Fatal> {
        match args {
            ["create", rest @ ..] => {
                let name = Options::parse(rest, &[])?.positional(1)?[0];
                let canister = self.target(name)?;
                let Some(replica) = self.replica()? else {
                    return Ok(String::new());
                };
                if !replica.is_stopped(canister).map_err(Fatal::Failed)? {
                    return Err(Fatal::Failed(format!(
                        "Canister {name} is running and snapshots should not be taken of running canisters. Run `dfx canister stop` first"
                    )));
                }
                let args = TakeCanisterSnapshotArgs {
                    canister_id: canister,
                    replace_snapshot: None,
                    uninstall_code: None,
                    sender_canister_version: None,
                };
                let snapshot: Snapshot =
                    management(replica, canister, "take_canister_snapshot", args)?;
                Ok(format!(
                    "Created a new snapshot of canister {name}. Snapshot ID: {}",
                    hex(&snapshot.id)
                ))
            }
            ["download", rest @ ..] => {
                let opts = Options::parse(rest, &[("--dir", true)])?;
                let [name, id] = opts.positional(2)?[..] else {
                    unreachable!("two positionals")
                };
                let dir = opts.value("--dir").ok_or_else(|| {
                    Fatal::script(
                        "usage: dfx canister snapshot download CANISTER SNAPSHOT --dir DIR",
                    )
                })?;
                let snapshot_id = unhex(id)
                    .ok_or_else(|| Fatal::Failed(format!("`{id}` is not a snapshot id (hex)")))?;
                let canister = self.target(name)?;
                let dir = self.path(dir);
                let empty = std::fs::read_dir(&dir).map(|mut entries| entries.next().is_none());
                match empty {
                    Ok(true) => {}
                    Ok(false) => return Err(Fatal::Failed(format!(
                        "Directory '{}' is not empty (to resume an aborted download, use `--resume`)",
                        dir.display()
                    ))),
                    Err(e) => return Err(Fatal::Failed(format!("{}: {e}", dir.display()))),
                }
                let Some(replica) = self.replica()? else {
                    return Ok(String::new());
                };
                download(replica, canister, snapshot_id, &dir)?;
                Ok(format!(
                    "Snapshot {id} in canister {name} saved to '{}'",
                    dir.display()
                ))
            }
            _ => Err(Fatal::script(format!(
                "`dfx canister snapshot {}` is not supported by the walkthrough interpreter",
                args.join(" ")
            ))),
        }
    }
}

/// Writes snapshot `snapshot_id` of `canister` into `dir` in dfx's layout.
fn download(
    replica: &Replica,
    canister: Principal,
    snapshot_id: Vec<u8>,
    dir: &Path,
) -> Result<(), Fatal> {
    let metadata: ReadCanisterSnapshotMetadataResult = management(
        replica,
        canister,
        "read_canister_snapshot_metadata",
        ReadCanisterSnapshotMetadataArgs {
            canister_id: canister,
            snapshot_id: snapshot_id.clone(),
        },
    )?;
    let json = serde_json::to_string_pretty(&metadata).expect("metadata serialises");
    write(&dir.join("metadata.json"), json.as_bytes())?;
    let read = |kind: SnapshotDataKind| -> Result<Vec<u8>, Fatal> {
        let reply: ReadCanisterSnapshotDataResult = management(
            replica,
            canister,
            "read_canister_snapshot_data",
            ReadCanisterSnapshotDataArgs {
                canister_id: canister,
                snapshot_id: snapshot_id.clone(),
                kind,
            },
        )?;
        Ok(reply.chunk)
    };
    type Slice = fn(u64, u64) -> SnapshotDataKind;
    let memories: [(&str, u64, Slice); 3] = [
        (
            "wasm_module.bin",
            metadata.wasm_module_size,
            |offset, size| SnapshotDataKind::WasmModule { offset, size },
        ),
        (
            "wasm_memory.bin",
            metadata.wasm_memory_size,
            |offset, size| SnapshotDataKind::WasmMemory { offset, size },
        ),
        (
            "stable_memory.bin",
            metadata.stable_memory_size,
            |offset, size| SnapshotDataKind::StableMemory { offset, size },
        ),
    ];
    for (file, total, slice) in memories {
        if file == "stable_memory.bin" && total == 0 {
            continue;
        }
        let mut bytes = Vec::with_capacity(total as usize);
        for offset in (0..total).step_by(SLICE_BYTES as usize) {
            bytes.extend(read(slice(offset, SLICE_BYTES.min(total - offset)))?);
        }
        write(&dir.join(file), &bytes)?;
    }
    if !metadata.wasm_chunk_store.is_empty() {
        let chunks = dir.join("wasm_chunk_store");
        std::fs::create_dir(&chunks)
            .map_err(|e| Fatal::Failed(format!("{}: {e}", chunks.display())))?;
        for chunk in metadata.wasm_chunk_store {
            let bytes = read(SnapshotDataKind::WasmChunk {
                hash: chunk.hash.clone(),
            })?;
            write(&chunks.join(format!("{}.bin", hex(&chunk.hash))), &bytes)?;
        }
    }
    Ok(())
}

/// Calls management `method` about `canister` with `args`; its decoded reply.
fn management<A: CandidType, R: CandidType + serde::de::DeserializeOwned>(
    replica: &Replica,
    canister: Principal,
    method: &str,
    args: A,
) -> Result<R, Fatal> {
    let payload = candid::encode_one(args).expect("management arguments encode");
    let reply = replica
        .management(canister, method, payload)
        .map_err(Fatal::Failed)?;
    candid::decode_one(&reply).map_err(|e| Fatal::Failed(format!("{method} reply: {e}")))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Fatal> {
    std::fs::write(path, bytes).map_err(|e| Fatal::Failed(format!("{}: {e}", path.display())))
}

/// The bytes of hex text.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
