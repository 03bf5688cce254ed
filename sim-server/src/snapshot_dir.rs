//! Snapshot directories (`canister_snapshot_download` / `canister_snapshot_upload`): a canister
//! snapshot as files, in the layout the PocketIC server (and `dfx canister snapshot`) use, moved
//! through the management canister's snapshot data methods as the request's sender.
//!
//! Layout: `metadata.json`, `wasm_module.bin`, `wasm_memory.bin`, `stable_memory.bin` (only when
//! stable memory is not empty) and `wasm_chunk_store/<hex hash>.bin` (one file per chunk; the
//! folder only when the chunk store is not empty).

use ic_sim::management_types::{
    CanisterTimer, ChunkHash, OnLowWasmMemoryHookStatus, ReadCanisterSnapshotMetadataResult,
    SnapshotDataKind, SnapshotDataOffset, SnapshotMetadataGlobal, SnapshotSource,
    UploadCanisterSnapshotDataArgs, UploadCanisterSnapshotMetadataArgs,
};
use ic_sim::{Principal, Sim};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The metadata file.
const METADATA_FILE: &str = "metadata.json";
/// The folder of the wasm chunk store's chunks.
const CHUNK_STORE_DIR: &str = "wasm_chunk_store";
/// Most bytes moved by one snapshot data read or upload (the IC's slice limit).
const PIECE_BYTES: u64 = 2_000_000;

/// Why a snapshot directory request failed. Displayed as the PocketIC server reports it
/// (`Variant("message")`), so clients that match on its messages see the same text.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotDirError {
    /// The download directory cannot be created, is not a directory, or is not empty.
    InvalidCanisterSnapshotDirectory(String),
    /// A snapshot method refused, or a file could not be read or written.
    CanisterSnapshotError(String),
}

impl fmt::Display for SnapshotDirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCanisterSnapshotDirectory(m) => {
                write!(f, "InvalidCanisterSnapshotDirectory({m:?})")
            }
            Self::CanisterSnapshotError(m) => write!(f, "CanisterSnapshotError({m:?})"),
        }
    }
}

fn snapshot_error(message: impl Into<String>) -> SnapshotDirError {
    SnapshotDirError::CanisterSnapshotError(message.into())
}

/// One of the snapshot's byte regions, each in its own file.
#[derive(Clone, Copy)]
enum Region {
    WasmModule,
    WasmMemory,
    StableMemory,
}

impl Region {
    fn file(self) -> &'static str {
        match self {
            Self::WasmModule => "wasm_module.bin",
            Self::WasmMemory => "wasm_memory.bin",
            Self::StableMemory => "stable_memory.bin",
        }
    }

    /// The name the PocketIC server's messages give the region's file.
    fn description(self) -> &'static str {
        match self {
            Self::WasmModule => "WASM module",
            Self::WasmMemory => "WASM memory",
            Self::StableMemory => "stable memory",
        }
    }

    fn read_kind(self, offset: u64, size: u64) -> SnapshotDataKind {
        match self {
            Self::WasmModule => SnapshotDataKind::WasmModule { offset, size },
            Self::WasmMemory => SnapshotDataKind::WasmMemory { offset, size },
            Self::StableMemory => SnapshotDataKind::StableMemory { offset, size },
        }
    }

    fn upload_kind(self, offset: u64) -> SnapshotDataOffset {
        match self {
            Self::WasmModule => SnapshotDataOffset::WasmModule { offset },
            Self::WasmMemory => SnapshotDataOffset::WasmMemory { offset },
            Self::StableMemory => SnapshotDataOffset::StableMemory { offset },
        }
    }
}

/// `metadata.json`: `read_canister_snapshot_metadata`'s record in the JSON the PocketIC server
/// writes (the replica's own metadata type through serde): lower-case variant tags, blobs as
/// arrays of bytes, a v128 global as a number, the source and every global always present.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct MetadataFile {
    source: SnapshotSource,
    taken_at_timestamp: u64,
    wasm_module_size: u64,
    globals: Vec<GlobalValue>,
    wasm_memory_size: u64,
    stable_memory_size: u64,
    wasm_chunk_store: Vec<ChunkHash>,
    canister_version: u64,
    certified_data: Vec<u8>,
    global_timer: Option<CanisterTimer>,
    on_low_wasm_memory_hook_status: Option<OnLowWasmMemoryHookStatus>,
}

/// A global's value in `metadata.json`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
enum GlobalValue {
    #[serde(rename = "i32")]
    I32(i32),
    #[serde(rename = "i64")]
    I64(i64),
    #[serde(rename = "f32")]
    F32(f32),
    #[serde(rename = "f64")]
    F64(f64),
    #[serde(rename = "v128")]
    V128(u128),
}

impl GlobalValue {
    fn from_metadata(
        index: usize,
        global: &Option<SnapshotMetadataGlobal>,
    ) -> Result<Self, String> {
        Ok(match global {
            Some(SnapshotMetadataGlobal::I32(v)) => Self::I32(*v),
            Some(SnapshotMetadataGlobal::I64(v)) => Self::I64(*v),
            Some(SnapshotMetadataGlobal::F32(v)) => Self::F32(*v),
            Some(SnapshotMetadataGlobal::F64(v)) => Self::F64(*v),
            Some(SnapshotMetadataGlobal::V128(v)) => Self::V128(
                u128::try_from(&v.0)
                    .map_err(|_| format!("Global {index} (v128) does not fit in 128 bits"))?,
            ),
            None => {
                return Err(format!(
                    "Global {index} holds a reference, which a snapshot directory cannot store"
                ))
            }
        })
    }

    fn to_metadata(self) -> SnapshotMetadataGlobal {
        match self {
            Self::I32(v) => SnapshotMetadataGlobal::I32(v),
            Self::I64(v) => SnapshotMetadataGlobal::I64(v),
            Self::F32(v) => SnapshotMetadataGlobal::F32(v),
            Self::F64(v) => SnapshotMetadataGlobal::F64(v),
            Self::V128(v) => SnapshotMetadataGlobal::V128(candid::Nat::from(v)),
        }
    }
}

impl MetadataFile {
    fn from_metadata(metadata: ReadCanisterSnapshotMetadataResult) -> Result<Self, String> {
        let globals = metadata
            .globals
            .iter()
            .enumerate()
            .map(|(i, g)| GlobalValue::from_metadata(i, g))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            source: metadata
                .source
                .ok_or("The snapshot's metadata does not say how it was created")?,
            taken_at_timestamp: metadata.taken_at_timestamp,
            wasm_module_size: metadata.wasm_module_size,
            globals,
            wasm_memory_size: metadata.wasm_memory_size,
            stable_memory_size: metadata.stable_memory_size,
            wasm_chunk_store: metadata.wasm_chunk_store,
            canister_version: metadata.canister_version,
            certified_data: metadata.certified_data,
            global_timer: metadata.global_timer,
            on_low_wasm_memory_hook_status: metadata.on_low_wasm_memory_hook_status,
        })
    }

    fn upload_args(
        &self,
        canister_id: Principal,
        replace_snapshot: Option<Vec<u8>>,
    ) -> UploadCanisterSnapshotMetadataArgs {
        UploadCanisterSnapshotMetadataArgs {
            canister_id,
            replace_snapshot,
            wasm_module_size: self.wasm_module_size,
            globals: self.globals.iter().map(|g| g.to_metadata()).collect(),
            wasm_memory_size: self.wasm_memory_size,
            stable_memory_size: self.stable_memory_size,
            certified_data: self.certified_data.clone(),
            global_timer: self.global_timer.clone(),
            on_low_wasm_memory_hook_status: self.on_low_wasm_memory_hook_status.clone(),
        }
    }

    fn region_size(&self, region: Region) -> u64 {
        match region {
            Region::WasmModule => self.wasm_module_size,
            Region::WasmMemory => self.wasm_memory_size,
            Region::StableMemory => self.stable_memory_size,
        }
    }
}

/// The regions a directory holds files for: stable memory only when it is not empty.
fn stored_regions(metadata: &MetadataFile) -> Vec<Region> {
    let mut regions = vec![Region::WasmModule, Region::WasmMemory];
    if metadata.stable_memory_size != 0 {
        regions.push(Region::StableMemory);
    }
    regions
}

fn chunk_file(dir: &Path, hash: &[u8]) -> PathBuf {
    dir.join(CHUNK_STORE_DIR)
        .join(format!("{}.bin", hex::encode(hash)))
}

/// Creates `dir` (and its parents) if needed and checks that it is an empty directory.
fn ensure_empty_dir(dir: &Path) -> Result<(), SnapshotDirError> {
    let invalid = SnapshotDirError::InvalidCanisterSnapshotDirectory;
    std::fs::create_dir_all(dir)
        .map_err(|e| invalid(format!("Could not create snapshot directory: {e}")))?;
    if !dir.is_dir() {
        return Err(invalid(
            "Snapshot directory path exists but is not a directory".into(),
        ));
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| invalid(format!("Could not read snapshot directory: {e}")))?;
    if entries.next().is_some() {
        return Err(invalid("Snapshot directory is not empty".into()));
    }
    Ok(())
}

/// Writes snapshot `snapshot_id` of `canister_id` into `dir`, which must be empty if it exists,
/// reading it as `sender` (who must be allowed to read the canister's snapshots).
pub fn download(
    sim: &mut Sim,
    canister_id: Principal,
    sender: Principal,
    snapshot_id: Vec<u8>,
    dir: &Path,
) -> Result<(), SnapshotDirError> {
    ensure_empty_dir(dir)?;
    let metadata = sim
        .read_canister_snapshot_metadata(canister_id, Some(sender), snapshot_id.clone())
        .map_err(|e| snapshot_error(e.message))?;
    let metadata = MetadataFile::from_metadata(metadata).map_err(snapshot_error)?;
    let json = serde_json::to_string_pretty(&metadata).expect("snapshot metadata serializes");
    std::fs::write(dir.join(METADATA_FILE), json)
        .map_err(|e| snapshot_error(format!("Could not write metadata file: {e}")))?;
    for region in stored_regions(&metadata) {
        let mut file = File::create(dir.join(region.file())).map_err(|e| {
            snapshot_error(format!(
                "Could not create {} file: {e}",
                region.description()
            ))
        })?;
        let size = metadata.region_size(region);
        for offset in (0..size).step_by(PIECE_BYTES as usize) {
            let kind = region.read_kind(offset, PIECE_BYTES.min(size - offset));
            let piece = sim
                .read_canister_snapshot_data(canister_id, Some(sender), snapshot_id.clone(), kind)
                .map_err(|e| snapshot_error(e.message))?;
            file.write_all(&piece).map_err(|e| {
                snapshot_error(format!(
                    "Could not write {} file: {e}",
                    region.description()
                ))
            })?;
        }
    }
    if !metadata.wasm_chunk_store.is_empty() {
        std::fs::create_dir(dir.join(CHUNK_STORE_DIR)).map_err(|e| {
            snapshot_error(format!("Could not create WASM chunk store directory: {e}"))
        })?;
    }
    for ChunkHash { hash } in &metadata.wasm_chunk_store {
        let kind = SnapshotDataKind::WasmChunk { hash: hash.clone() };
        let chunk = sim
            .read_canister_snapshot_data(canister_id, Some(sender), snapshot_id.clone(), kind)
            .map_err(|e| snapshot_error(e.message))?;
        std::fs::write(chunk_file(dir, hash), chunk)
            .map_err(|e| snapshot_error(format!("Could not write WASM chunk: {e}")))?;
    }
    Ok(())
}

/// Uploads the snapshot in `dir` to `canister_id` as `sender` (who must control it), replacing
/// `replace_snapshot` if given; returns the new snapshot's id. Files are read for the sizes
/// `metadata.json` declares; chunks are the ones it lists.
pub fn upload(
    sim: &mut Sim,
    canister_id: Principal,
    sender: Principal,
    replace_snapshot: Option<Vec<u8>>,
    dir: &Path,
) -> Result<Vec<u8>, SnapshotDirError> {
    let json = std::fs::read(dir.join(METADATA_FILE))
        .map_err(|e| snapshot_error(format!("Could not read metadata file: {e}")))?;
    let metadata: MetadataFile = serde_json::from_slice(&json)
        .map_err(|e| snapshot_error(format!("Could not parse metadata file: {e}")))?;
    let snapshot_id = sim
        .upload_canister_snapshot_metadata(
            Some(sender),
            metadata.upload_args(canister_id, replace_snapshot),
        )
        .map_err(|e| snapshot_error(e.message))?;
    let mut upload_piece = |kind: SnapshotDataOffset, chunk: Vec<u8>| {
        let args = UploadCanisterSnapshotDataArgs {
            canister_id,
            snapshot_id: snapshot_id.clone(),
            kind,
            chunk,
        };
        sim.upload_canister_snapshot_data(Some(sender), args)
            .map_err(|e| snapshot_error(e.message))
    };
    for region in stored_regions(&metadata) {
        let file_error = |action: &str, e: std::io::Error| {
            snapshot_error(format!(
                "Could not {action} {} file: {e}",
                region.description()
            ))
        };
        let mut file = File::open(dir.join(region.file())).map_err(|e| file_error("open", e))?;
        let size = metadata.region_size(region);
        for offset in (0..size).step_by(PIECE_BYTES as usize) {
            let mut piece = vec![0; PIECE_BYTES.min(size - offset) as usize];
            file.read_exact(&mut piece)
                .map_err(|e| file_error("read", e))?;
            upload_piece(region.upload_kind(offset), piece)?;
        }
    }
    for ChunkHash { hash } in &metadata.wasm_chunk_store {
        let chunk = std::fs::read(chunk_file(dir, hash))
            .map_err(|e| snapshot_error(format!("Could not read WASM chunk: {e}")))?;
        upload_piece(SnapshotDataOffset::WasmChunk, chunk)?;
    }
    Ok(snapshot_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{Nat, Reserved};

    /// Metadata with a value in every field.
    fn metadata() -> MetadataFile {
        MetadataFile {
            source: SnapshotSource::TakenFromCanister(Reserved),
            taken_at_timestamp: 1_700_000_000_000_000_000,
            wasm_module_size: 1234,
            globals: vec![
                GlobalValue::I32(-7),
                GlobalValue::I64(1 << 40),
                GlobalValue::F32(1.5),
                GlobalValue::F64(-0.25),
                GlobalValue::V128(u128::MAX),
            ],
            wasm_memory_size: 65536,
            stable_memory_size: 0,
            wasm_chunk_store: vec![ChunkHash {
                hash: vec![0xab, 0x01],
            }],
            canister_version: 4,
            certified_data: vec![1, 2],
            global_timer: Some(CanisterTimer::Active(99)),
            on_low_wasm_memory_hook_status: Some(OnLowWasmMemoryHookStatus::ConditionNotSatisfied),
        }
    }

    /// The PocketIC server's `metadata.json` for `metadata()`: field order, tags, blobs as byte
    /// arrays, a v128 as a number, two-space indentation, no final newline.
    const GOLDEN_METADATA: &str = r#"{
  "source": {
    "taken_from_canister": null
  },
  "taken_at_timestamp": 1700000000000000000,
  "wasm_module_size": 1234,
  "globals": [
    {
      "i32": -7
    },
    {
      "i64": 1099511627776
    },
    {
      "f32": 1.5
    },
    {
      "f64": -0.25
    },
    {
      "v128": 340282366920938463463374607431768211455
    }
  ],
  "wasm_memory_size": 65536,
  "stable_memory_size": 0,
  "wasm_chunk_store": [
    {
      "hash": [
        171,
        1
      ]
    }
  ],
  "canister_version": 4,
  "certified_data": [
    1,
    2
  ],
  "global_timer": {
    "active": 99
  },
  "on_low_wasm_memory_hook_status": "condition_not_satisfied"
}"#;

    #[test]
    fn metadata_json_has_the_pocket_ic_servers_layout() {
        let json = serde_json::to_string_pretty(&metadata()).unwrap();
        assert_eq!(json, GOLDEN_METADATA);
    }

    #[test]
    fn metadata_json_reads_back_into_the_same_upload() {
        let read: MetadataFile = serde_json::from_str(GOLDEN_METADATA).unwrap();
        let canister = Principal::from_slice(&[1]);
        let (expected, actual) = (
            metadata().upload_args(canister, None),
            read.upload_args(canister, None),
        );
        assert_eq!(
            candid::encode_one(expected).unwrap(),
            candid::encode_one(actual).unwrap()
        );
    }

    #[test]
    fn an_inactive_timer_and_an_uploaded_source_are_plain_tags() {
        let metadata = MetadataFile {
            source: SnapshotSource::MetadataUpload(Reserved),
            global_timer: Some(CanisterTimer::Inactive),
            on_low_wasm_memory_hook_status: None,
            // A `Value` holds no u128.
            globals: vec![GlobalValue::I32(1)],
            ..metadata()
        };
        let json: serde_json::Value = serde_json::to_value(&metadata).unwrap();
        assert_eq!(json["source"], serde_json::json!({"metadata_upload": null}));
        assert_eq!(json["global_timer"], "inactive");
        assert_eq!(
            json["on_low_wasm_memory_hook_status"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn engine_globals_convert_to_file_values_and_back() {
        let globals = [
            SnapshotMetadataGlobal::I32(3),
            SnapshotMetadataGlobal::V128(Nat::from(u128::MAX)),
        ];
        for (i, global) in globals.into_iter().enumerate() {
            let value = GlobalValue::from_metadata(i, &Some(global.clone())).unwrap();
            assert_eq!(
                candid::encode_one(value.to_metadata()).unwrap(),
                candid::encode_one(global).unwrap()
            );
        }
        let reference = GlobalValue::from_metadata(2, &None).unwrap_err();
        assert!(reference.contains("Global 2"), "{reference}");
    }

    #[test]
    fn errors_read_as_the_pocket_ic_server_reports_them() {
        let error = SnapshotDirError::InvalidCanisterSnapshotDirectory(
            "Snapshot directory is not empty".into(),
        );
        assert_eq!(
            error.to_string(),
            r#"InvalidCanisterSnapshotDirectory("Snapshot directory is not empty")"#
        );
        let error = snapshot_error("Only the controllers\nof X");
        assert_eq!(
            error.to_string(),
            r#"CanisterSnapshotError("Only the controllers\nof X")"#
        );
    }

    #[test]
    fn only_an_empty_directory_is_accepted_for_a_download() {
        let root = std::env::temp_dir().join(format!("ic-sim-snapshot-dir-{}", std::process::id()));
        let nested = root.join("a/b");
        assert_eq!(
            ensure_empty_dir(&nested),
            Ok(()),
            "missing folders are created"
        );
        std::fs::write(nested.join("x"), b"x").unwrap();
        assert_eq!(
            ensure_empty_dir(&nested),
            Err(SnapshotDirError::InvalidCanisterSnapshotDirectory(
                "Snapshot directory is not empty".into()
            ))
        );
        assert!(matches!(
            ensure_empty_dir(&nested.join("x")),
            Err(SnapshotDirError::InvalidCanisterSnapshotDirectory(_))
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
