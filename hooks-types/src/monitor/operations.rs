//! Lifecycle operations (upgrades, backups, restores): what an admin submits, each operation's
//! steps and outcome as the monitor reports them, backup policies, and why a request is refused.

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

impl UpgradeArgs {
    /// An upgrade of `canister_id` to the module hashed `wasm_module_hash`, whose chunks (in the
    /// canister's chunk store) are `chunk_hashes`, with `arg`; no rehearsal, default deadlines.
    pub fn new(
        canister_id: Principal,
        wasm_module_hash: Vec<u8>,
        chunk_hashes: Vec<Vec<u8>>,
        arg: Vec<u8>,
    ) -> Self {
        UpgradeArgs {
            canister_id,
            wasm_module_hash,
            chunk_hashes,
            arg,
            skip_pre_upgrade: false,
            rehearse_on: None,
            keep_rehearsal: false,
            health_query: None,
            replaceable_snapshots: vec![],
            reason: None,
            timeouts: None,
        }
    }
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
    /// Delete a backup the retention of the backup policy no longer keeps.
    DeleteSnapshot,
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
            StepKind::DeleteSnapshot => "delete old backup",
        }
    }
}

/// Which canister a step acts on.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOn {
    /// The canister the operation is for.
    Target,
    /// The other canister: an upgrade's rehearsal (scratch) canister, or the clone a restore
    /// loads the snapshot onto.
    Copy,
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
            StepOn::Copy => write!(f, "{} (copy)", self.kind.label()),
        }
    }
}

/// Which list of steps an operation is running.
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

/// Where an operation ended.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded.
    Succeeded,
    /// A step failed before the target's code changed (for a restore: before its state was
    /// replaced); the target is back in service.
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
            Outcome::Aborted { step, reason } => write!(
                f,
                "aborted at {}: {reason}; the canister was brought back into service",
                step.label()
            ),
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

/// Where a running operation is.
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

/// What an operation does.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// An upgrade through the pipeline (`start_upgrade`).
    Upgrade {
        /// The module installed.
        wasm_module_hash: Vec<u8>,
        /// The rehearsal's scratch canister, if any.
        rehearse_on: Option<Principal>,
    },
    /// A backup: a snapshot, by the backup policy or `start_backup`.
    Backup {
        /// Stopped (consistent) or running.
        mode: BackupMode,
        /// Backups of the policy kept after this one.
        keep: u8,
        /// Whether retention may delete snapshots the policy did not take.
        replace_any: bool,
    },
    /// A restore of one of the target's snapshots (`start_restore`).
    Restore {
        /// The snapshot loaded.
        snapshot_id: SnapshotId,
        /// The canister it is loaded onto, when not the target (a clone).
        onto: Option<Principal>,
    },
}

impl OperationKind {
    /// `upgrade`, `backup` or `restore`.
    pub fn name(&self) -> &'static str {
        match self {
            OperationKind::Upgrade { .. } => "upgrade",
            OperationKind::Backup { .. } => "backup",
            OperationKind::Restore { .. } => "restore",
        }
    }
}

/// One operation (upgrade, backup, restore), running or finished.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OperationView {
    /// Its id (increasing).
    pub id: u64,
    /// What it does.
    pub kind: OperationKind,
    /// The canister it is for.
    pub canister_id: Principal,
    /// Who started it (the monitor itself for scheduled backups).
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
    /// The snapshot it took of the target (upgrades, backups).
    pub snapshot_id: Option<SnapshotId>,
    /// That snapshot's size, bytes.
    pub snapshot_bytes: Option<u64>,
    /// The older snapshot that snapshot replaced, if the canister was at the limit.
    pub replaced_snapshot_id: Option<SnapshotId>,
    /// Backups deleted by the retention of the backup policy.
    pub deleted_snapshot_ids: Vec<SnapshotId>,
    /// How long the target was stopped, nanoseconds.
    pub target_stopped_ns: u64,
}

impl OperationView {
    /// For a failed operation whose recovery checked readiness: nanoseconds from the end of the
    /// failed step to the end of the last readiness check (how long until service was back).
    pub fn recovery_ns(&self) -> Option<u64> {
        let failed = self.steps.iter().find(|s| s.error.is_some())?;
        let ready = self
            .steps
            .iter()
            .rfind(|s| s.step.kind == StepKind::AwaitReady)?;
        Some(ready.ended_at_ns.saturating_sub(failed.ended_at_ns))
    }
}

/// Which operations `operations` returns, newest first.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationFilter {
    /// Only this canister's.
    pub canister_id: Option<Principal>,
    /// Only ids below this one (the next page).
    pub before_id: Option<u64>,
    /// At most this many (default 20, at most 100).
    pub limit: Option<u32>,
}

/// How consistent a backup is.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupMode {
    /// Maintenance and drain (SDK canisters), stop, snapshot, start: the snapshot holds no
    /// half-done call. The canister is stopped for the snapshot.
    Stopped,
    /// Snapshot while running: no downtime, but a canister waiting for responses to its calls is
    /// snapshotted mid-call (the IC recommends stopping first); for canisters that make no calls.
    Running,
}

/// Hours of the UTC day a backup may start in: `[start_hour, end_hour)`, wrapping past midnight
/// when `end_hour < start_hour`.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupWindow {
    /// First hour (0-23).
    pub start_hour: u8,
    /// Hour the window ends (0-23), exclusive.
    pub end_hour: u8,
}

/// When and how a canister is backed up, and how many backups are kept.
#[derive(CandidType, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupPolicy {
    /// Hours between backups (a multiple of 24 with a window).
    pub interval_hours: u32,
    /// The hours of the UTC day backups start in; any time when absent.
    pub window: Option<BackupWindow>,
    /// Backups of this policy kept (1 to 9: one of the 10 snapshots a canister may hold stays
    /// free for the upgrade pipeline); older ones are deleted.
    pub keep: u8,
    /// Stopped or running.
    pub mode: BackupMode,
    /// Retention may also delete (and, at the limit of 10, replace) snapshots the policy did not
    /// take: taken by hand or by the upgrade pipeline, oldest first. Off, they are never touched.
    pub replace_any: bool,
}

/// A backup the policy took and keeps.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BackupView {
    /// The snapshot.
    pub snapshot_id: SnapshotId,
    /// When it was taken (IC time, ns).
    pub taken_at_ns: u64,
    /// Its size, bytes.
    pub bytes: u64,
}

/// A canister's backups: its policy, what is kept, what comes next, and what they cost.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BackupsView {
    /// The canister.
    pub canister_id: Principal,
    /// Its policy, if any.
    pub policy: Option<BackupPolicy>,
    /// The backups kept, oldest first.
    pub backups: Vec<BackupView>,
    /// When the next scheduled backup may start (IC time, ns).
    pub next_at_ns: Option<u64>,
    /// The last backup that failed, since the last success: when and why.
    pub last_failure: Option<String>,
    /// Bytes of all the canister's snapshots, as last listed (its own, the pipeline's, the
    /// policy's).
    pub snapshot_bytes: u64,
    /// What storing them costs per day, cycles (a 13-node subnet's storage fee).
    pub snapshot_cycles_per_day: u128,
}

/// Restore a canister to one of its snapshots (`start_restore`).
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RestoreArgs {
    /// The canister whose snapshot is restored.
    pub canister_id: Principal,
    /// The snapshot.
    pub snapshot_id: SnapshotId,
    /// Load it onto this canister instead (same subnet, controlled by the monitor): a clone for
    /// inspection; the target is not touched.
    pub onto: Option<Principal>,
    /// Shown to callers while in maintenance; a default names the restore.
    pub reason: Option<String>,
    /// Step deadlines; defaults when absent.
    pub timeouts: Option<PipelineTimeouts>,
}

/// Why a lifecycle request (`upload_chunk`, `start_upgrade`, `start_backup`, `start_restore`,
/// `set_backup_policy`) was refused; nothing was changed.
#[derive(CandidType, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum OperationError {
    /// Only the monitor's controllers and admins may do this.
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
    /// `status_visibility`, but may not stop, snapshot, load or install it).
    NotController {
        /// The canister.
        canister_id: Principal,
        /// Its controllers.
        controllers: Vec<Principal>,
    },
    /// An operation is already running for this canister.
    AlreadyRunning {
        /// The canister.
        canister_id: Principal,
        /// The running operation.
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

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use OperationError::*;
        match self {
            NotAuthorized { caller } => write!(
                f,
                "caller {caller} is not authorized: only the monitor's controllers and admins may upgrade, back up or restore canisters"
            ),
            NotRegistered { canister_id } => {
                write!(f, "canister {canister_id} is not registered; register it first")
            }
            NotController { canister_id, controllers } => write!(
                f,
                "the monitor is not a controller of {canister_id} (its controllers: {}); it may read its status but not upgrade, back up or restore it: add the monitor as a controller",
                controllers.iter().map(Principal::to_text).collect::<Vec<_>>().join(", ")
            ),
            AlreadyRunning { canister_id, id, step } => write!(
                f,
                "operation {id} on {canister_id} is running (step: {step}); wait for it to end"
            ),
            InvalidArgument { field, reason } => write!(f, "{field}: {reason}"),
            CallFailed { canister_id, method, message, .. } => {
                write!(f, "{method} of {canister_id} failed: {message}")
            }
        }
    }
}
