//! The operation as the API shows it, and the snapshots it leaves behind.

use super::*;

impl Pipeline {
    /// The operation as the API shows it.
    pub fn view(&self) -> OperationView {
        let r = &self.request;
        let kind = match &r.work {
            Work::Upgrade {
                module, rehearsal, ..
            } => OperationKind::Upgrade {
                wasm_module_hash: module.hash.clone(),
                rehearse_on: *rehearsal,
            },
            Work::Backup {
                stop,
                keep,
                replace_any,
            } => OperationKind::Backup {
                mode: if *stop {
                    BackupMode::Stopped
                } else {
                    BackupMode::Running
                },
                keep: *keep,
                replace_any: *replace_any,
            },
            Work::Restore { snapshot, onto } => OperationKind::Restore {
                snapshot_id: snapshot.clone(),
                onto: *onto,
            },
        };
        OperationView {
            id: r.id,
            kind,
            canister_id: r.target,
            started_by: r.started_by,
            started_at_ns: self.started_ns,
            running: self
                .current()
                .filter(|_| self.outcome.is_none())
                .map(|step| RunningStep {
                    step,
                    phase: self.phase,
                    started_at_ns: self.step_started_ns,
                    deadline_ns: self.deadline_ns().unwrap_or_default(),
                    attempts: self.attempts,
                    last_seen: self.last_seen.clone(),
                }),
            outcome: self.outcome.clone(),
            ended_at_ns: self.ended_ns,
            steps: self.history.clone(),
            snapshot_id: self.snapshot.as_ref().map(|s| s.id.clone()),
            snapshot_bytes: self.snapshot.as_ref().map(|s| s.bytes),
            replaced_snapshot_id: self.replaced.clone(),
            deleted_snapshot_ids: self.deleted.clone(),
            target_stopped_ns: self.stopped_ns,
        }
    }

    /// Every snapshot the last listing found, with the one taken and without those replaced
    /// or deleted: what the target holds once the operation is over.
    pub fn snapshots_held(&self) -> Vec<SnapshotInfo> {
        let gone =
            |id: &SnapshotId| Some(id) == self.replaced.as_ref() || self.deleted.contains(id);
        let mut held: Vec<SnapshotInfo> = self
            .known_snapshots
            .iter()
            .filter(|s| !gone(&s.id))
            .cloned()
            .collect();
        if let Some(s) = self
            .snapshot
            .as_ref()
            .filter(|s| !held.iter().any(|h| h.id == s.id))
        {
            held.push(s.clone());
        }
        held
    }
}
