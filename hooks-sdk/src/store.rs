//! The SDK's persistent state in stable memory: configuration, counters, the dedupe window, the
//! error log, the init tasks that must not re-run after an upgrade and the maintenance mode.
//!
//! Generic over [`Memory`] so native tests run it on `VectorMemory`; the canister wires virtual
//! memories from a `MemoryManager` (see [`crate::memory`]).

use std::borrow::Cow;

use candid::{CandidType, Principal};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Memory, StableBTreeMap, StableCell, Storable};
use serde::Deserialize;

use crate::dedupe::{self, SeenEvents};
use crate::error_log::{self, ErrorLog};
use crate::types::{AdminError, Maintenance};

/// Most monitors a canister accepts.
pub const MAX_MONITORS: usize = 8;

/// Small configuration and counters, Candid-encoded in one stable cell.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Principals allowed to call the hook endpoints.
    pub monitors: Vec<Principal>,
    /// Next id for events the canister raises itself (sender = the canister).
    pub next_local_event_id: u64,
    /// Hook handler runs.
    pub hooks_handled: u64,
    /// Duplicate deliveries acknowledged without a run.
    pub duplicates_dropped: u64,
}

impl Storable for Config {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(candid::encode_one(self).expect("canister-hooks: config always encodes"))
    }

    fn into_bytes(self) -> Vec<u8> {
        candid::encode_one(&self).expect("canister-hooks: config always encodes")
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Self {
        candid::decode_one(&bytes).expect("canister-hooks: corrupt config in stable memory")
    }

    const BOUND: Bound = Bound::Unbounded;
}

/// The maintenance mode as stored: `None` once left.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredMaintenance(pub Option<Maintenance>);

canister_hooks_types::candid_storable!(StoredMaintenance);

/// The memories the store lives in, one per structure.
#[derive(Clone)]
pub struct StoreMemories<M> {
    /// The config cell.
    pub config: M,
    /// Dedupe window, keyed by event.
    pub seen_by_key: M,
    /// Dedupe window, keyed by insertion order.
    pub seen_by_seq: M,
    /// Error log entries.
    pub errors: M,
    /// Error log fingerprint index.
    pub error_index: M,
    /// Names of run-once init tasks that completed.
    pub completed_tasks: M,
    /// The maintenance mode cell.
    pub maintenance: M,
}

/// All persistent SDK state.
pub struct Store<M: Memory> {
    config: StableCell<Config, M>,
    /// One handler run per event id.
    pub seen: SeenEvents<M>,
    /// Recent failures.
    pub errors: ErrorLog<M>,
    completed_tasks: StableBTreeMap<String, u64, M>,
    /// The maintenance cell, opened once it has been written: a canister that never entered
    /// maintenance keeps the layout it had before the cell existed.
    maintenance: Option<StableCell<StoredMaintenance, M>>,
    /// The cell's memory while it is still empty.
    unused_maintenance_memory: Option<M>,
}

impl<M: Memory> Store<M> {
    /// Opens (or creates) the store in the given memories.
    pub fn init(m: StoreMemories<M>) -> Self {
        let mut store = Store {
            config: StableCell::init(m.config, Config::default()),
            seen: SeenEvents::init(m.seen_by_key, m.seen_by_seq, dedupe::DEFAULT_CAPACITY),
            errors: ErrorLog::init(m.errors, m.error_index, error_log::DEFAULT_CAPACITY),
            completed_tasks: StableBTreeMap::init(m.completed_tasks),
            maintenance: None,
            unused_maintenance_memory: None,
        };
        if m.maintenance.size() == 0 {
            store.unused_maintenance_memory = Some(m.maintenance);
        } else {
            store.maintenance = Some(StableCell::init(
                m.maintenance,
                StoredMaintenance::default(),
            ));
        }
        store
    }

    /// The maintenance the canister is in, if any.
    pub fn maintenance(&self) -> Option<&Maintenance> {
        self.maintenance
            .as_ref()
            .and_then(|cell| cell.get().0.as_ref())
    }

    /// Enters (`Some`) or leaves (`None`) maintenance; leaving one never entered writes nothing.
    pub fn set_maintenance(&mut self, maintenance: Option<Maintenance>) {
        if self.maintenance.is_none() && maintenance.is_some() {
            if let Some(memory) = self.unused_maintenance_memory.take() {
                self.maintenance = Some(StableCell::init(memory, StoredMaintenance::default()));
            }
        }
        if let Some(cell) = &mut self.maintenance {
            cell.set(StoredMaintenance(maintenance));
        }
    }

    /// The current configuration.
    pub fn config(&self) -> &Config {
        self.config.get()
    }

    /// Replaces the monitors after validating them.
    pub fn set_monitors(&mut self, monitors: Vec<Principal>) -> Result<(), AdminError> {
        if monitors.len() > MAX_MONITORS {
            return Err(AdminError::TooManyMonitors {
                given: monitors.len() as u32,
                max: MAX_MONITORS as u32,
            });
        }
        if let Some(bad) = monitors
            .iter()
            .find(|p| **p == Principal::anonymous() || **p == Principal::management_canister())
        {
            return Err(AdminError::InvalidMonitor { principal: *bad });
        }
        let mut unique = monitors;
        unique.dedup();
        self.update(|c| c.monitors = unique);
        Ok(())
    }

    /// Allocates an id for an event the canister raises itself.
    pub fn next_local_event_id(&mut self) -> u64 {
        let id = self.config().next_local_event_id;
        self.update(|c| c.next_local_event_id += 1);
        id
    }

    /// Counts one handler run.
    pub fn count_handled(&mut self) {
        self.update(|c| c.hooks_handled += 1);
    }

    /// Counts one dropped duplicate.
    pub fn count_duplicate(&mut self) {
        self.update(|c| c.duplicates_dropped += 1);
    }

    /// Remembers that the run-once task `name` completed (at `now_ns`).
    pub fn mark_task_completed(&mut self, name: &str, now_ns: u64) {
        self.completed_tasks.insert(name.to_string(), now_ns);
    }

    /// Whether the run-once task `name` completed before.
    pub fn task_completed(&self, name: &str) -> bool {
        self.completed_tasks.contains_key(&name.to_string())
    }

    fn update(&mut self, f: impl FnOnce(&mut Config)) {
        let mut c = self.config.get().clone();
        f(&mut c);
        self.config.set(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_stable_structures::VectorMemory;

    fn memories() -> StoreMemories<VectorMemory> {
        StoreMemories {
            config: VectorMemory::default(),
            seen_by_key: VectorMemory::default(),
            seen_by_seq: VectorMemory::default(),
            errors: VectorMemory::default(),
            error_index: VectorMemory::default(),
            completed_tasks: VectorMemory::default(),
            maintenance: VectorMemory::default(),
        }
    }

    #[test]
    fn state_survives_reopening_as_after_an_upgrade() {
        let m = memories();
        let monitor = Principal::from_slice(&[7; 10]);
        {
            let mut s = Store::init(m.clone());
            s.set_monitors(vec![monitor]).unwrap();
            assert_eq!(s.next_local_event_id(), 0);
            s.mark_task_completed("migrate", 5);
            s.errors
                .record(crate::events::ErrorSource::Heartbeat, "trap", Some(5), 1);
        }
        let mut s = Store::init(m);
        assert_eq!(s.config().monitors, [monitor]);
        assert_eq!(s.next_local_event_id(), 1);
        assert!(s.task_completed("migrate"));
        assert!(!s.task_completed("other"));
        assert_eq!(s.errors.len(), 1);
    }

    fn maintenance() -> Maintenance {
        Maintenance {
            reason: "upgrade to v2".into(),
            until_ns: 20,
            since_ns: 10,
            entered_by: Principal::from_slice(&[7; 10]),
        }
    }

    #[test]
    fn maintenance_survives_reopening_and_leaving_unused_writes_nothing() {
        let m = memories();
        let mut s = Store::init(m.clone());
        s.set_maintenance(None);
        assert_eq!(
            m.maintenance.size(),
            0,
            "never entered: the cell is not created"
        );
        s.set_maintenance(Some(maintenance()));
        assert_eq!(Store::init(m.clone()).maintenance(), Some(&maintenance()));
        Store::init(m.clone()).set_maintenance(None);
        assert_eq!(Store::init(m).maintenance(), None);
    }

    #[test]
    fn invalid_monitors_are_refused_with_the_reason() {
        let mut s = Store::init(memories());
        assert_eq!(
            s.set_monitors(vec![Principal::anonymous()]),
            Err(AdminError::InvalidMonitor {
                principal: Principal::anonymous()
            })
        );
        let many = (0..9u8).map(|i| Principal::from_slice(&[i; 10])).collect();
        assert!(matches!(
            s.set_monitors(many),
            Err(AdminError::TooManyMonitors { given: 9, max: 8 })
        ));
        assert!(s.config().monitors.is_empty());
    }
}
