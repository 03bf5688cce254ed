//! Lifecycle operations: the running one of each canister, the finished ones (the newest
//! [`HISTORY_CAPACITY`]), the snapshots operations took of each canister, the backup schedules,
//! and the counters. A running operation is written whole before each of its calls.

use crate::api::{BackupPolicy, OperationKind, Outcome, SnapshotId};
use crate::policy::pipeline::{Pipeline, SnapshotInfo};
use crate::state::stored::Stored;
use candid::{CandidType, Principal};
use ic_stable_structures::{Cell, Memory, StableBTreeMap};
use serde::Deserialize;

/// Finished operations kept for `operations`.
pub const HISTORY_CAPACITY: u64 = 1_000;

/// How operations of one kind ended.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    pub started: u64,
    pub succeeded: u64,
    pub aborted: u64,
    pub rolled_back: u64,
    pub needs_operator: u64,
}

/// Operation ids and how operations ended, per kind.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationCounts {
    /// The last id given.
    pub last_id: u64,
    pub upgrades: OutcomeCounts,
    pub backups: OutcomeCounts,
    pub restores: OutcomeCounts,
}

impl OperationCounts {
    /// The counts of operations of `kind`.
    pub fn of(&mut self, kind: &OperationKind) -> &mut OutcomeCounts {
        match kind {
            OperationKind::Upgrade { .. } => &mut self.upgrades,
            OperationKind::Backup { .. } => &mut self.backups,
            OperationKind::Restore { .. } => &mut self.restores,
        }
    }
}

impl OutcomeCounts {
    fn count(&mut self, outcome: &Outcome) {
        *match outcome {
            Outcome::Succeeded => &mut self.succeeded,
            Outcome::Aborted { .. } => &mut self.aborted,
            Outcome::RolledBack { .. } => &mut self.rolled_back,
            Outcome::NeedsOperator { .. } => &mut self.needs_operator,
        } += 1;
    }
}

/// Which operation took a snapshot: what may replace or delete it.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakenBy {
    Upgrade,
    Backup,
}

/// A snapshot an operation took.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TakenSnapshot {
    pub info: SnapshotInfo,
    pub by: TakenBy,
}

/// What the monitor knows of one canister's snapshots.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct CanisterSnapshots {
    /// Snapshots operations took that should still exist, oldest first.
    pub taken: Vec<TakenSnapshot>,
    /// Bytes of all its snapshots when an operation last listed them.
    pub held_bytes: u64,
}

impl CanisterSnapshots {
    /// Ids of the snapshots `by` took.
    pub fn ids(&self, by: TakenBy) -> Vec<SnapshotId> {
        self.taken
            .iter()
            .filter(|t| t.by == by)
            .map(|t| t.info.id.clone())
            .collect()
    }
}

/// A canister's backup policy and where its schedule stands.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BackupSchedule {
    pub policy: BackupPolicy,
    /// The canister links the SDK (maintenance and readiness), as probed when the policy was set.
    pub sdk: bool,
    /// When the next backup is due (IC time, ns).
    pub next_at_ns: u64,
    /// When the last backup succeeded.
    pub last_success_ns: Option<u64>,
    /// The last failure since the last success: when and why.
    pub last_failure: Option<String>,
}

/// The lifecycle operations' stable structures.
pub struct Operations<M: Memory> {
    running: StableBTreeMap<Principal, Stored<Pipeline>, M>,
    finished: StableBTreeMap<u64, Stored<Pipeline>, M>,
    snapshots: StableBTreeMap<Principal, Stored<CanisterSnapshots>, M>,
    counts: Cell<Stored<OperationCounts>, M>,
    schedules: StableBTreeMap<Principal, Stored<BackupSchedule>, M>,
}

impl<M: Memory> Operations<M> {
    /// Opens (or creates) the structures in their memories.
    pub fn init(running: M, finished: M, snapshots: M, counts: M, schedules: M) -> Self {
        Self {
            running: StableBTreeMap::init(running),
            finished: StableBTreeMap::init(finished),
            snapshots: StableBTreeMap::init(snapshots),
            counts: Cell::init(counts, Stored(OperationCounts::default())),
            schedules: StableBTreeMap::init(schedules),
        }
    }

    /// The running operation of `canister`.
    pub fn running(&self, canister: &Principal) -> Option<Pipeline> {
        self.running.get(canister).map(|p| p.0)
    }

    /// Every running operation.
    pub fn all_running(&self) -> impl Iterator<Item = Pipeline> + '_ {
        self.running.values().map(|p| p.0)
    }

    /// A new operation id.
    pub fn next_id(&mut self) -> u64 {
        let mut c = self.counts.get().0.clone();
        c.last_id += 1;
        let id = c.last_id;
        self.counts.set(Stored(c));
        id
    }

    /// Counts the start of an operation of `kind`.
    pub fn count_started(&mut self, kind: &OperationKind) {
        let mut c = self.counts.get().0.clone();
        c.of(kind).started += 1;
        self.counts.set(Stored(c));
    }

    /// Writes a running operation; a finished one moves to the history and what it did to the
    /// target's snapshots is remembered.
    pub fn save(&mut self, op: Pipeline) {
        let target = op.request.target;
        let Some(outcome) = &op.outcome else {
            self.running.insert(target, Stored(op));
            return;
        };
        let kind = op.view().kind;
        let mut counts = self.counts.get().0.clone();
        counts.of(&kind).count(outcome);
        self.counts.set(Stored(counts));
        self.remember_snapshots(&op, &kind);
        self.running.remove(&target);
        self.finished.insert(op.request.id, Stored(op));
        while self.finished.len() > HISTORY_CAPACITY {
            self.finished.pop_first();
        }
    }

    fn remember_snapshots(&mut self, op: &Pipeline, kind: &OperationKind) {
        let target = op.request.target;
        let mut s = self.snapshots(&target);
        let gone = |id: &SnapshotId| op.replaced.as_ref() == Some(id) || op.deleted.contains(id);
        s.taken.retain(|t| !gone(&t.info.id));
        if let Some(info) = &op.snapshot {
            let by = match kind {
                OperationKind::Backup { .. } => TakenBy::Backup,
                _ => TakenBy::Upgrade,
            };
            if !s.taken.iter().any(|t| t.info.id == info.id) {
                s.taken.push(TakenSnapshot {
                    info: info.clone(),
                    by,
                });
            }
        }
        let held = op.snapshots_held();
        if !held.is_empty() {
            s.held_bytes = held.iter().map(|h| h.bytes).sum();
        }
        self.snapshots.insert(target, Stored(s));
    }

    /// What is known of `canister`'s snapshots.
    pub fn snapshots(&self, canister: &Principal) -> CanisterSnapshots {
        self.snapshots
            .get(canister)
            .map(|s| s.0)
            .unwrap_or_default()
    }

    /// Finished operations below id `before`, newest first, of `canister` if given; at most
    /// `limit`.
    pub fn history(&self, canister: Option<Principal>, before: u64, limit: usize) -> Vec<Pipeline> {
        self.finished
            .range(..before)
            .rev()
            .map(|e| e.value().0)
            .filter(|p| canister.is_none_or(|c| p.request.target == c))
            .take(limit)
            .collect()
    }

    /// The counters.
    pub fn counts(&self) -> OperationCounts {
        self.counts.get().0.clone()
    }

    /// The backup schedule of `canister`.
    pub fn schedule(&self, canister: &Principal) -> Option<BackupSchedule> {
        self.schedules.get(canister).map(|s| s.0)
    }

    /// Every backup schedule.
    pub fn schedules(&self) -> impl Iterator<Item = (Principal, BackupSchedule)> + '_ {
        self.schedules.iter().map(|e| (*e.key(), e.value().0))
    }

    /// Sets or (with `None`) removes the backup schedule of `canister`.
    pub fn set_schedule(&mut self, canister: Principal, schedule: Option<BackupSchedule>) {
        match schedule {
            Some(s) => self.schedules.insert(canister, Stored(s)),
            None => self.schedules.remove(&canister),
        };
    }
}
