//! Lifecycle operations (upgrades, backups, restores) as persisted plans of bounded steps: a pure
//! state machine that names the next call and decides what each reply leads to.
//!
//! The canister layer stores the [`Pipeline`] before every call ([`Pipeline::begin_call`]),
//! makes the call [`Pipeline::next`] names, and reports the reply with [`Pipeline::record`].
//! Nothing here calls anything, so every edge (timeouts, unknown outcomes, a monitor upgraded
//! mid-call, failed recoveries) is tested natively.

pub(crate) mod calls;
mod judge;
pub(crate) mod plan;
pub(crate) mod request;
mod view;

use crate::api::{
    BackupMode, OperationKind, OperationView, Outcome, PipelinePhase, PipelineTimeouts,
    RunningStep, SnapshotId, Step, StepKind, StepOn, StepRecord,
};
use candid::{CandidType, Principal};
use canister_hooks_types::NS;
use judge::Verdict;
use plan::{choose_replacement, main_plan, recovery_plan};
use serde::Deserialize;

/// Pause between two looks at a condition that is not met yet (stopped, drained, ready).
pub const POLL_SECONDS: u64 = 1;

/// The new module, already in the target's chunk store.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// SHA-256 of the whole module.
    pub hash: Vec<u8>,
    /// Hashes of its chunks, in order.
    pub chunk_hashes: Vec<Vec<u8>>,
    /// Argument for `canister_post_upgrade`.
    pub arg: Vec<u8>,
    /// Skip the old code's `canister_pre_upgrade`.
    pub skip_pre_upgrade: bool,
}

/// What an operation does.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Install `module`, after a rehearsal on `rehearsal` if given.
    Upgrade {
        module: Module,
        /// The rehearsal's scratch canister (same subnet, controlled by the monitor).
        rehearsal: Option<Principal>,
        /// Keep the scratch canister as the rehearsal left it.
        keep_rehearsal: bool,
    },
    /// Take a snapshot (stopping the canister around it when `stop`), then delete the oldest
    /// backups beyond `keep` (any snapshot, with `replace_any`).
    Backup {
        stop: bool,
        keep: u8,
        replace_any: bool,
    },
    /// Load `snapshot` onto the target, or onto `onto` (a clone).
    Restore {
        snapshot: SnapshotId,
        onto: Option<Principal>,
    },
}

/// Everything needed to run an operation, checked by the endpoint.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The operation's id.
    pub id: u64,
    /// The canister it is for.
    pub target: Principal,
    /// Who asked (the monitor for scheduled backups).
    pub started_by: Principal,
    /// What it does.
    pub work: Work,
    /// The target links the SDK: maintenance mode, drain and readiness are available.
    pub sdk: bool,
    /// A query whose reply means "healthy", for canisters without the SDK.
    pub health_query: Option<String>,
    /// Snapshots a new one may replace at the limit, oldest first; for backups, the backups
    /// the policy made (the only ones its retention deletes).
    pub replaceable: Vec<SnapshotId>,
    /// Shown to callers while in maintenance.
    pub reason: String,
    /// Step deadlines.
    pub timeouts: PipelineTimeouts,
}

impl Request {
    /// The other canister: an upgrade's rehearsal canister or a restore's clone.
    pub fn copy(&self) -> Option<Principal> {
        match &self.work {
            Work::Upgrade { rehearsal, .. } => *rehearsal,
            Work::Restore { onto, .. } => *onto,
            Work::Backup { .. } => None,
        }
    }
}

/// A snapshot as the management canister lists it.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Its id.
    pub id: SnapshotId,
    /// When it was taken (IC time, ns).
    pub taken_at_ns: u64,
    /// Its size, bytes.
    pub bytes: u64,
}

/// How a canister's readiness is checked after a start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadyCheck {
    /// The SDK's readiness query reports `Ready`.
    Sdk,
    /// The operator's query answers.
    Query(String),
    /// `canister_status` says `running` (no SDK and no health query).
    Running,
}

/// The call the next step makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The SDK's maintenance endpoint: enter, with a reason and an expected end.
    EnterMaintenance {
        canister: Principal,
        reason: String,
        until_ns: u64,
    },
    /// The SDK's status query: how many tracked calls are in flight.
    ReadInFlight { canister: Principal },
    /// `stop_canister`.
    Stop { canister: Principal },
    /// `list_canister_snapshots`.
    ListSnapshots { canister: Principal },
    /// `take_canister_snapshot`.
    TakeSnapshot {
        canister: Principal,
        replace: Option<SnapshotId>,
    },
    /// `load_canister_snapshot` of the target's snapshot onto `canister`.
    LoadSnapshot {
        canister: Principal,
        snapshot: SnapshotId,
    },
    /// `delete_canister_snapshot`.
    DeleteSnapshot {
        canister: Principal,
        snapshot: SnapshotId,
    },
    /// `install_chunked_code` in upgrade mode, chunks read from `store`.
    Install {
        canister: Principal,
        store: Principal,
        module: Module,
    },
    /// `canister_status`, for the module hash.
    ReadModuleHash { canister: Principal },
    /// `start_canister`.
    Start { canister: Principal },
    /// Is the canister ready?
    CheckReady {
        canister: Principal,
        check: ReadyCheck,
    },
    /// The SDK's maintenance endpoint: leave.
    LeaveMaintenance { canister: Principal },
    /// `uninstall_code`.
    Uninstall { canister: Principal },
}

/// What a step's call came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The call did what the step asks.
    Done,
    /// The condition the step waits for is not met yet; the text says what was seen.
    NotYet(String),
    /// The snapshots the canister has.
    Snapshots(Vec<SnapshotInfo>),
    /// The snapshot just taken.
    Taken(SnapshotInfo),
    /// The module hash the canister runs.
    ModuleHash(Option<Vec<u8>>),
    /// Refused: the call had no effect; the text says why.
    Refused(String),
    /// Unknown outcome (a timed-out bounded-wait call): it may have taken effect.
    Unknown(String),
}

/// What comes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Make this call now.
    Call(Action),
    /// Nothing before this time (IC time, ns).
    WaitUntil(u64),
    /// The pipeline is over.
    Finished(Outcome),
}

/// A failure that ended the main plan or a recovery step.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
struct Failure {
    step: StepKind,
    reason: String,
}

/// One operation, running or finished: stored as a whole before each call.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// What was asked.
    pub request: Request,
    /// When it started (IC time, ns).
    pub started_ns: u64,
    phase: PipelinePhase,
    plan: Vec<Step>,
    cursor: usize,
    step_started_ns: u64,
    attempts: u32,
    last_seen: String,
    retry_at_ns: u64,
    /// A call was made and its reply not recorded yet.
    awaiting_reply: bool,
    /// The new code may be on the target: a failure now needs a rollback.
    installed: bool,
    /// After an unknown `take_canister_snapshot`: adopt a new snapshot instead of taking another.
    adopt_new_snapshot: bool,
    known_snapshots: Vec<SnapshotInfo>,
    replace: Option<SnapshotId>,
    /// The snapshot this operation took.
    pub snapshot: Option<SnapshotInfo>,
    /// The snapshot it replaced.
    pub replaced: Option<SnapshotId>,
    /// Backups the retention still has to delete, oldest first.
    prune: Vec<SnapshotId>,
    /// Backups it deleted.
    pub deleted: Vec<SnapshotId>,
    failure: Option<Failure>,
    recovery_failure: Option<Failure>,
    /// How each finished step went, in order.
    pub history: Vec<StepRecord>,
    /// When the target was stopped, while it is.
    stopped_since_ns: Option<u64>,
    /// How long the target was stopped in all, ns.
    pub stopped_ns: u64,
    /// Where it ended, once it has.
    pub outcome: Option<Outcome>,
    /// When it ended.
    pub ended_ns: Option<u64>,
}

impl Pipeline {
    /// A new pipeline, starting now.
    pub fn start(request: Request, now_ns: u64) -> Self {
        Pipeline {
            plan: main_plan(&request),
            request,
            started_ns: now_ns,
            phase: PipelinePhase::Main,
            cursor: 0,
            step_started_ns: now_ns,
            attempts: 0,
            last_seen: String::new(),
            retry_at_ns: now_ns,
            awaiting_reply: false,
            installed: false,
            adopt_new_snapshot: false,
            known_snapshots: vec![],
            replace: None,
            snapshot: None,
            replaced: None,
            prune: vec![],
            deleted: vec![],
            failure: None,
            recovery_failure: None,
            history: vec![],
            stopped_since_ns: None,
            stopped_ns: 0,
            outcome: None,
            ended_ns: None,
        }
    }

    /// The step running now, if any.
    pub fn current(&self) -> Option<Step> {
        self.plan.get(self.cursor).copied()
    }

    /// When the current step fails if not done.
    pub fn deadline_ns(&self) -> Option<u64> {
        let s = self.current()?;
        Some(self.step_started_ns + seconds_for(&self.request.timeouts, s.kind) * NS)
    }

    /// When the pipeline wants to run next; `None` once it is over.
    pub fn wakeup_ns(&self) -> Option<u64> {
        self.outcome.is_none().then_some(self.retry_at_ns)
    }

    /// The longest a call of the current step may wait now: the step's time left, within
    /// `call_timeout_seconds`, at least one second.
    pub fn call_timeout_seconds(&self, now_ns: u64, call_timeout_seconds: u32) -> u32 {
        let left = self.deadline_ns().unwrap_or(now_ns).saturating_sub(now_ns) / NS;
        (left.min(u64::from(call_timeout_seconds)) as u32).max(1)
    }

    /// What to do now.
    pub fn next(&self, now_ns: u64) -> Next {
        if let Some(o) = &self.outcome {
            return Next::Finished(o.clone());
        }
        if self.retry_at_ns > now_ns {
            return Next::WaitUntil(self.retry_at_ns);
        }
        let s = self
            .current()
            .expect("an unfinished pipeline has a current step");
        Next::Call(self.action(s))
    }

    /// Notes that the call [`Pipeline::next`] named is being made (store the pipeline after).
    pub fn begin_call(&mut self) {
        self.awaiting_reply = true;
    }

    /// After the monitor restarted (an upgrade drops the replies of calls in flight): a call
    /// that was made has an unknown outcome. True when there was one (the pipeline changed).
    pub fn resume(&mut self, now_ns: u64) -> bool {
        if !self.awaiting_reply {
            return false;
        }
        self.record(
            Reply::Unknown("the monitor was upgraded while this call was in flight".into()),
            now_ns,
        );
        true
    }

    fn canister(&self, on: StepOn) -> Principal {
        match on {
            StepOn::Target => self.request.target,
            StepOn::Copy => self.request.copy().unwrap_or(self.request.target),
        }
    }

    fn action(&self, s: Step) -> Action {
        let canister = self.canister(s.on);
        let r = &self.request;
        match s.kind {
            StepKind::EnterMaintenance => Action::EnterMaintenance {
                canister,
                reason: r.reason.clone(),
                until_ns: self.started_ns + self.longest_duration_ns(),
            },
            StepKind::Drain => Action::ReadInFlight { canister },
            StepKind::Stop => Action::Stop { canister },
            StepKind::ListSnapshots => Action::ListSnapshots { canister },
            StepKind::TakeSnapshot => Action::TakeSnapshot {
                canister,
                replace: self.replace.clone(),
            },
            StepKind::LoadSnapshot => Action::LoadSnapshot {
                canister,
                snapshot: match &r.work {
                    Work::Restore { snapshot, .. } => snapshot.clone(),
                    _ => self
                        .snapshot
                        .as_ref()
                        .map(|s| s.id.clone())
                        .unwrap_or_default(),
                },
            },
            StepKind::Install => match &r.work {
                Work::Upgrade { module, .. } => Action::Install {
                    canister,
                    store: r.target,
                    module: module.clone(),
                },
                _ => unreachable!("only upgrades plan an install"),
            },
            StepKind::DeleteSnapshot => Action::DeleteSnapshot {
                canister,
                snapshot: self.prune.first().cloned().unwrap_or_default(),
            },
            StepKind::VerifyModule => Action::ReadModuleHash { canister },
            StepKind::Start => Action::Start { canister },
            StepKind::AwaitReady => Action::CheckReady {
                canister,
                check: match (&r.health_query, r.sdk) {
                    (_, true) => ReadyCheck::Sdk,
                    (Some(q), false) => ReadyCheck::Query(q.clone()),
                    (None, false) => ReadyCheck::Running,
                },
            },
            StepKind::LeaveMaintenance => Action::LeaveMaintenance { canister },
            StepKind::Uninstall => Action::Uninstall { canister },
        }
    }

    /// The longest the main plan and a rollback may take: what maintenance announces as its end.
    fn longest_duration_ns(&self) -> u64 {
        let t = &self.request.timeouts;
        let rollback = recovery_plan(&self.request, true, |_| false);
        let all = self.plan.iter().chain(&rollback);
        all.map(|s| seconds_for(t, s.kind)).sum::<u64>() * NS
    }

    /// Records the reply to the current step's call, made at `now_ns`.
    pub fn record(&mut self, reply: Reply, now_ns: u64) {
        let Some(s) = self.current() else { return };
        if self.outcome.is_some() {
            return;
        }
        self.awaiting_reply = false;
        self.attempts += 1;
        match self.judge(s, reply) {
            Verdict::Advance => self.advance(s, now_ns),
            Verdict::AdvanceTwice => {
                self.advance(s, now_ns);
                let adopted = self.current().expect("a take follows the listing");
                self.advance(adopted, now_ns);
            }
            Verdict::Repeat(seen) => {
                self.last_seen = seen;
                if now_ns >= self.deadline_ns().unwrap_or(now_ns) {
                    let secs = seconds_for(&self.request.timeouts, s.kind);
                    let mut why = format!("not done within {secs} s: {}", self.last_seen);
                    if s.kind == StepKind::Stop {
                        // The management canister does not show open call contexts; say what
                        // a stop waits for.
                        why.push_str(
                            "; a canister stops only once every call it made has been answered:                              it still awaits a response (calls the SDK tracks are named by the                              drain step)",
                        );
                    }
                    self.fail(s, why, now_ns);
                } else {
                    self.retry_at_ns = now_ns + POLL_SECONDS * NS;
                }
            }
            Verdict::Again => {
                self.retry_at_ns = now_ns;
            }
            Verdict::ListAgain(seen) => {
                self.last_seen = seen;
                self.cursor -= 1;
                self.retry_at_ns = now_ns;
            }
            Verdict::Fail(why) => self.fail(s, why, now_ns),
        }
    }

    /// Ends step `s` well and moves on.
    fn advance(&mut self, s: Step, now_ns: u64) {
        self.push_record(s, None, now_ns);
        if s.on == StepOn::Target {
            match s.kind {
                StepKind::Stop => self.stopped_since_ns = self.stopped_since_ns.or(Some(now_ns)),
                StepKind::Start => self.count_stopped_until(now_ns),
                _ => {}
            }
        }
        self.cursor += 1;
        self.begin_step(now_ns);
    }

    fn count_stopped_until(&mut self, now_ns: u64) {
        if let Some(since) = self.stopped_since_ns.take() {
            self.stopped_ns += now_ns.saturating_sub(since);
        }
    }

    /// Step `s` failed for good: leave the main plan for a recovery, or note a failed recovery
    /// step and go on with the rest of the recovery.
    fn fail(&mut self, s: Step, reason: String, now_ns: u64) {
        self.push_record(s, Some(reason.clone()), now_ns);
        if self.phase == PipelinePhase::Main {
            self.failure = Some(Failure {
                step: s.kind,
                reason,
            });
            let rollback = self.installed && self.snapshot.is_some();
            let history = &self.history;
            let began = |step: Step| history.iter().any(|r| r.step == step);
            self.phase = if rollback {
                PipelinePhase::Rollback
            } else {
                PipelinePhase::Abort
            };
            self.plan = recovery_plan(&self.request, rollback, began);
            self.cursor = 0;
        } else {
            self.recovery_failure.get_or_insert(Failure {
                step: s.kind,
                reason,
            });
            self.cursor += 1;
        }
        self.begin_step(now_ns);
    }

    fn begin_step(&mut self, now_ns: u64) {
        self.step_started_ns = now_ns;
        self.retry_at_ns = now_ns;
        self.attempts = 0;
        self.last_seen.clear();
        // Retention with nothing to delete has no call to make.
        if self
            .current()
            .is_some_and(|s| s.kind == StepKind::DeleteSnapshot)
            && self.prune.is_empty()
        {
            self.cursor += 1;
        }
        if self.cursor >= self.plan.len() {
            self.finish(now_ns);
        }
    }

    fn push_record(&mut self, s: Step, error: Option<String>, now_ns: u64) {
        self.history.push(StepRecord {
            step: s,
            phase: self.phase,
            started_at_ns: self.step_started_ns,
            ended_at_ns: now_ns,
            attempts: self.attempts,
            error,
        });
    }

    fn finish(&mut self, now_ns: u64) {
        self.count_stopped_until(now_ns);
        self.ended_ns = Some(now_ns);
        self.outcome = Some(match (&self.failure, &self.recovery_failure) {
            (None, _) => Outcome::Succeeded,
            (Some(f), Some(r)) => Outcome::NeedsOperator {
                step: f.step,
                reason: f.reason.clone(),
                recovery_step: r.step,
                recovery_reason: r.reason.clone(),
            },
            (Some(f), None) if self.phase == PipelinePhase::Rollback => Outcome::RolledBack {
                step: f.step,
                reason: f.reason.clone(),
            },
            (Some(f), None) => Outcome::Aborted {
                step: f.step,
                reason: f.reason.clone(),
            },
        });
    }
}

/// How long a step of `kind` may take, seconds.
fn seconds_for(t: &PipelineTimeouts, kind: StepKind) -> u64 {
    match kind {
        StepKind::Drain => t.drain_seconds,
        StepKind::Stop => t.stop_seconds,
        StepKind::AwaitReady => t.ready_seconds,
        _ => t.call_seconds,
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: Vec<u8>) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
