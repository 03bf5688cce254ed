//! Golden bytes of every record the SDK keeps in stable memory: the config cell, the dedupe
//! window's keys and values, the error log's entries, the completed-task keys and the
//! maintenance cell, plus the header of the SDK's own memory manager.

use std::borrow::Cow;
use std::fmt::Debug;

use candid::Principal;
use ic_stable_structures::memory_manager::VirtualMemory;
use ic_stable_structures::{Memory, Storable, VectorMemory};

use super::golden_bytes;
use crate::error_log::{fingerprint, StoredRecord};
use crate::events::ErrorSource;
use crate::memory::layout;
use crate::store::{Config, Store, StoredMaintenance};
use crate::types::{ErrorRecord, Maintenance};

/// Checks that `value` encodes to the checked-in bytes of `name` and that they decode to it.
fn assert_pinned<T: Storable + PartialEq + Debug>(name: &str, value: T) {
    let golden = golden_bytes(&format!("{name}.golden"), || value.to_bytes().into_owned());
    assert_eq!(
        value.to_bytes().as_ref(),
        golden.as_slice(),
        "{name}: the encoding changed, so an upgraded canister would misread what it stored"
    );
    assert_eq!(
        T::from_bytes(Cow::Owned(golden)),
        value,
        "{name}: the pinned bytes no longer decode to the same value"
    );
}

fn monitor() -> Principal {
    Principal::from_slice(&[0xab; 29])
}

#[test]
fn config_cell_is_pinned() {
    assert_pinned(
        "config",
        Config {
            monitors: vec![monitor(), Principal::from_slice(&[1, 2, 3])],
            next_local_event_id: 7,
            hooks_handled: 300,
            duplicates_dropped: 2,
        },
    );
}

#[test]
fn dedupe_window_records_are_pinned() {
    assert_pinned("seen_key", (monitor(), 42u64));
    assert_pinned("seen_entry", (5u64, 1u8));
    assert_pinned("seen_seq", 5u64);
}

#[test]
fn error_log_records_are_pinned() {
    let record = |source, reject_code| ErrorRecord {
        seq: 3,
        source,
        message: "poison job value 1666".into(),
        reject_code,
        first_at_ns: 1_000,
        last_at_ns: 2_000,
        count: 4,
    };
    let sources = [
        ("timer", ErrorSource::Timer("process".into()), Some(5)),
        ("heartbeat", ErrorSource::Heartbeat, Some(5)),
        ("init_task", ErrorSource::InitTask("migrate".into()), None),
        ("hook", ErrorSource::Hook("on_error".into()), Some(4)),
        ("system", ErrorSource::System("frozen".into()), None),
    ];
    let mut fingerprints = Vec::new();
    for (name, source, code) in sources {
        fingerprints.extend(fingerprint(&source, "poison job value 1666", code).to_le_bytes());
        assert_pinned(
            &format!("error_record_{name}"),
            StoredRecord(record(source, code)),
        );
    }
    assert_eq!(
        fingerprints,
        golden_bytes("error_fingerprints.golden", || fingerprints.clone()),
        "the repeat index's keys changed: repeats of failures logged before an upgrade would not fold"
    );
}

#[test]
fn completed_task_key_is_pinned() {
    assert_pinned("completed_task", "migrate".to_string());
}

#[test]
fn maintenance_cell_is_pinned() {
    assert_pinned(
        "maintenance",
        StoredMaintenance(Some(Maintenance {
            reason: "upgrade to v2".into(),
            until_ns: 1_795_995_605_000_000_000,
            since_ns: 1_795_995_365_000_000_000,
            entered_by: monitor(),
        })),
    );
    assert_pinned("maintenance_left", StoredMaintenance(None));
}

#[test]
fn layout_header_is_pinned() {
    assert_header_pinned("layout_header.golden", |_| {});
}

#[test]
fn layout_header_with_the_maintenance_cell_is_pinned() {
    assert_header_pinned("layout_header_maintenance.golden", |store| {
        store.set_maintenance(Some(Maintenance {
            reason: "r".into(),
            until_ns: 2,
            since_ns: 1,
            entered_by: monitor(),
        }))
    });
}

/// Checks the SDK manager's header after opening a fresh store and running `write` on it.
fn assert_header_pinned(name: &str, write: impl FnOnce(&mut Store<VirtualMemory<VectorMemory>>)) {
    let memory = VectorMemory::default();
    write(&mut Store::init(layout(memory.clone())));
    let mut header = vec![0; 64 * 1024];
    memory.read(0, &mut header);
    let golden = golden_bytes(name, || header.clone());
    let first_difference = header.iter().zip(&golden).position(|(a, b)| a != b);
    assert!(
        header.len() == golden.len() && first_difference.is_none(),
        "the SDK's own memory manager header changed at byte {first_difference:?} \
         (bucket size, inner ids or the order they are created in)"
    );
}
