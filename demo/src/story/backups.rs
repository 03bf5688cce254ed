//! Chapter 8: a nightly backup by the monitor, a bad write, and a restore of the backup.

use super::upgrades::span;
use crate::journal::{Journal, MarkKind, NS};
use crate::world::World;
use canister_hooks::units;
use canister_hooks_testkit::monitor::{
    BackupMode, BackupPolicy, BackupWindow, OperationView, Outcome, RestoreArgs,
};
use canister_hooks_testkit::Ic;
use std::time::Duration;

const CH: &str = "backup";
const HOUR: u64 = 3_600;

/// What the backup chapter saw.
pub struct BackupsOutcome {
    /// The nightly backup the monitor took on its own.
    pub backup: OperationView,
    /// Requests the load canister had served when it was backed up.
    pub served_at_backup: u64,
    /// Requests it had served after the bad writes.
    pub served_after_bad_writes: u64,
    /// The restore of the backup.
    pub restore: OperationView,
    /// Requests it had served once restored.
    pub served_after_restore: u64,
}

/// The load canister's count of requests served.
fn served<I: Ic>(world: &World<I>) -> Result<u64, String> {
    Ok(world
        .load()
        .load_status()
        .map_err(super::message)?
        .requests_served)
}

/// Steps time until `load`'s operation with an id above `after` has ended (at most `max_steps`
/// steps of `step`); its record.
fn wait_for_operation<I: Ic>(
    world: &World<I>,
    after: u64,
    step: Duration,
    max_steps: u32,
) -> Result<OperationView, String> {
    for _ in 0..max_steps {
        let status = world
            .monitor()
            .operation_status(world.ids.load)
            .map_err(super::message)?;
        if let Some(op) = status.filter(|o| o.id > after && o.outcome.is_some()) {
            return Ok(op);
        }
        world.run_for(step, 1);
    }
    Err("the monitor's operation on load did not end".into())
}

/// Chapter 8: the operator gives the load canister a nightly backup policy (the next hour of
/// the UTC day, keeping a week); the monitor backs it up in that window on its own. Then a bad
/// write (a client's requests the team did not want) and a restore of the backup through the
/// monitor: the canister is back where the backup left it.
pub fn backups<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
) -> Result<BackupsOutcome, String> {
    let load = world.ids.load;
    let hour = (world.now_ns() / NS / HOUR + 1) % 24;
    let policy = BackupPolicy {
        interval_hours: 24,
        window: Some(BackupWindow {
            start_hour: hour as u8,
            end_hour: ((hour + 1) % 24) as u8,
        }),
        keep: 7,
        mode: BackupMode::Stopped,
        replace_any: false,
    };
    let next = world
        .monitor()
        .set_backup_policy(load, Some(policy))
        .map_err(super::message)?
        .map_err(|e| format!("set_backup_policy: {e}"))?
        .ok_or("no backup was scheduled")?;
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "operator sets a nightly backup of load between {hour:02}:00 and {:02}:00 UTC, keeping \
             7; the monitor schedules it for {}",
            (hour + 1) % 24,
            units::utc(next)
        ),
    );
    let last_id = world
        .monitor()
        .operation_status(load)
        .map_err(super::message)?
        .map_or(0, |o| o.id);
    let backup = wait_for_operation(world, last_id, Duration::from_secs(300), 30)?;
    if backup.outcome != Some(Outcome::Succeeded) {
        return Err(format!("the nightly backup failed: {backup:?}"));
    }
    let served_at_backup = served(world)?;
    let ended = backup.ended_at_ns.unwrap_or_default();
    journal.note(
        ended,
        CH,
        format!(
            "the monitor backed load up at {} on its own: a snapshot of {}, load stopped for {} \
             ({served_at_backup} requests served so far)",
            units::utc(backup.started_at_ns),
            units::bytes(backup.snapshot_bytes.unwrap_or_default()),
            span(backup.target_stopped_ns)
        ),
    );
    journal.mark(
        ended,
        "load",
        MarkKind::Backup,
        "nightly backup",
        format!(
            "the monitor took a {} snapshot of load, stopped for {}",
            units::bytes(backup.snapshot_bytes.unwrap_or_default()),
            span(backup.target_stopped_ns)
        ),
    );

    // The bad write: requests the team did not want.
    for _ in 0..5 {
        world.load().serve().map_err(super::message)?;
    }
    let served_after_bad_writes = served(world)?;
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "a bad client writes to load: {served_after_bad_writes} requests served; the team \
             wants the state of the backup back"
        ),
    );

    let snapshot_id = backup
        .snapshot_id
        .clone()
        .ok_or("the backup has a snapshot")?;
    let started = world
        .monitor()
        .start_restore(RestoreArgs {
            canister_id: load,
            snapshot_id,
            onto: None,
            reason: Some("restoring last night's backup".into()),
            timeouts: None,
        })
        .map_err(super::message)?
        .map_err(|e| format!("start_restore: {e}"))?;
    let restore = wait_for_operation(world, started.id - 1, Duration::from_secs(1), 120)?;
    if restore.outcome != Some(Outcome::Succeeded) {
        return Err(format!("the restore failed: {restore:?}"));
    }
    let served_after_restore = served(world)?;
    let ended = restore.ended_at_ns.unwrap_or_default();
    journal.note(
        ended,
        CH,
        format!(
            "operator restores the backup through the monitor (maintenance, stop, load, start, \
             readiness) in {}: load has served {served_after_restore} requests again, as at the \
             backup",
            span(ended - restore.started_at_ns)
        ),
    );
    journal.mark(
        ended,
        "load",
        MarkKind::Restore,
        "backup restored",
        format!(
            "the nightly backup of load restored in {}",
            span(ended - restore.started_at_ns)
        ),
    );
    Ok(BackupsOutcome {
        backup,
        served_at_backup,
        served_after_bad_writes,
        restore,
        served_after_restore,
    })
}
