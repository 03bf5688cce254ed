//! A whole SDK memory written by the pinned layout, with data in every structure, opened by the
//! current code as an upgraded canister would open it: everything must be found intact and keep
//! working (repeats fold, duplicates stay duplicates, in-progress ids are forgotten).

use std::cell::RefCell;
use std::rc::Rc;

use candid::Principal;
use ic_stable_structures::memory_manager::VirtualMemory;
use ic_stable_structures::{Memory, VectorMemory};

use super::golden_bytes;
use crate::dedupe::Delivery;
use crate::events::ErrorSource;
use crate::memory::layout;
use crate::store::{Config, Store};
use crate::types::{ErrorRecord, Maintenance};

const FIXTURE: &str = "sdk_memory.fixture";
const PAGE: usize = 64 * 1024;

fn monitor() -> Principal {
    Principal::from_slice(&[0xab; 29])
}

fn second_monitor() -> Principal {
    Principal::from_slice(&[1, 2, 3])
}

fn canister() -> Principal {
    Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
}

/// Writes what the fixture holds: monitors, counters, a completed and an in-progress event,
/// a locally raised one, folded and single failures of each source, a completed task.
fn fill(store: &mut Store<VirtualMemory<VectorMemory>>) {
    store
        .set_monitors(vec![monitor(), second_monitor()])
        .unwrap();
    for _ in 0..3 {
        store.next_local_event_id();
    }
    store.seen.begin(monitor(), 1);
    store.seen.complete(monitor(), 1);
    store.count_handled();
    store.seen.begin(monitor(), 1);
    store.count_duplicate();
    store.seen.begin(monitor(), 2);
    store.seen.begin(canister(), 0);
    store.seen.complete(canister(), 0);
    store.count_handled();
    let log = &mut store.errors;
    log.record(
        ErrorSource::Timer("process".into()),
        "poison job",
        Some(5),
        10,
    );
    log.record(ErrorSource::Heartbeat, "unarchivable", Some(5), 11);
    log.record(
        ErrorSource::Timer("process".into()),
        "poison job",
        Some(5),
        12,
    );
    log.record(ErrorSource::InitTask("migrate".into()), "not yet", None, 13);
    log.record(
        ErrorSource::Hook("on_error".into()),
        "handler trapped",
        Some(5),
        14,
    );
    log.record(
        ErrorSource::System("frozen".into()),
        "canister frozen",
        None,
        15,
    );
    store.mark_task_completed("migrate", 16);
}

/// The fixture's bytes in a memory (saved without its trailing zeros, padded back to pages).
fn fixture_memory() -> VectorMemory {
    let mut bytes = golden_bytes(FIXTURE, || {
        let fresh = VectorMemory::default();
        fill(&mut Store::init(layout(fresh.clone())));
        let mut written = fresh.borrow().clone();
        let used = written.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        written.truncate(used);
        written
    });
    bytes.resize(bytes.len().div_ceil(PAGE) * PAGE, 0);
    Rc::new(RefCell::new(bytes))
}

fn record(source: ErrorSource, message: &str, code: Option<u32>, seq: u64) -> ErrorRecord {
    ErrorRecord {
        seq,
        source,
        message: message.into(),
        reject_code: code,
        first_at_ns: seq + 10,
        last_at_ns: seq + 10,
        count: 1,
    }
}

#[test]
fn a_memory_written_by_the_pinned_layout_opens_intact() {
    let memory = fixture_memory();
    let mut store = Store::init(layout(memory.clone()));

    assert_eq!(
        store.config(),
        &Config {
            monitors: vec![monitor(), second_monitor()],
            next_local_event_id: 3,
            hooks_handled: 2,
            duplicates_dropped: 1,
        }
    );
    assert!(store.task_completed("migrate"));
    assert!(!store.task_completed("warm_cache"));

    let timer = ErrorSource::Timer("process".into());
    assert_eq!(
        store.errors.recent(10),
        [
            record(
                ErrorSource::System("frozen".into()),
                "canister frozen",
                None,
                5
            ),
            record(
                ErrorSource::Hook("on_error".into()),
                "handler trapped",
                Some(5),
                4
            ),
            record(ErrorSource::InitTask("migrate".into()), "not yet", None, 3),
            ErrorRecord {
                first_at_ns: 10,
                last_at_ns: 12,
                count: 2,
                ..record(timer.clone(), "poison job", Some(5), 2)
            },
            record(ErrorSource::Heartbeat, "unarchivable", Some(5), 1),
        ]
    );
    let folded = store.errors.record(timer, "poison job", Some(5), 20);
    assert_eq!(
        (folded.count, folded.first_at_ns),
        (3, 10),
        "the repeat index is intact"
    );

    assert_eq!(store.seen.len(), 3);
    assert_eq!(store.seen.begin(monitor(), 1), Delivery::Duplicate);
    assert_eq!(store.seen.begin(canister(), 0), Delivery::Duplicate);
    assert_eq!(store.seen.begin(monitor(), 2), Delivery::InProgress);
    assert_eq!(store.seen.abandon_in_progress(), 1, "as post_upgrade does");
    assert_eq!(store.seen.begin(monitor(), 2), Delivery::New);
    assert_eq!(store.seen.begin(monitor(), 3), Delivery::New);
    assert_eq!(store.next_local_event_id(), 3);
    assert!(memory.size() <= 16, "the fixture's SDK memory stays small");
}

#[test]
fn a_memory_from_before_maintenance_opens_outside_it_and_can_enter_it() {
    let memory = fixture_memory();
    let mut store = Store::init(layout(memory.clone()));
    assert_eq!(store.maintenance(), None);
    let mode = Maintenance {
        reason: "upgrade to v2".into(),
        until_ns: 30,
        since_ns: 20,
        entered_by: monitor(),
    };
    store.set_maintenance(Some(mode.clone()));

    let reopened = Store::init(layout(memory));
    assert_eq!(reopened.maintenance(), Some(&mode));
    assert_eq!(reopened.config().monitors, [monitor(), second_monitor()]);
    assert_eq!(
        reopened.errors.len(),
        5,
        "the other structures are untouched"
    );
    assert!(reopened.task_completed("migrate"));
}
