//! The steps of each operation and of the recoveries that bring the target back after a
//! failure.

use super::{Request, SnapshotInfo, Work};
use crate::api::{SnapshotId, Step, StepKind, StepOn};

/// The most snapshots a canister may hold (IC interface specification, `take_canister_snapshot`).
pub const MAX_SNAPSHOTS: usize = 10;

const fn on_target(kind: StepKind) -> Step {
    Step {
        kind,
        on: StepOn::Target,
    }
}

const fn on_copy(kind: StepKind) -> Step {
    Step {
        kind,
        on: StepOn::Copy,
    }
}

/// The steps of `request`, in order.
pub fn main_plan(request: &Request) -> Vec<Step> {
    use StepKind::*;
    let quiesce = |steps: &mut Vec<Step>| {
        if request.sdk {
            steps.extend([on_target(EnterMaintenance), on_target(Drain)]);
        }
        steps.push(on_target(Stop));
    };
    let resume = |steps: &mut Vec<Step>| {
        steps.extend([on_target(Start), on_target(AwaitReady)]);
        if request.sdk {
            steps.push(on_target(LeaveMaintenance));
        }
    };
    let mut steps = vec![];
    match &request.work {
        Work::Upgrade {
            rehearsal,
            keep_rehearsal,
            ..
        } => {
            quiesce(&mut steps);
            steps.extend([ListSnapshots, TakeSnapshot].map(on_target));
            if rehearsal.is_some() {
                steps.extend([Stop, LoadSnapshot, Install, Start, AwaitReady].map(on_copy));
                if !keep_rehearsal {
                    steps.push(on_copy(Uninstall));
                }
            }
            steps.extend([Install, VerifyModule].map(on_target));
            resume(&mut steps);
        }
        Work::Backup { stop, .. } => {
            if *stop {
                quiesce(&mut steps);
            }
            steps.extend([ListSnapshots, TakeSnapshot].map(on_target));
            if *stop {
                resume(&mut steps);
            }
            steps.push(on_target(DeleteSnapshot));
        }
        Work::Restore { onto: Some(_), .. } => {
            steps.extend([Stop, LoadSnapshot, Start, AwaitReady].map(on_copy));
            if request.sdk {
                // The snapshot may have been taken in maintenance (a stopped backup).
                steps.push(on_copy(LeaveMaintenance));
            }
        }
        Work::Restore { onto: None, .. } => {
            quiesce(&mut steps);
            steps.push(on_target(LoadSnapshot));
            resume(&mut steps);
        }
    }
    steps
}

/// The steps that bring the target back into service after a failure: load the snapshot back
/// when the new code may have been installed (`rollback`), else start it again if a stop began
/// (and clear up a rehearsal, or start a clone, that began).
pub fn recovery_plan(request: &Request, rollback: bool, began: impl Fn(Step) -> bool) -> Vec<Step> {
    use StepKind::*;
    let main = main_plan(request);
    let planned = |step: Step| main.contains(&step);
    let mut steps = vec![];
    if rollback {
        steps.extend([Stop, LoadSnapshot, Start, AwaitReady].map(on_target));
    } else {
        let copy_began = main.iter().any(|s| s.on == StepOn::Copy && began(*s));
        if copy_began && planned(on_copy(Uninstall)) {
            steps.push(on_copy(Uninstall));
        }
        if copy_began && matches!(request.work, Work::Restore { .. }) {
            steps.push(on_copy(Start));
        }
        if began(on_target(Stop)) {
            steps.push(on_target(Start));
        }
    }
    if planned(on_target(LeaveMaintenance)) {
        steps.push(on_target(LeaveMaintenance));
    }
    steps
}

/// Picks the snapshot a new one must replace: none below the limit, else the oldest of
/// `replaceable`. Errors when the canister is at the limit with nothing it may replace.
pub fn choose_replacement(
    existing: &[SnapshotInfo],
    replaceable: &[SnapshotId],
) -> Result<Option<SnapshotId>, String> {
    if existing.len() < MAX_SNAPSHOTS {
        return Ok(None);
    }
    existing
        .iter()
        .filter(|s| replaceable.contains(&s.id))
        .min_by_key(|s| (s.taken_at_ns, s.id.clone()))
        .map(|s| Some(s.id.clone()))
        .ok_or_else(|| {
            format!(
                "the canister holds {} snapshots, the limit, and none of them may be replaced \
                 (snapshots taken by hand are kept unless listed in replaceable_snapshots); \
                 delete one or allow replacing it",
                existing.len()
            )
        })
}
