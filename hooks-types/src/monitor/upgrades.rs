//! The upgrade pipeline's API: what an admin submits, the pipeline's steps and outcome as the
//! monitor reports them, and why a request is refused.

use candid::{CandidType, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A canister snapshot id, as the management canister returns it.
pub type SnapshotId = Vec<u8>;

/// Start an upgrade of a registered canister the monitor controls (`start_upgrade`).
///
/// The new module must already be in the target's chunk store (`upload_chunk` through the
/// monitor, or by any controller); it is installed with `install_chunked_code`.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UpgradeArgs {
    /// The canister to upgrade.
    pub canister_id: Principal,
    /// SHA-256 of the whole new module (32 bytes).
    pub wasm_module_hash: Vec<u8>,
    /// SHA-256 of each chunk of the module in the target's chunk store, in order.
    pub chunk_hashes: Vec<Vec<u8>>,
    /// Argument for the new code's `canister_post_upgrade`.
    pub arg: Vec<u8>,
    /// Skip the old code's `canister_pre_upgrade` (for example past an upgrade guard).
    pub skip_pre_upgrade: bool,
    /// Rehearse first on this scratch canister (same subnet, controlled by the monitor): the
    /// snapshot is loaded onto it and upgraded there; the target is touched only if that works.
    pub rehearse_on: Option<Principal>,
    /// Keep the scratch canister as the rehearsal left it, instead of uninstalling its code.
    pub keep_rehearsal: bool,
    /// A query (no arguments) whose reply means "healthy", for canisters without the SDK's
    /// readiness query; any reply counts, a reject does not.
    pub health_query: Option<String>,
    /// Snapshots taken by hand that the pipeline may replace when the canister holds the
    /// maximum of 10 (snapshots the pipeline took are always replaceable, oldest first).
    pub replaceable_snapshots: Vec<SnapshotId>,
    /// Shown to callers while the canister is in maintenance; a default names the upgrade.
    pub reason: Option<String>,
    /// Step deadlines; defaults when absent.
    pub timeouts: Option<PipelineTimeouts>,
}

/// How long each kind of step may take, in seconds.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipelineTimeouts {
    /// Waiting for the canister's tracked outgoing calls to end (SDK canisters).
    pub drain_seconds: u64,
    /// Waiting for `stop_canister` to complete.
    pub stop_seconds: u64,
    /// Waiting for readiness or the health query after a start.
    pub ready_seconds: u64,
    /// Any other step: one management call, retried while its outcome is unknown.
    pub call_seconds: u64,
}

impl Default for PipelineTimeouts {
    fn default() -> Self {
        PipelineTimeouts {
            drain_seconds: 300,
            stop_seconds: 300,
            ready_seconds: 300,
            call_seconds: 600,
        }
    }
}

/// What a step does.
#[derive(
    CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum StepKind {
    /// Put the canister in maintenance: updates rejected, queries served (SDK canisters).
    EnterMaintenance,
    /// Wait until the canister reports no tracked outgoing calls in flight (SDK canisters).
    Drain,
    /// Stop the canister and wait for `stopped`.
    Stop,
    /// List the canister's snapshots, to choose the one a new snapshot replaces.
    ListSnapshots,
    /// Take a snapshot of the canister.
    TakeSnapshot,
    /// Load the pipeline's snapshot onto the canister.
    LoadSnapshot,
    /// Install the new module (mode upgrade) from the target's chunk store.
    Install,
    /// Check that the canister runs the module asked for.
    VerifyModule,
    /// Start the canister.
    Start,
    /// Wait for readiness (SDK canisters) or the health query.
    AwaitReady,
    /// Leave maintenance (SDK canisters).
    LeaveMaintenance,
    /// Remove the rehearsal's code and state from the scratch canister.
    Uninstall,
}

impl StepKind {
    /// The step's name as people read it.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::EnterMaintenance => "enter maintenance",
            StepKind::Drain => "drain calls",
            StepKind::Stop => "stop",
            StepKind::ListSnapshots => "list snapshots",
            StepKind::TakeSnapshot => "take snapshot",
            StepKind::LoadSnapshot => "load snapshot",
            StepKind::Install => "install",
            StepKind::VerifyModule => "verify module",
            StepKind::Start => "start",
            StepKind::AwaitReady => "await readiness",
            StepKind::LeaveMaintenance => "leave maintenance",
            StepKind::Uninstall => "uninstall",
        }
    }
}

/// Which canister a step acts on.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOn {
    /// The canister being upgraded.
    Target,
    /// The rehearsal's scratch canister.
    Rehearsal,
}

/// One step of a plan.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// To which canister.
    pub on: StepOn,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.on {
            StepOn::Target => f.write_str(self.kind.label()),
            StepOn::Rehearsal => write!(f, "{} (rehearsal)", self.kind.label()),
        }
    }
}

/// Which list of steps a pipeline is running.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipelinePhase {
    /// The steps asked for.
    Main,
    /// Bringing the target back into service after a failure before its code changed.
    Abort,
    /// Loading the snapshot back after a failure once the new code was installed.
    Rollback,
}

/// How one step went.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// The list of steps it belonged to.
    pub phase: PipelinePhase,
    /// When it started (IC time, ns).
    pub started_at_ns: u64,
    /// When it ended (IC time, ns).
    pub ended_at_ns: u64,
    /// Calls it made.
    pub attempts: u32,
    /// Why it failed; `None` when it succeeded.
    pub error: Option<String>,
}

/// Where a pipeline ended.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded: the canister runs the new module and is ready.
    Succeeded,
    /// A step failed before the target's code changed; the target is back in service.
    Aborted {
        /// The step that failed.
        step: StepKind,
        /// Why.
        reason: String,
    },
    /// A step failed after the new code was installed; the snapshot was loaded back.
    RolledBack {
        /// The step that failed.
        step: StepKind,
        /// Why.
        reason: String,
    },
    /// A step failed and so did a step of the recovery: an operator must look.
    NeedsOperator {
        /// The step that failed.
        step: StepKind,
        /// Why.
        reason: String,
        /// The recovery step that failed too.
        recovery_step: StepKind,
        /// Why that failed.
        recovery_reason: String,
    },
}

impl Outcome {
    /// `succeeded`, `aborted`, `rolled_back` or `needs_operator` (metric labels, the page).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Aborted { .. } => "aborted",
            Outcome::RolledBack { .. } => "rolled_back",
            Outcome::NeedsOperator { .. } => "needs_operator",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Succeeded => f.write_str("succeeded"),
            Outcome::Aborted { step, reason } => {
                write!(f, "aborted at {}: {reason}; the canister runs its old code", step.label())
            }
            Outcome::RolledBack { step, reason } => write!(
                f,
                "rolled back after {} failed: {reason}; the snapshot taken before the upgrade was loaded back",
                step.label()
            ),
            Outcome::NeedsOperator { step, reason, recovery_step, recovery_reason } => write!(
                f,
                "{} failed: {reason}; then the recovery step {} failed too: {recovery_reason}; an operator must look",
                step.label(),
                recovery_step.label()
            ),
        }
    }
}

/// Where a running pipeline is.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RunningStep {
    /// The step running.
    pub step: Step,
    /// The list of steps it belongs to.
    pub phase: PipelinePhase,
    /// When it started (IC time, ns).
    pub started_at_ns: u64,
    /// When it fails if not done (IC time, ns).
    pub deadline_ns: u64,
    /// Calls made so far.
    pub attempts: u32,
    /// What the last call saw (for example "2 calls in flight"), if the step waits.
    pub last_seen: String,
}

/// One upgrade pipeline, running or finished.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct UpgradeView {
    /// Its id (increasing).
    pub id: u64,
    /// The canister upgraded.
    pub canister_id: Principal,
    /// The module installed.
    pub wasm_module_hash: Vec<u8>,
    /// The rehearsal's scratch canister, if any.
    pub rehearse_on: Option<Principal>,
    /// Who started it.
    pub started_by: Principal,
    /// When it started (IC time, ns).
    pub started_at_ns: u64,
    /// The step running, while it runs.
    pub running: Option<RunningStep>,
    /// Where it ended, once it has.
    pub outcome: Option<Outcome>,
    /// When it ended (IC time, ns).
    pub ended_at_ns: Option<u64>,
    /// How each finished step went, in order.
    pub steps: Vec<StepRecord>,
    /// The snapshot taken of the target before the install.
    pub snapshot_id: Option<SnapshotId>,
    /// The older snapshot that snapshot replaced, if the canister was at the limit.
    pub replaced_snapshot_id: Option<SnapshotId>,
    /// How long the target was stopped, nanoseconds.
    pub target_stopped_ns: u64,
}

/// Which pipelines `upgrade_history` returns, newest first.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeFilter {
    /// Only this canister's.
    pub canister_id: Option<Principal>,
    /// Only ids below this one (the next page).
    pub before_id: Option<u64>,
    /// At most this many (default 20, at most 100).
    pub limit: Option<u32>,
}

/// Why `start_upgrade` or `upload_chunk` was refused; nothing was changed.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum UpgradeError {
    /// Only the monitor's controllers and admins may upgrade canisters.
    NotAuthorized {
        /// Who called.
        caller: Principal,
    },
    /// The canister is not registered with this monitor.
    NotRegistered {
        /// The canister.
        canister_id: Principal,
    },
    /// The monitor is not a controller of the canister (it may read its status through
    /// `status_visibility`, but may not stop, snapshot or install it).
    NotController {
        /// The canister.
        canister_id: Principal,
        /// Its controllers.
        controllers: Vec<Principal>,
    },
    /// A pipeline is already running for this canister.
    AlreadyRunning {
        /// The canister.
        canister_id: Principal,
        /// The running pipeline.
        id: u64,
        /// Its current step.
        step: Step,
    },
    /// An argument is invalid.
    InvalidArgument {
        /// The offending field.
        field: String,
        /// What is accepted.
        reason: String,
    },
    /// A call the check needed failed.
    CallFailed {
        /// The canister called.
        canister_id: Principal,
        /// The method.
        method: String,
        /// The IC reject code, if it was a reject.
        reject_code: Option<u32>,
        /// The reject message.
        message: String,
    },
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use UpgradeError::*;
        match self {
            NotAuthorized { caller } => write!(
                f,
                "caller {caller} is not authorized: only the monitor's controllers and admins may upgrade canisters"
            ),
            NotRegistered { canister_id } => {
                write!(f, "canister {canister_id} is not registered; register it first")
            }
            NotController { canister_id, controllers } => write!(
                f,
                "the monitor is not a controller of {canister_id} (its controllers: {}); it may read its status but not upgrade it: add the monitor as a controller",
                controllers.iter().map(Principal::to_text).collect::<Vec<_>>().join(", ")
            ),
            AlreadyRunning { canister_id, id, step } => write!(
                f,
                "upgrade {id} of {canister_id} is running (step: {step}); wait for it to end"
            ),
            InvalidArgument { field, reason } => write!(f, "{field}: {reason}"),
            CallFailed { canister_id, method, message, .. } => {
                write!(f, "{method} of {canister_id} failed: {message}")
            }
        }
    }
}
