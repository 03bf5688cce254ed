//! Chapter 7: a busy canister upgraded through the monitor's pipeline, cleanly, then to a broken
//! release that the pipeline rolls back on its own, with the clients' view of both.

use super::{
    event_ids, events, message, record_samples, wait_until_delivered, Awaited, HookOutcome,
};
use crate::journal::{Journal, MarkKind, NS};
use crate::traffic::Traffic;
use crate::world::{Modules, World};
use canister_hooks::units;
use canister_hooks_testkit::examples::{load_release, LoadStatus, ReleaseFault};
use canister_hooks_testkit::monitor::{
    ErrorSource, EventRecord, HookEvent, OperationView, Outcome, PipelineTimeouts, UpgradeArgs,
};
use canister_hooks_testkit::wasm::tagged_release;
use canister_hooks_testkit::Ic;
use std::time::Duration;

const CH: &str = "upgrade";

/// Step deadlines of the demo's upgrades: short, so that a release that never becomes ready is
/// rolled back within a minute.
pub const PIPELINE_TIMEOUTS: PipelineTimeouts = PipelineTimeouts {
    drain_seconds: 60,
    stop_seconds: 60,
    ready_seconds: 30,
    call_seconds: 60,
};

/// One upgrade of the load canister through the monitor's pipeline, as its clients lived it.
pub struct UpgradeRun {
    /// The release's name (`v2`).
    pub release: &'static str,
    /// SHA-256 of the release's module.
    pub release_hash: Vec<u8>,
    /// The module the canister ran before the upgrade.
    pub module_before: Vec<u8>,
    /// The module it runs after the pipeline.
    pub module_after: Vec<u8>,
    /// The monitor's record of the pipeline, ended.
    pub view: OperationView,
    /// What the clients saw from the pipeline's start until an update was served after it.
    pub traffic: Traffic,
    /// The canister's counters before the pipeline.
    pub before: LoadStatus,
    /// Its counters once it served again.
    pub after: LoadStatus,
}

impl UpgradeRun {
    /// Whether the canister kept its state: every request served before and during the
    /// pipeline is counted, and its grown stable memory is still there.
    pub fn state_kept(&self) -> bool {
        self.after.requests_served
            == self.before.requests_served + u64::from(self.traffic.updates_served)
            && self.after.ledger.stable_grown == self.before.ledger.stable_grown
    }

    /// How long the pipeline ran, as people read it.
    fn duration(&self) -> String {
        let view = &self.view;
        span(view.ended_at_ns.unwrap_or(view.started_at_ns) - view.started_at_ns)
    }

    /// How long the canister was stopped, as people read it.
    fn stopped(&self) -> String {
        span(self.view.target_stopped_ns)
    }
}

/// What the upgrade chapter saw.
pub struct UpgradesOutcome {
    /// What the clients saw before the upgrades.
    pub warm_up: Traffic,
    /// The clean upgrade to v2.
    pub clean: UpgradeRun,
    /// The broken release v3, rolled back.
    pub broken: UpgradeRun,
    /// The `on_error` event the pipeline raised for the rollback, delivered to the load canister.
    pub rollback_reported: HookOutcome,
    /// `on_error` events about v3's failing post-init task, raised by the monitor.
    pub init_task_errors: usize,
    /// What the clients saw in the two minutes after the rollback.
    pub after_rollback: Traffic,
}

/// Chapter 7: clients call the load canister every second while the operator upgrades it
/// through the monitor's pipeline: a clean upgrade to v2 (updates refused while it is in
/// maintenance, queries served, its state kept), then v3, a release that never becomes ready,
/// which the pipeline rolls back from its snapshot on its own.
pub fn upgrades<I: Ic>(
    world: &mut World<I>,
    modules: &Modules,
    journal: &mut Journal,
) -> Result<UpgradesOutcome, String> {
    let warm_up = steady_traffic(world, journal, 30, Duration::from_secs(1));
    journal.note(
        world.now_ns(),
        CH,
        format!("clients call load every second: {}", warm_up.describe()),
    );
    let monitor = Some(world.ids.monitor);
    let clean = upgrade_load(world, journal, "v2", modules, load_release(monitor, None))?;
    tell_clean_upgrade(world, journal, &clean)?;

    for _ in 0..18 {
        world.run_for(Duration::from_secs(10), 1);
        record_samples(world, journal);
    }
    let known = event_ids(world, world.ids.load)?;
    let broken_arg = load_release(monitor, Some(ReleaseFault::NeverReady));
    let broken = upgrade_load(world, journal, "v3", modules, broken_arg)?;
    tell_rollback(world, journal, &broken, clean.release)?;
    let (rollback_reported, init_task_errors) = await_rollback_report(world, journal, &known)?;

    let after_rollback = steady_traffic(world, journal, 12, Duration::from_secs(10));
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "clients call load every 10 s on v2: {}",
            after_rollback.describe()
        ),
    );
    Ok(UpgradesOutcome {
        warm_up,
        clean,
        broken,
        rollback_reported,
        init_task_errors,
        after_rollback,
    })
}

/// Clients call the load canister `calls` times, once `every` so often, its measures sampled
/// after each call.
fn steady_traffic<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    calls: u32,
    every: Duration,
) -> Traffic {
    let mut traffic = Traffic::default();
    for _ in 0..calls {
        traffic.call(&world.load(), world.now_ns());
        world.run_for(every, 1);
        record_samples(world, journal);
    }
    traffic
}

/// Uploads the load canister's code as `release` through the monitor and upgrades the canister
/// to it with `arg`, a client calling it every second, until the pipeline has ended and an
/// update is served again.
fn upgrade_load<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    release: &'static str,
    modules: &Modules,
    arg: Vec<u8>,
) -> Result<UpgradeRun, String> {
    let load = world.ids.load;
    let wasm = tagged_release(&modules.load, release);
    let before = world.load().load_status().map_err(message)?;
    let module_before = world.module_hash(load)?;
    let (release_hash, chunk_hashes) = world.monitor().upload_module(load, &wasm)?;
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "operator uploads {release} ({} in {} chunks) through the monitor and starts the \
             upgrade of load",
            units::bytes(wasm.len() as u64),
            chunk_hashes.len()
        ),
    );
    world
        .monitor()
        .start_upgrade(UpgradeArgs {
            reason: Some(format!("upgrade to {release}")),
            timeouts: Some(PIPELINE_TIMEOUTS),
            ..UpgradeArgs::new(load, release_hash.clone(), chunk_hashes, arg)
        })
        .map_err(message)?
        .map_err(|e| format!("start_upgrade: {e}"))?;
    let mut traffic = Traffic::default();
    let mut ended = None;
    for second in 1..=600 {
        traffic.call(&world.load(), world.now_ns());
        world.run_for(Duration::from_secs(1), 1);
        if second % 10 == 0 {
            record_samples(world, journal);
        }
        ended = world
            .monitor()
            .operation_status(load)
            .map_err(message)?
            .filter(|view| view.outcome.is_some());
        if ended.is_some() {
            break;
        }
    }
    let view = ended.ok_or(format!(
        "the upgrade to {release} did not end in 10 minutes"
    ))?;
    record_samples(world, journal);
    let mut served = false;
    for _ in 0..60 {
        served = traffic.call(&world.load(), world.now_ns());
        if served {
            break;
        }
        world.run_for(Duration::from_secs(1), 1);
    }
    if !served {
        return Err(format!(
            "load refused updates for a minute after the upgrade to {release}: {}",
            traffic.describe()
        ));
    }
    Ok(UpgradeRun {
        release,
        release_hash,
        module_before,
        module_after: world.module_hash(load)?,
        view,
        traffic,
        before,
        after: world.load().load_status().map_err(message)?,
    })
}

/// Journals and marks the clean upgrade; an error if it did not succeed.
fn tell_clean_upgrade<I: Ic>(
    world: &World<I>,
    journal: &mut Journal,
    run: &UpgradeRun,
) -> Result<(), String> {
    if run.view.outcome != Some(Outcome::Succeeded) {
        return Err(format!(
            "the upgrade to {} failed: {:?}",
            run.release, run.view
        ));
    }
    let (release, took, stopped) = (run.release, run.duration(), run.stopped());
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "upgrade to {release} succeeded in {took}, load stopped for {stopped}; it runs \
             {release} ({})",
            short_hash(&run.module_after)
        ),
    );
    tell_clients(world, journal, run);
    journal.mark(
        run.view.ended_at_ns.unwrap_or_default(),
        "load",
        MarkKind::Upgrade,
        format!("upgrade {release} ✓"),
        format!(
            "load upgraded to {release} through the monitor's pipeline in {took}, stopped for \
             {stopped}; clients: {}",
            run.traffic.describe()
        ),
    );
    Ok(())
}

/// Journals and marks the rollback of a broken release to the `previous` one; an error if it was
/// not rolled back.
fn tell_rollback<I: Ic>(
    world: &World<I>,
    journal: &mut Journal,
    run: &UpgradeRun,
    previous: &str,
) -> Result<(), String> {
    let release = run.release;
    let Some(Outcome::RolledBack { step, reason }) = &run.view.outcome else {
        return Err(format!("{release} was not rolled back: {:?}", run.view));
    };
    let failed = run
        .view
        .steps
        .iter()
        .find(|s| s.error.is_some())
        .ok_or("a rolled-back pipeline has a failed step")?;
    journal.note(
        failed.ended_at_ns,
        CH,
        format!(
            "{release} never became ready: {} failed after {}: {reason}",
            step.label(),
            span(failed.ended_at_ns - failed.started_at_ns)
        ),
    );
    let ended_ns = run.view.ended_at_ns.unwrap_or_default();
    let back = span(ended_ns.saturating_sub(failed.ended_at_ns));
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "rolled back automatically from the snapshot taken before the install: load runs \
             {previous} again ({}), back in service {back} after the failure; pipeline {}, load \
             stopped for {} in all",
            short_hash(&run.module_after),
            run.duration(),
            run.stopped()
        ),
    );
    tell_clients(world, journal, run);
    journal.mark(
        ended_ns,
        "load",
        MarkKind::Rollback,
        format!("rollback of {release}"),
        format!(
            "{release} rolled back: {} failed: {reason}; back in service {back} after the \
             failure; clients: {}",
            step.label(),
            run.traffic.describe()
        ),
    );
    Ok(())
}

/// Journals what the clients saw during `run` and whether the canister kept its state.
fn tell_clients<I: Ic>(world: &World<I>, journal: &mut Journal, run: &UpgradeRun) {
    let now = world.now_ns();
    journal.note(
        now,
        CH,
        format!("clients meanwhile: {}", run.traffic.describe()),
    );
    if let Some(rejection) = &run.traffic.maintenance_message {
        journal.note(now, CH, format!("a client's update was told: {rejection}"));
    }
    let state = format!(
        "{} requests served, {} of stable memory grown",
        run.after.requests_served,
        units::bytes(run.after.ledger.stable_grown)
    );
    if run.state_kept() {
        journal.note(now, CH, format!("state kept: {state}"));
    } else {
        journal.note(
            now,
            CH,
            format!(
                "state NOT kept: {state}, after {} requests served before and {} during the upgrade",
                run.before.requests_served, run.traffic.updates_served
            ),
        );
    }
}

/// Waits for the pipeline's `on_error` about the rollback to reach the load canister; returns
/// it and how many `on_error` events about the broken release's post-init task came before
/// (events not among the `known` ids).
fn await_rollback_report<I: Ic>(
    world: &mut World<I>,
    journal: &mut Journal,
    known: &[u64],
) -> Result<(HookOutcome, usize), String> {
    let new_error = |e: &EventRecord, is: &dyn Fn(&ErrorSource) -> bool| {
        !known.contains(&e.id) && matches!(&e.event, HookEvent::Error(error) if is(&error.source))
    };
    let pipeline = ErrorSource::System("upgrade_failed".into());
    let told_of_rollback = |e: &EventRecord| new_error(e, &|source| *source == pipeline);
    let awaited = Awaited {
        canister: world.ids.load,
        what: "on_error about the rollback".into(),
        matches: &told_of_rollback,
    };
    let reported = wait_until_delivered(world, journal, CH, awaited, 5, |_| Ok(()))?;
    let init_task_errors = events(world, Some(world.ids.load))?
        .iter()
        .filter(|e| new_error(e, &|source| matches!(source, ErrorSource::InitTask(_))))
        .count();
    journal.note(
        world.now_ns(),
        CH,
        format!(
            "while the broken release ran, the monitor had told load's on_error of each failed \
             attempt of its post-init task it saw ({init_task_errors} events)"
        ),
    );
    Ok((reported, init_task_errors))
}

/// A duration in nanoseconds as people read it (`under 1 s`, `14 s`, `2 min 5 s`).
pub(super) fn span(ns: u64) -> String {
    if ns < NS {
        "under 1 s".into()
    } else {
        units::duration(ns / NS)
    }
}

/// The start of a module hash, enough to tell releases apart (`module 3f9a0c12…`).
fn short_hash(hash: &[u8]) -> String {
    let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("module {hex}…")
}
