//! The steps of an upgrade and of the recoveries that bring the target back after a failure.

use super::{Request, SnapshotInfo};
use crate::api::{SnapshotId, Step, StepKind, StepOn};

/// The most snapshots a canister may hold (IC interface specification, `take_canister_snapshot`).
pub const MAX_SNAPSHOTS: usize = 10;

const fn on_target(kind: StepKind) -> Step {
    Step {
        kind,
        on: StepOn::Target,
    }
}

const fn on_rehearsal(kind: StepKind) -> Step {
    Step {
        kind,
        on: StepOn::Rehearsal,
    }
}

/// The steps of `request`, in order.
pub fn main_plan(request: &Request) -> Vec<Step> {
    use StepKind::*;
    let mut steps = vec![];
    if request.sdk {
        steps.extend([on_target(EnterMaintenance), on_target(Drain)]);
    }
    steps.extend([
        on_target(Stop),
        on_target(ListSnapshots),
        on_target(TakeSnapshot),
    ]);
    if request.rehearsal.is_some() {
        steps.extend([Stop, LoadSnapshot, Install, Start, AwaitReady].map(on_rehearsal));
        if !request.keep_rehearsal {
            steps.push(on_rehearsal(Uninstall));
        }
    }
    steps.extend([Install, VerifyModule, Start, AwaitReady].map(on_target));
    if request.sdk {
        steps.push(on_target(LeaveMaintenance));
    }
    steps
}

/// The steps that bring the target back into service after a failure: load the snapshot back
/// when the new code may have been installed (`rollback`), else start it again (and clear up a
/// rehearsal that began).
pub fn recovery_plan(request: &Request, rollback: bool, rehearsal_began: bool) -> Vec<Step> {
    use StepKind::*;
    let mut steps = vec![];
    if rollback {
        steps.extend([Stop, LoadSnapshot, Start, AwaitReady].map(on_target));
    } else {
        if rehearsal_began && request.rehearsal.is_some() && !request.keep_rehearsal {
            steps.push(on_rehearsal(Uninstall));
        }
        steps.push(on_target(Start));
    }
    if request.sdk {
        steps.push(on_target(LeaveMaintenance));
    }
    steps
}

/// Picks the snapshot a new one must replace: none below the limit, else the oldest of
/// `replaceable`. Errors when the canister is at the limit with nothing the pipeline may replace.
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
