//! Checks an admin's [`UpgradeArgs`] and [`RestoreArgs`] and turns them, and scheduled backups,
//! into operation [`Request`]s.

use super::plan::MAX_SNAPSHOTS;
use super::{hex, Module, Request, Work};
use crate::api::{
    BackupMode, BackupPolicy, OperationError, PipelineTimeouts, RestoreArgs, SnapshotId,
    UpgradeArgs,
};
use candid::Principal;

/// Longest maintenance reason the SDK keeps, bytes.
pub const MAX_REASON_BYTES: usize = 256;
/// Longest health query method name, bytes.
pub const MAX_METHOD_BYTES: usize = 100;
/// Most chunks a module may have (the chunk store holds at most 100 chunks of 1 MiB).
pub const MAX_CHUNKS: usize = 100;
/// Longest step deadline, seconds (a day).
pub const MAX_STEP_SECONDS: u64 = 86_400;

fn invalid(field: &str, reason: impl Into<String>) -> OperationError {
    OperationError::InvalidArgument {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks an upgrade's arguments alone (no registry, no calls).
pub fn check_upgrade(args: &UpgradeArgs, monitor: Principal) -> Result<(), OperationError> {
    let is_hash = |h: &[u8]| h.len() == 32;
    if !is_hash(&args.wasm_module_hash) {
        return Err(invalid(
            "wasm_module_hash",
            format!(
                "a SHA-256 hash is 32 bytes, not {}",
                args.wasm_module_hash.len()
            ),
        ));
    }
    if args.chunk_hashes.is_empty() || args.chunk_hashes.len() > MAX_CHUNKS {
        return Err(invalid(
            "chunk_hashes",
            format!(
                "give 1 to {MAX_CHUNKS} chunk hashes (upload_chunk returns them), not {}",
                args.chunk_hashes.len()
            ),
        ));
    }
    if let Some(i) = args.chunk_hashes.iter().position(|h| !is_hash(h)) {
        return Err(invalid(
            &format!("chunk_hashes[{i}]"),
            format!(
                "a SHA-256 hash is 32 bytes, not {}",
                args.chunk_hashes[i].len()
            ),
        ));
    }
    if let Some(r) = args.rehearse_on {
        if r == args.canister_id
            || r == monitor
            || r == Principal::management_canister()
            || r == Principal::anonymous()
        {
            return Err(invalid(
                "rehearse_on",
                "give a scratch canister of the same subnet, other than the target and the monitor",
            ));
        }
    }
    if let Some(q) = &args.health_query {
        if q.is_empty() || q.len() > MAX_METHOD_BYTES {
            return Err(invalid(
                "health_query",
                format!("a method name of 1 to {MAX_METHOD_BYTES} bytes"),
            ));
        }
    }
    check_reason(&args.reason)?;
    check_timeouts(&args.timeouts)
}

/// Checks a restore's arguments alone (no registry, no calls).
pub fn check_restore(args: &RestoreArgs, monitor: Principal) -> Result<(), OperationError> {
    if args.snapshot_id.is_empty() {
        return Err(invalid(
            "snapshot_id",
            "give the id of one of the canister's snapshots",
        ));
    }
    check_copy("onto", args.onto, args.canister_id, monitor)?;
    check_reason(&args.reason)?;
    check_timeouts(&args.timeouts)
}

/// A rehearsal or clone canister must be another canister than the target and the monitor.
fn check_copy(
    field: &str,
    copy: Option<Principal>,
    target: Principal,
    monitor: Principal,
) -> Result<(), OperationError> {
    match copy {
        Some(c)
            if c == target
                || c == monitor
                || c == Principal::management_canister()
                || c == Principal::anonymous() =>
        {
            Err(invalid(
                field,
                "give another canister of the same subnet, other than the target and the monitor",
            ))
        }
        _ => Ok(()),
    }
}

fn check_reason(reason: &Option<String>) -> Result<(), OperationError> {
    match reason {
        Some(r) if r.trim().is_empty() || r.len() > MAX_REASON_BYTES => Err(invalid(
            "reason",
            format!("1 to {MAX_REASON_BYTES} bytes, shown to callers during maintenance"),
        )),
        _ => Ok(()),
    }
}

fn check_timeouts(timeouts: &Option<PipelineTimeouts>) -> Result<(), OperationError> {
    let t = timeouts.unwrap_or_default();
    for (field, seconds) in [
        ("timeouts.drain_seconds", t.drain_seconds),
        ("timeouts.stop_seconds", t.stop_seconds),
        ("timeouts.ready_seconds", t.ready_seconds),
        ("timeouts.call_seconds", t.call_seconds),
    ] {
        if !(1..=MAX_STEP_SECONDS).contains(&seconds) {
            return Err(invalid(
                field,
                format!("{seconds} is out of range; use 1 to {MAX_STEP_SECONDS} seconds"),
            ));
        }
    }
    Ok(())
}

/// The request of checked upgrade `args`: it may replace the snapshots upgrades took
/// (`snapshots_taken`) and those the admin listed.
pub fn upgrade(
    args: UpgradeArgs,
    id: u64,
    started_by: Principal,
    sdk: bool,
    snapshots_taken: Vec<SnapshotId>,
) -> Request {
    let mut replaceable = snapshots_taken;
    replaceable.extend(args.replaceable_snapshots);
    let reason = args.reason.unwrap_or_else(|| {
        format!(
            "upgrading to module {}",
            &hex(args.wasm_module_hash.clone())[..12]
        )
    });
    Request {
        id,
        target: args.canister_id,
        started_by,
        work: Work::Upgrade {
            module: Module {
                hash: args.wasm_module_hash,
                chunk_hashes: args.chunk_hashes,
                arg: args.arg,
                skip_pre_upgrade: args.skip_pre_upgrade,
            },
            rehearsal: args.rehearse_on,
            keep_rehearsal: args.keep_rehearsal,
        },
        sdk,
        health_query: args.health_query,
        replaceable,
        reason,
        timeouts: args.timeouts.unwrap_or_default(),
    }
}

/// The request of checked restore `args`.
pub fn restore(args: RestoreArgs, id: u64, started_by: Principal, sdk: bool) -> Request {
    Request {
        id,
        target: args.canister_id,
        started_by,
        reason: args
            .reason
            .unwrap_or_else(|| format!("restoring snapshot {}", hex(args.snapshot_id.clone()))),
        work: Work::Restore {
            snapshot: args.snapshot_id,
            onto: args.onto,
        },
        sdk,
        health_query: None,
        replaceable: vec![],
        timeouts: args.timeouts.unwrap_or_default(),
    }
}

/// Step deadlines of backups: a backup that cannot drain or stop within a minute is skipped
/// (and reported) rather than keep the canister in maintenance; it runs again at the next slot.
pub const BACKUP_TIMEOUTS: PipelineTimeouts = PipelineTimeouts {
    drain_seconds: 60,
    stop_seconds: 60,
    ready_seconds: 300,
    call_seconds: 600,
};

/// How `start_backup` backs up a canister without a backup policy: stopped, keeping the most a
/// policy may, touching no snapshot it did not take.
pub const WITHOUT_POLICY: BackupPolicy = BackupPolicy {
    interval_hours: 24,
    window: None,
    keep: (MAX_SNAPSHOTS - 1) as u8,
    mode: BackupMode::Stopped,
    replace_any: false,
};

/// A backup of `target` in `policy`'s mode and retention: it may replace, and its retention
/// deletes, only the backups taken before (`backups_taken`), unless the policy says
/// `replace_any`.
pub fn backup(
    target: Principal,
    policy: &BackupPolicy,
    id: u64,
    started_by: Principal,
    sdk: bool,
    backups_taken: Vec<SnapshotId>,
) -> Request {
    Request {
        id,
        target,
        started_by,
        reason: "backing up: a snapshot is being taken".into(),
        work: Work::Backup {
            stop: policy.mode == BackupMode::Stopped,
            keep: policy.keep,
            replace_any: policy.replace_any,
        },
        sdk,
        health_query: None,
        replaceable: backups_taken,
        timeouts: BACKUP_TIMEOUTS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> UpgradeArgs {
        UpgradeArgs {
            canister_id: Principal::from_slice(&[1; 10]),
            wasm_module_hash: vec![0xab; 32],
            chunk_hashes: vec![vec![1; 32]],
            arg: vec![],
            skip_pre_upgrade: false,
            rehearse_on: None,
            keep_rehearsal: false,
            health_query: None,
            replaceable_snapshots: vec![vec![4]],
            reason: None,
            timeouts: None,
        }
    }

    fn field(r: Result<(), OperationError>) -> String {
        match r {
            Err(OperationError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_bad_argument_is_named() {
        let monitor = Principal::from_slice(&[9; 10]);
        assert_eq!(check_upgrade(&args(), monitor), Ok(()));
        let bad = |f: fn(&mut UpgradeArgs)| {
            let mut a = args();
            f(&mut a);
            field(check_upgrade(&a, monitor))
        };
        assert_eq!(
            bad(|a| a.wasm_module_hash.pop().map(drop).unwrap()),
            "wasm_module_hash"
        );
        assert_eq!(bad(|a| a.chunk_hashes.clear()), "chunk_hashes");
        assert_eq!(bad(|a| a.chunk_hashes.push(vec![1; 31])), "chunk_hashes[1]");
        assert_eq!(bad(|a| a.rehearse_on = Some(a.canister_id)), "rehearse_on");
        assert_eq!(
            bad(|a| a.rehearse_on = Some(Principal::from_slice(&[9; 10]))),
            "rehearse_on"
        );
        assert_eq!(
            bad(|a| a.health_query = Some(String::new())),
            "health_query"
        );
        assert_eq!(bad(|a| a.reason = Some("x".repeat(257))), "reason");
        assert_eq!(
            bad(|a| a.timeouts = Some(PipelineTimeouts {
                stop_seconds: 0,
                ..Default::default()
            })),
            "timeouts.stop_seconds"
        );
    }

    #[test]
    fn the_request_may_replace_the_pipelines_snapshots_and_those_listed() {
        let r = upgrade(
            args(),
            3,
            Principal::anonymous(),
            true,
            vec![vec![1], vec![2]],
        );
        assert_eq!(r.replaceable, [vec![1], vec![2], vec![4]]);
        assert_eq!(r.reason, "upgrading to module abababababab");
        assert_eq!(
            (r.id, r.sdk, r.timeouts),
            (3, true, PipelineTimeouts::default())
        );
    }
}
