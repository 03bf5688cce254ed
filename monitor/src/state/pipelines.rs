//! The upgrade pipelines: the running one of each canister, the finished ones (the newest
//! [`HISTORY_CAPACITY`]), the snapshots pipelines took of each canister, and the counters.
//! A running pipeline is written whole before each of its calls.

use crate::api::{Outcome, SnapshotId};
use crate::policy::pipeline::Pipeline;
use crate::state::stored::Stored;
use candid::{CandidType, Principal};
use ic_stable_structures::{Cell, Memory, StableBTreeMap};
use serde::Deserialize;

/// Finished pipelines kept for `upgrade_history`.
pub const HISTORY_CAPACITY: u64 = 1_000;

/// Pipeline ids and how pipelines ended.
#[derive(CandidType, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineCounts {
    /// The last id given.
    pub last_id: u64,
    /// Pipelines started.
    pub started: u64,
    /// Pipelines that ended, per outcome: succeeded, aborted, rolled back, needs operator.
    pub succeeded: u64,
    pub aborted: u64,
    pub rolled_back: u64,
    pub needs_operator: u64,
}

impl PipelineCounts {
    /// Counts one pipeline ending with `outcome`.
    fn count(&mut self, outcome: &Outcome) {
        *match outcome {
            Outcome::Succeeded => &mut self.succeeded,
            Outcome::Aborted { .. } => &mut self.aborted,
            Outcome::RolledBack { .. } => &mut self.rolled_back,
            Outcome::NeedsOperator { .. } => &mut self.needs_operator,
        } += 1;
    }
}

/// The upgrade pipelines.
pub struct Pipelines<M: Memory> {
    running: StableBTreeMap<Principal, Stored<Pipeline>, M>,
    finished: StableBTreeMap<u64, Stored<Pipeline>, M>,
    snapshots_taken: StableBTreeMap<Principal, Stored<Vec<SnapshotId>>, M>,
    counts: Cell<Stored<PipelineCounts>, M>,
}

impl<M: Memory> Pipelines<M> {
    /// Opens (or creates) the structures in their memories.
    pub fn init(running: M, finished: M, snapshots_taken: M, counts: M) -> Self {
        Self {
            running: StableBTreeMap::init(running),
            finished: StableBTreeMap::init(finished),
            snapshots_taken: StableBTreeMap::init(snapshots_taken),
            counts: Cell::init(counts, Stored(PipelineCounts::default())),
        }
    }

    /// The running pipeline of `canister`.
    pub fn running(&self, canister: &Principal) -> Option<Pipeline> {
        self.running.get(canister).map(|p| p.0)
    }

    /// Every running pipeline.
    pub fn all_running(&self) -> impl Iterator<Item = Pipeline> + '_ {
        self.running.values().map(|p| p.0)
    }

    /// A new id, counting a start.
    pub fn next_id(&mut self) -> u64 {
        let mut c = self.counts.get().0.clone();
        c.last_id += 1;
        c.started += 1;
        let id = c.last_id;
        self.counts.set(Stored(c));
        id
    }

    /// Writes a running pipeline; a finished one moves to the history, its snapshot is
    /// remembered as one pipelines may replace and the one it replaced is forgotten.
    pub fn save(&mut self, pipeline: Pipeline) {
        let target = pipeline.request.target;
        let Some(outcome) = &pipeline.outcome else {
            self.running.insert(target, Stored(pipeline));
            return;
        };
        let mut counts = self.counts.get().0.clone();
        counts.count(outcome);
        self.counts.set(Stored(counts));
        let mut taken = self.snapshots_taken(&target);
        taken.retain(|id| Some(id) != pipeline.replaced.as_ref());
        if let Some(s) = &pipeline.snapshot {
            if !taken.contains(&s.id) {
                taken.push(s.id.clone());
            }
        }
        self.snapshots_taken.insert(target, Stored(taken));
        self.running.remove(&target);
        self.finished.insert(pipeline.request.id, Stored(pipeline));
        while self.finished.len() > HISTORY_CAPACITY {
            self.finished.pop_first();
        }
    }

    /// Snapshots pipelines took of `canister` that may still exist.
    pub fn snapshots_taken(&self, canister: &Principal) -> Vec<SnapshotId> {
        self.snapshots_taken
            .get(canister)
            .map(|s| s.0)
            .unwrap_or_default()
    }

    /// Finished pipelines below id `before`, newest first, of `canister` if given; at most
    /// `limit`, examining at most `HISTORY_CAPACITY`.
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
    pub fn counts(&self) -> PipelineCounts {
        self.counts.get().0.clone()
    }
}
