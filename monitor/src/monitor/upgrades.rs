//! Upgrade pipelines: starting one, handing its task the next call, recording the reply, and
//! what an outcome leads to (history, counters, an `on_error` event for failures).

use super::{Monitor, MAX_MESSAGE_BYTES};
use crate::api::*;
use crate::policy::access::{self, Caller};
use crate::policy::pipeline::{hex, request, Action, Next, Pipeline, Reply};
use crate::state::codec;
use crate::state::pipelines::PipelineCounts;
use candid::Principal;
use ic_stable_structures::Memory;
use std::collections::BTreeMap;

/// Most pipelines `upgrade_history` returns.
pub const MAX_HISTORY_PAGE: usize = 100;

impl<M: Memory> Monitor<M> {
    /// What `start_upgrade` checks before any call: the caller, the arguments, the
    /// registration, and that no pipeline runs for the canister.
    pub fn check_upgrade(&self, caller: &Caller, args: &UpgradeArgs) -> Result<(), UpgradeError> {
        access::check("start_upgrade", caller).map_err(|_| UpgradeError::NotAuthorized {
            caller: caller.principal,
        })?;
        request::check(args, self.id)?;
        if !self.canisters.contains(&args.canister_id) {
            return Err(UpgradeError::NotRegistered {
                canister_id: args.canister_id,
            });
        }
        match self.pipelines.running(&args.canister_id) {
            Some(p) => Err(UpgradeError::AlreadyRunning {
                canister_id: args.canister_id,
                id: p.request.id,
                step: p.current().expect("a running pipeline has a step"),
            }),
            None => Ok(()),
        }
    }

    /// What `upload_chunk` checks before its call: the caller, and that `canister` is registered.
    pub fn check_chunk_upload(
        &self,
        caller: &Caller,
        canister: Principal,
    ) -> Result<(), UpgradeError> {
        access::check("upload_chunk", caller).map_err(|_| UpgradeError::NotAuthorized {
            caller: caller.principal,
        })?;
        if self.canisters.contains(&canister) {
            Ok(())
        } else {
            Err(UpgradeError::NotRegistered {
                canister_id: canister,
            })
        }
    }

    /// Starts a pipeline checked by [`Monitor::check_upgrade`] and the calls after it (checked
    /// again: another may have started meanwhile). `sdk`: the target links the SDK.
    pub fn begin_upgrade(
        &mut self,
        caller: &Caller,
        args: UpgradeArgs,
        sdk: bool,
        now_ns: u64,
    ) -> Result<UpgradeView, UpgradeError> {
        self.check_upgrade(caller, &args)?;
        let taken = self.pipelines.snapshots_taken(&args.canister_id);
        let id = self.pipelines.next_id();
        let pipeline = Pipeline::start(
            request::request(args, id, caller.principal, sdk, taken),
            now_ns,
        );
        let view = pipeline.view();
        self.save_pipeline(pipeline);
        Ok(view)
    }

    /// The running or latest pipeline of `canister`.
    pub fn upgrade_status(&self, canister: Principal) -> Option<UpgradeView> {
        self.pipelines
            .running(&canister)
            .or_else(|| self.pipelines.history(Some(canister), u64::MAX, 1).pop())
            .map(|p| p.view())
    }

    /// Finished pipelines, newest first.
    pub fn upgrade_history(&self, filter: &UpgradeFilter) -> Vec<UpgradeView> {
        let limit = filter
            .limit
            .map_or(20, |l| l as usize)
            .clamp(1, MAX_HISTORY_PAGE);
        let before = filter.before_id.unwrap_or(u64::MAX);
        self.pipelines
            .history(filter.canister_id, before, limit)
            .iter()
            .map(Pipeline::view)
            .collect()
    }

    /// Every running pipeline, then the `finished` latest finished ones (the status page).
    pub fn recent_upgrades(&self, finished: usize) -> Vec<UpgradeView> {
        let running = self.pipelines.all_running();
        let ended = self.pipelines.history(None, u64::MAX, finished);
        running.chain(ended).map(|p| p.view()).collect()
    }

    /// Pipeline ids and outcome counts, for `/metrics`.
    pub fn upgrade_counts(&self) -> PipelineCounts {
        self.pipelines.counts()
    }

    fn wakeups(&mut self) -> &mut BTreeMap<Principal, u64> {
        let pipelines = &self.pipelines;
        self.pipeline_wakeups.get_or_insert_with(|| {
            pipelines
                .all_running()
                .filter_map(|p| Some((p.request.target, p.wakeup_ns()?)))
                .collect()
        })
    }

    fn save_pipeline(&mut self, pipeline: Pipeline) {
        let target = pipeline.request.target;
        match pipeline.wakeup_ns() {
            Some(at) => self.wakeups().insert(target, at),
            None => self.wakeups().remove(&target),
        };
        self.pipelines.save(pipeline);
    }

    /// When the next pipeline without a running task wants to run.
    pub fn next_pipeline_wakeup(&mut self) -> Option<u64> {
        let piping = std::mem::take(&mut self.piping);
        let next = self
            .wakeups()
            .iter()
            .filter(|(id, _)| !piping.contains(id))
            .map(|(_, at)| *at)
            .min();
        self.piping = piping;
        next
    }

    /// Pipelines due now without a running task, marked as having one. A call their stored
    /// state says is in flight was lost to an upgrade of the monitor: its outcome is unknown.
    pub fn take_due_pipelines(&mut self, now_ns: u64) -> Vec<Principal> {
        let due: Vec<Principal> = self
            .wakeups()
            .iter()
            .filter(|(_, at)| **at <= now_ns)
            .map(|(id, _)| *id)
            .collect();
        let due: Vec<Principal> = due
            .into_iter()
            .filter(|id| !self.piping.contains(id))
            .collect();
        for id in &due {
            self.piping.insert(*id);
            if let Some(mut p) = self.pipelines.running(id) {
                p.resume(now_ns);
                self.finish_or_save(p, now_ns);
            }
        }
        due
    }

    /// Ends the task of `canister`'s pipeline.
    pub fn release_pipeline(&mut self, canister: Principal) {
        self.piping.remove(&canister);
    }

    /// The call `canister`'s pipeline makes now and how long it may wait, stored as made;
    /// `None` when the pipeline waits or is over.
    pub fn pipeline_call(&mut self, canister: Principal, now_ns: u64) -> Option<(Action, u32)> {
        let mut p = self.pipelines.running(&canister)?;
        let Next::Call(action) = p.next(now_ns) else {
            return None;
        };
        p.begin_call();
        let timeout = p.call_timeout_seconds(now_ns, self.config.get().call_timeout_seconds);
        self.save_pipeline(p);
        Some((action, timeout))
    }

    /// Records the reply to the call of `canister`'s pipeline.
    pub fn pipeline_reply(&mut self, canister: Principal, reply: Reply, now_ns: u64) {
        if let Some(mut p) = self.pipelines.running(&canister) {
            p.record(reply, now_ns);
            self.finish_or_save(p, now_ns);
        }
    }

    /// Stores `p`; once it is over, tells the target of a failure (`on_error`).
    fn finish_or_save(&mut self, p: Pipeline, now_ns: u64) {
        let failure = match &p.outcome {
            Some(Outcome::Succeeded) | None => None,
            Some(o) => Some(format!(
                "upgrade {} to module {}: {o}",
                p.request.id,
                hex(p.request.module.hash.clone())
            )),
        };
        let target = p.request.target;
        self.save_pipeline(p);
        if let (Some(message), Some(reg)) = (failure, self.canisters.registration(&target)) {
            let event = HookEvent::Error(ErrorEvent {
                id: 0,
                origin: EventOrigin::Monitor(self.id),
                source: ErrorSource::System("upgrade_pipeline".into()),
                message: codec::truncate(&message, MAX_MESSAGE_BYTES).to_string(),
                reject_code: None,
                time_ns: now_ns,
                count: 1,
            });
            self.emit(&reg, event, now_ns);
        }
    }
}
