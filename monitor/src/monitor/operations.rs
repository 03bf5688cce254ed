//! Lifecycle operations (upgrades, backups, restores): starting one, starting scheduled backups,
//! handing an operation's task its next call, recording the reply, and what an outcome leads to
//! (history, counters, the backup schedule, an `on_error` event for failures).

use super::{Monitor, MAX_MESSAGE_BYTES};
use crate::api::*;
use crate::policy::access::{self, Caller};
use crate::policy::backup_schedule::{self, check_policy, in_window, next_at_ns};
use crate::policy::pipeline::{hex, request, Action, Next, Pipeline, Reply, Request, Work};
use crate::state::operations::{BackupSchedule, OperationCounts, TakenBy};
use candid::Principal;
use canister_hooks_types::text::truncate;
use ic_stable_structures::Memory;
use std::collections::{BTreeMap, BTreeSet};

/// Most operations `operations` returns.
pub const MAX_HISTORY_PAGE: usize = 100;

impl<M: Memory> Monitor<M> {
    /// What every lifecycle request checks first: the caller may call `method`, and `canister`
    /// is registered.
    pub fn check_lifecycle(
        &self,
        caller: &Caller,
        method: &str,
        canister: Principal,
    ) -> Result<(), OperationError> {
        access::check(method, caller).map_err(|_| OperationError::NotAuthorized {
            caller: caller.principal,
        })?;
        if self.canisters.contains(&canister) {
            Ok(())
        } else {
            Err(OperationError::NotRegistered {
                canister_id: canister,
            })
        }
    }

    /// Errs while an operation runs for `canister`.
    fn check_idle(&self, canister: Principal) -> Result<(), OperationError> {
        match self.operations.running(&canister) {
            Some(p) => Err(OperationError::AlreadyRunning {
                canister_id: canister,
                id: p.request.id,
                step: p.current().expect("a running operation has a step"),
            }),
            None => Ok(()),
        }
    }

    /// What `start_upgrade` checks before any call.
    pub fn check_upgrade(&self, caller: &Caller, args: &UpgradeArgs) -> Result<(), OperationError> {
        self.check_lifecycle(caller, "start_upgrade", args.canister_id)?;
        request::check_upgrade(args, self.id)?;
        self.check_idle(args.canister_id)
    }

    /// Starts an upgrade checked by [`Monitor::check_upgrade`] and the calls after it (checked
    /// again: another operation may have started meanwhile). `sdk`: the target links the SDK.
    pub fn begin_upgrade(
        &mut self,
        caller: &Caller,
        args: UpgradeArgs,
        sdk: bool,
        now_ns: u64,
    ) -> Result<OperationView, OperationError> {
        self.check_upgrade(caller, &args)?;
        let taken = self
            .operations
            .snapshots(&args.canister_id)
            .ids(TakenBy::Upgrade);
        let id = self.operations.next_id();
        let request = request::upgrade(args, id, caller.principal, sdk, taken);
        Ok(self.begin(request, now_ns))
    }

    /// What `start_restore` checks before any call.
    pub fn check_restore(&self, caller: &Caller, args: &RestoreArgs) -> Result<(), OperationError> {
        self.check_lifecycle(caller, "start_restore", args.canister_id)?;
        request::check_restore(args, self.id)?;
        self.check_idle(args.canister_id)
    }

    /// Starts a restore checked by [`Monitor::check_restore`] and the calls after it.
    pub fn begin_restore(
        &mut self,
        caller: &Caller,
        args: RestoreArgs,
        sdk: bool,
        now_ns: u64,
    ) -> Result<OperationView, OperationError> {
        self.check_restore(caller, &args)?;
        let id = self.operations.next_id();
        Ok(self.begin(request::restore(args, id, caller.principal, sdk), now_ns))
    }

    /// What `set_backup_policy` checks before any call.
    pub fn check_backup_policy(
        &self,
        caller: &Caller,
        canister: Principal,
        policy: &Option<BackupPolicy>,
    ) -> Result<(), OperationError> {
        self.check_lifecycle(caller, "set_backup_policy", canister)?;
        policy.as_ref().map_or(Ok(()), check_policy)
    }

    /// Sets (or removes) `canister`'s backup policy; returns when its first backup is due.
    pub fn set_backup_policy(
        &mut self,
        caller: &Caller,
        canister: Principal,
        policy: Option<BackupPolicy>,
        sdk: bool,
        now_ns: u64,
    ) -> Result<Option<u64>, OperationError> {
        self.check_backup_policy(caller, canister, &policy)?;
        Ok(self.schedule_backups(canister, policy, sdk, now_ns))
    }

    /// Sets (or removes) `canister`'s checked backup policy; returns when its next backup is
    /// due. A backup running now keeps its schedule slot until it ends.
    pub fn schedule_backups(
        &mut self,
        canister: Principal,
        policy: Option<BackupPolicy>,
        sdk: bool,
        now_ns: u64,
    ) -> Option<u64> {
        let old = self.operations.schedule(&canister);
        if let Some(old) = &old {
            self.backups_due().remove(&(old.next_at_ns, canister));
        }
        let schedule = policy.map(|policy| {
            let last = old.as_ref().and_then(|o| o.last_success_ns);
            BackupSchedule {
                policy,
                sdk,
                next_at_ns: next_at_ns(&policy, canister, last, now_ns),
                last_success_ns: last,
                last_failure: old.and_then(|o| o.last_failure),
            }
        });
        let next = schedule.as_ref().map(|s| s.next_at_ns);
        if let Some(at) = next {
            self.backups_due().insert((at, canister));
        }
        self.operations.set_schedule(canister, schedule);
        next
    }

    /// Starts a backup now (`start_backup`), in the policy's mode and retention, or `mode`
    /// keeping the most a policy may when the canister has no policy.
    pub fn begin_backup(
        &mut self,
        caller: &Caller,
        canister: Principal,
        mode: Option<BackupMode>,
        sdk: bool,
        now_ns: u64,
    ) -> Result<OperationView, OperationError> {
        self.check_lifecycle(caller, "start_backup", canister)?;
        self.check_idle(canister)?;
        let policy = self
            .operations
            .schedule(&canister)
            .map_or(request::WITHOUT_POLICY, |s| s.policy);
        let policy = BackupPolicy {
            mode: mode.unwrap_or(policy.mode),
            ..policy
        };
        Ok(self.start_backup_now(canister, &policy, caller.principal, sdk, now_ns))
    }

    fn start_backup_now(
        &mut self,
        canister: Principal,
        policy: &BackupPolicy,
        started_by: Principal,
        sdk: bool,
        now_ns: u64,
    ) -> OperationView {
        let id = self.operations.next_id();
        let taken = self.operations.snapshots(&canister).ids(TakenBy::Backup);
        let request = request::backup(canister, policy, id, started_by, sdk, taken);
        self.begin(request, now_ns)
    }

    fn begin(&mut self, request: Request, now_ns: u64) -> OperationView {
        let op = Pipeline::start(request, now_ns);
        let view = op.view();
        self.operations.count_started(&view.kind);
        self.save_operation(op);
        view
    }

    /// The running or latest operation of `canister`.
    pub fn operation_status(&self, canister: Principal) -> Option<OperationView> {
        self.operations
            .running(&canister)
            .or_else(|| self.operations.history(Some(canister), u64::MAX, 1).pop())
            .map(|p| p.view())
    }

    /// Finished operations, newest first.
    pub fn operations(&self, filter: &OperationFilter) -> Vec<OperationView> {
        let limit = filter
            .limit
            .map_or(20, |l| l as usize)
            .clamp(1, MAX_HISTORY_PAGE);
        let before = filter.before_id.unwrap_or(u64::MAX);
        self.operations
            .history(filter.canister_id, before, limit)
            .iter()
            .map(Pipeline::view)
            .collect()
    }

    /// Every running operation, then the `finished` latest finished ones (the status page).
    pub fn recent_operations(&self, finished: usize) -> Vec<OperationView> {
        let running = self.operations.all_running();
        let ended = self.operations.history(None, u64::MAX, finished);
        running.chain(ended).map(|p| p.view()).collect()
    }

    /// Operation ids and outcome counts, for `/metrics`.
    pub fn operation_counts(&self) -> OperationCounts {
        self.operations.counts()
    }

    /// `canister`'s backups: policy, backups kept, next one, last failure, what they cost.
    pub fn backups(&self, canister: Principal) -> BackupsView {
        let schedule = self.operations.schedule(&canister);
        let snapshots = self.operations.snapshots(&canister);
        BackupsView {
            canister_id: canister,
            policy: schedule.as_ref().map(|s| s.policy),
            backups: snapshots
                .taken
                .iter()
                .filter(|t| t.by == TakenBy::Backup)
                .map(|t| BackupView {
                    snapshot_id: t.info.id.clone(),
                    taken_at_ns: t.info.taken_at_ns,
                    bytes: t.info.bytes,
                })
                .collect(),
            // While a scheduled backup runs, the next one is set when it ends.
            next_at_ns: schedule
                .as_ref()
                .map(|s| s.next_at_ns)
                .filter(|at| *at != u64::MAX),
            last_failure: schedule.and_then(|s| s.last_failure),
            snapshot_bytes: snapshots.held_bytes,
            snapshot_cycles_per_day: backup_schedule::storage_cycles_per_day(snapshots.held_bytes),
        }
    }

    /// The backups of every canister with a backup policy (the status page, `/metrics`).
    pub fn all_backups(&self) -> Vec<BackupsView> {
        let ids: Vec<Principal> = self.operations.schedules().map(|(id, _)| id).collect();
        ids.into_iter().map(|id| self.backups(id)).collect()
    }

    fn wakeups(&mut self) -> &mut BTreeMap<Principal, u64> {
        let operations = &self.operations;
        self.operation_wakeups.get_or_insert_with(|| {
            operations
                .all_running()
                .filter_map(|p| Some((p.request.target, p.wakeup_ns()?)))
                .collect()
        })
    }

    fn backups_due(&mut self) -> &mut BTreeSet<(u64, Principal)> {
        let operations = &self.operations;
        self.backups_due.get_or_insert_with(|| {
            operations
                .schedules()
                .map(|(id, s)| (s.next_at_ns, id))
                .collect()
        })
    }

    fn save_operation(&mut self, op: Pipeline) {
        let target = op.request.target;
        match op.wakeup_ns() {
            Some(at) => self.wakeups().insert(target, at),
            None => self.wakeups().remove(&target),
        };
        self.operations.save(op);
    }

    /// When the next operation without a running task wants to run. Scheduled backups are not
    /// counted: they start at the next tick that runs anyway (the watchdog's, at the latest).
    pub fn next_operation_wakeup(&mut self) -> Option<u64> {
        let operating = std::mem::take(&mut self.operating);
        let next = self
            .wakeups()
            .iter()
            .filter(|(id, _)| !operating.contains(id))
            .map(|(_, at)| *at)
            .min();
        self.operating = operating;
        next
    }

    /// Operations due now without a running task, marked as having one, after starting the
    /// scheduled backups that are due. A call an operation's stored state says is in flight was
    /// lost to an upgrade of the monitor: its outcome is unknown.
    pub fn take_due_operations(&mut self, now_ns: u64) -> Vec<Principal> {
        self.start_due_backups(now_ns);
        let due: Vec<Principal> = self
            .wakeups()
            .iter()
            .filter(|(_, at)| **at <= now_ns)
            .map(|(id, _)| *id)
            .collect();
        let due: Vec<Principal> = due
            .into_iter()
            .filter(|id| !self.operating.contains(id))
            .collect();
        for id in &due {
            self.operating.insert(*id);
            if let Some(mut p) = self.operations.running(id) {
                if p.resume(now_ns) {
                    self.finish_or_save(p, now_ns);
                }
            }
        }
        due
    }

    /// Starts the scheduled backups that are due, at most `max_concurrent_backups` running; a
    /// backup due outside its window (the monitor was stopped through it) waits for the next.
    fn start_due_backups(&mut self, now_ns: u64) {
        let first_later = (now_ns.saturating_add(1), Principal::management_canister());
        let due: Vec<(u64, Principal)> = self.backups_due().range(..first_later).copied().collect();
        if due.is_empty() {
            return;
        }
        let mut running = self
            .operations
            .all_running()
            .filter(|p| matches!(p.request.work, Work::Backup { .. }))
            .count();
        for (at, canister) in due {
            if running >= self.config.get().backup_concurrency() as usize {
                break;
            }
            if self.operations.running(&canister).is_some() {
                continue; // an upgrade or restore first; the backup stays due
            }
            let Some(mut schedule) = self.operations.schedule(&canister) else {
                continue;
            };
            self.backups_due().remove(&(at, canister));
            if in_window(&schedule.policy, now_ns) {
                let p = schedule.policy;
                self.start_backup_now(canister, &p, self.id, schedule.sdk, now_ns);
                running += 1;
                // Due again only once this one ends (see `after_backup`).
                schedule.next_at_ns = u64::MAX;
            } else {
                schedule.next_at_ns =
                    next_at_ns(&schedule.policy, canister, schedule.last_success_ns, now_ns);
                self.backups_due().insert((schedule.next_at_ns, canister));
            }
            self.operations.set_schedule(canister, Some(schedule));
        }
    }

    /// Drops `canister`'s backup schedule (it was unregistered); its snapshots stay.
    pub fn forget_backup_schedule(&mut self, canister: Principal) {
        if let Some(s) = self.operations.schedule(&canister) {
            self.backups_due().remove(&(s.next_at_ns, canister));
            self.operations.set_schedule(canister, None);
        }
    }

    /// Ends the task of `canister`'s operation.
    pub fn release_operation(&mut self, canister: Principal) {
        self.operating.remove(&canister);
    }

    /// The call `canister`'s operation makes now and how long it may wait, stored as made;
    /// `None` when the operation waits or is over.
    pub fn operation_call(&mut self, canister: Principal, now_ns: u64) -> Option<(Action, u32)> {
        let mut p = self.operations.running(&canister)?;
        let Next::Call(action) = p.next(now_ns) else {
            return None;
        };
        p.begin_call();
        let timeout = p.call_timeout_seconds(now_ns, self.config.get().call_timeout_seconds);
        self.save_operation(p);
        Some((action, timeout))
    }

    /// Records the reply to the call of `canister`'s operation.
    pub fn operation_reply(&mut self, canister: Principal, reply: Reply, now_ns: u64) {
        if let Some(mut p) = self.operations.running(&canister) {
            p.record(reply, now_ns);
            self.finish_or_save(p, now_ns);
        }
    }

    /// Stores `p`; once it is over, reschedules a backup and tells the target of a failure
    /// (`on_error`).
    fn finish_or_save(&mut self, p: Pipeline, now_ns: u64) {
        if p.outcome.is_none() {
            self.save_operation(p);
            return;
        }
        let view = p.view();
        let target = p.request.target;
        self.save_operation(p);
        let Some(outcome) = &view.outcome else { return };
        match &view.kind {
            OperationKind::Backup { .. } => self.after_backup(target, outcome, now_ns),
            OperationKind::Upgrade {
                wasm_module_hash,
                rehearse_on,
            } => {
                // The monitor installed this module (a failed upgrade may have left it): the
                // sample that sees it raises no event.
                for canister in std::iter::once(target).chain(*rehearse_on) {
                    self.expect_pipeline_change(canister, Some(wasm_module_hash.clone()), now_ns);
                }
            }
            OperationKind::Restore { onto, .. } => {
                self.expect_pipeline_change(onto.unwrap_or(target), None, now_ns)
            }
        }
        if *outcome == Outcome::Succeeded {
            return;
        }
        let message = format!(
            "{} {}{}: {outcome}",
            view.kind.name(),
            view.id,
            match &view.kind {
                OperationKind::Upgrade {
                    wasm_module_hash, ..
                } => format!(" to module {}", hex(wasm_module_hash.clone())),
                _ => String::new(),
            }
        );
        if let Some(reg) = self.canisters.registration(&target) {
            let event = HookEvent::Error(ErrorEvent {
                id: 0,
                origin: EventOrigin::Monitor(self.id),
                source: ErrorSource::System(format!("{}_failed", view.kind.name())),
                message: truncate(&message, MAX_MESSAGE_BYTES).to_string(),
                reject_code: None,
                time_ns: now_ns,
                count: 1,
            });
            self.emit(&reg, event, now_ns);
        }
    }

    /// After a backup of `canister`: the schedule's next backup, and its last failure (kept
    /// until a success).
    fn after_backup(&mut self, canister: Principal, outcome: &Outcome, now_ns: u64) {
        let Some(mut s) = self.operations.schedule(&canister) else {
            return;
        };
        self.backups_due().remove(&(s.next_at_ns, canister));
        if *outcome == Outcome::Succeeded {
            s.last_success_ns = Some(now_ns);
            s.last_failure = None;
        } else {
            s.last_failure = Some(format!(
                "{}: {outcome}",
                canister_hooks_types::units::utc(now_ns)
            ));
        }
        // After a failure too, the next backup is the next slot: no retry storm in the window.
        s.next_at_ns = next_at_ns(&s.policy, canister, Some(now_ns), now_ns);
        self.backups_due().insert((s.next_at_ns, canister));
        self.operations.set_schedule(canister, Some(s));
    }
}
