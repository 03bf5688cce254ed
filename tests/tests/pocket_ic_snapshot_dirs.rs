//! The `pocket-ic` client's snapshot directories (`canister_snapshot_download` /
//! `canister_snapshot_upload`) against the server `POCKET_IC_BIN` names: a snapshot written to
//! files in the PocketIC server's layout comes back as a new snapshot that restores the state.

use candid::{decode_one, encode_args, encode_one, Principal};
use integration_tests::canister_wasm;
use pocket_ic::PocketIc;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

const INSTALL_CYCLES: u128 = 2_000_000_000_000;

/// A wasm chunk the canister keeps in its chunk store.
const CHUNK: &[u8] = b"a chunk the snapshot carries";

/// A folder under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "ic-sim-snapshot-dirs-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The probe on a fresh instance, controlled by the anonymous principal, with state in its heap
/// (the counter at 3), its stable memory ("saved" at 0) and its chunk store (`CHUNK`).
struct Probe {
    pic: PocketIc,
    id: Principal,
}

impl Probe {
    fn with_state() -> Probe {
        let pic = PocketIc::new();
        let id = pic.create_canister();
        pic.add_cycles(id, INSTALL_CYCLES);
        let wasm = canister_wasm("test-probe");
        pic.install_canister(id, wasm, encode_one(Some("")).unwrap(), None);
        let probe = Probe { pic, id };
        for _ in 0..3 {
            probe.update("inc", encode_args(()).unwrap());
        }
        probe.update("stable_write", encode_args((0u64, &b"saved"[..])).unwrap());
        probe.pic.upload_chunk(id, None, CHUNK.to_vec()).unwrap();
        probe
    }

    fn update(&self, method: &str, arg: Vec<u8>) -> Vec<u8> {
        self.pic
            .update_call(self.id, Principal::anonymous(), method, arg)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    fn counter(&self) -> u64 {
        let reply = self
            .pic
            .query_call(
                self.id,
                Principal::anonymous(),
                "get",
                encode_args(()).unwrap(),
            )
            .unwrap();
        decode_one(&reply).unwrap()
    }

    fn stable_start(&self) -> Vec<u8> {
        let arg = encode_args((0u64, 5u64)).unwrap();
        let reply = self
            .pic
            .query_call(self.id, Principal::anonymous(), "stable_read", arg)
            .unwrap();
        decode_one(&reply).unwrap()
    }

    /// Takes a snapshot of the stopped canister and starts it again; returns the snapshot's id.
    fn take_snapshot(&self) -> Vec<u8> {
        self.pic.stop_canister(self.id, None).unwrap();
        let snapshot = self
            .pic
            .take_canister_snapshot(self.id, None, None)
            .unwrap();
        self.pic.start_canister(self.id, None).unwrap();
        snapshot.id
    }

    fn download(&self, sender: Principal, snapshot_id: Vec<u8>, dir: &Path) {
        self.pic
            .canister_snapshot_download(self.id, sender, snapshot_id, dir.to_path_buf());
    }
}

/// The files under `dir` (paths relative to it, `/`-separated), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn visit(dir: &Path, prefix: &str, files: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                visit(&entry.path(), &format!("{name}/"), files);
            } else {
                files.push(name);
            }
        }
    }
    let mut files = Vec::new();
    if dir.exists() {
        visit(dir, "", &mut files);
    }
    files.sort();
    files
}

/// The message of the error the server answered `request` with (the client panics with it).
fn refusal(request: impl FnOnce()) -> String {
    let panic = catch_unwind(AssertUnwindSafe(request)).expect_err("the server refuses");
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_downloaded_snapshot_uploads_as_a_new_snapshot_that_restores_the_state() {
    let probe = Probe::with_state();
    let (pic, canister) = (&probe.pic, probe.id);
    let taken = probe.take_snapshot();
    let root = TempDir::new("roundtrip");
    let downloaded = root.0.join("downloaded");

    probe.download(Principal::anonymous(), taken.clone(), &downloaded);

    let chunk_hash = pic.stored_chunks(canister, None).unwrap().remove(0);
    let chunk_file = format!("wasm_chunk_store/{}.bin", hex::encode(&chunk_hash));
    let mut expected_files = vec![
        "metadata.json".to_string(),
        "stable_memory.bin".to_string(),
        chunk_file.clone(),
        "wasm_memory.bin".to_string(),
        "wasm_module.bin".to_string(),
    ];
    expected_files.sort();
    assert_eq!(files_under(&downloaded), expected_files);
    let read = |file: &str| std::fs::read(downloaded.join(file)).unwrap();
    assert_eq!(read("wasm_module.bin"), canister_wasm("test-probe"));
    assert_eq!(read(&chunk_file), CHUNK);
    let stable = read("stable_memory.bin");
    assert_eq!(&stable[..5], b"saved");
    assert_eq!(stable.len() % 65536, 0, "stable memory is whole pages");
    let metadata: serde_json::Value = serde_json::from_slice(&read("metadata.json")).unwrap();
    assert_eq!(
        metadata["source"],
        serde_json::json!({"taken_from_canister": null})
    );
    assert_eq!(metadata["wasm_module_size"], read("wasm_module.bin").len());
    assert_eq!(metadata["wasm_memory_size"], read("wasm_memory.bin").len());
    assert_eq!(metadata["stable_memory_size"], stable.len());
    assert_eq!(metadata["global_timer"], "inactive");

    probe.update("inc", encode_args(()).unwrap());
    probe.update("stable_write", encode_args((0u64, &b"later"[..])).unwrap());
    pic.clear_chunk_store(canister, None).unwrap();
    assert_eq!(
        (probe.counter(), probe.stable_start()),
        (4, b"later".to_vec())
    );

    let uploaded =
        pic.canister_snapshot_upload(canister, Principal::anonymous(), None, downloaded.clone());
    assert_ne!(uploaded, taken);
    assert_eq!(
        pic.list_canister_snapshots(canister, None).unwrap().len(),
        2
    );
    pic.stop_canister(canister, None).unwrap();
    pic.load_canister_snapshot(canister, None, uploaded.clone())
        .unwrap();
    pic.start_canister(canister, None).unwrap();
    assert_eq!(
        (probe.counter(), probe.stable_start()),
        (3, b"saved".to_vec())
    );
    assert_eq!(pic.stored_chunks(canister, None).unwrap(), vec![chunk_hash]);

    // The uploaded snapshot downloads to the same files; its metadata differs only in how and
    // when it was made.
    let again = root.0.join("again");
    probe.download(Principal::anonymous(), uploaded, &again);
    assert_eq!(files_under(&again), expected_files);
    for file in &expected_files {
        let (first, second) = (read(file), std::fs::read(again.join(file)).unwrap());
        if file != "metadata.json" {
            assert!(first == second, "{file} differs");
        }
    }
    let mut metadata_again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        metadata_again["source"],
        serde_json::json!({"metadata_upload": null})
    );
    for field in ["source", "taken_at_timestamp", "canister_version"] {
        metadata_again[field] = metadata[field].clone();
    }
    assert_eq!(metadata_again, metadata);
}

#[test]
fn an_upload_can_replace_a_snapshot() {
    let probe = Probe::with_state();
    let (pic, canister) = (&probe.pic, probe.id);
    let taken = probe.take_snapshot();
    let dir = TempDir::new("replace");
    probe.download(Principal::anonymous(), taken.clone(), &dir.0);

    let uploaded =
        pic.canister_snapshot_upload(canister, Principal::anonymous(), Some(taken), dir.0.clone());

    let ids: Vec<Vec<u8>> = pic
        .list_canister_snapshots(canister, None)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec![uploaded]);
}

#[test]
fn a_non_controller_can_neither_download_nor_upload() {
    let probe = Probe::with_state();
    let (pic, canister) = (&probe.pic, probe.id);
    let taken = probe.take_snapshot();
    let stranger = Principal::self_authenticating(b"stranger");
    let root = TempDir::new("stranger");

    let message = refusal(|| probe.download(stranger, taken.clone(), &root.0.join("theirs")));
    assert!(message.contains("CanisterSnapshotError"), "{message}");
    assert!(message.contains("Only the controllers"), "{message}");
    assert!(files_under(&root.0.join("theirs")).is_empty());

    let ours = root.0.join("ours");
    probe.download(Principal::anonymous(), taken, &ours);
    let message = refusal(|| {
        pic.canister_snapshot_upload(canister, stranger, None, ours.clone());
    });
    assert!(message.contains("CanisterSnapshotError"), "{message}");
    assert!(message.contains("Only the controllers"), "{message}");
    assert_eq!(
        pic.list_canister_snapshots(canister, None).unwrap().len(),
        1
    );
}

#[test]
fn a_download_into_a_non_empty_directory_is_refused() {
    let probe = Probe::with_state();
    let taken = probe.take_snapshot();
    let dir = TempDir::new("non-empty");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("notes.txt"), b"mine").unwrap();

    let message = refusal(|| probe.download(Principal::anonymous(), taken, &dir.0));

    assert!(
        message
            .contains(r#"InvalidCanisterSnapshotDirectory(\"Snapshot directory is not empty\")"#),
        "{message}"
    );
    assert_eq!(files_under(&dir.0), vec!["notes.txt".to_string()]);
    assert_eq!(std::fs::read(dir.0.join("notes.txt")).unwrap(), b"mine");
}
