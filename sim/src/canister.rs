//! The state of one canister: settings, status, cycles, code, call contexts, logs, chunks and
//! snapshots.

use crate::call_context::{CallContexts, ResponseTarget};
use crate::cycles;
use crate::logs::CanisterLog;
use crate::wasm::instance::{ExecState, Instance};
use candid::Principal;
use ic_management_canister_types::{
    Change, LogVisibility, SnapshotSource, SnapshotVisibility, StatusVisibility,
};
use std::collections::BTreeMap;

/// Running, stopping (with the stop requests waiting for it) or stopped.
#[derive(Debug, Clone)]
pub enum RunStatus {
    /// Executes messages.
    Running,
    /// Rejects new calls; waits for open call contexts to close.
    Stopping(Vec<ResponseTarget>),
    /// Rejects new calls.
    Stopped,
}

impl RunStatus {
    /// The value of `ic0.canister_status`.
    pub fn code(&self) -> u32 {
        match self {
            Self::Running => 1,
            Self::Stopping(_) => 2,
            Self::Stopped => 3,
        }
    }
}

/// A canister's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Controllers.
    pub controllers: Vec<Principal>,
    /// Compute allocation (percent; recorded, not enforced).
    pub compute_allocation: u64,
    /// Memory allocation in bytes (recorded, not enforced).
    pub memory_allocation: u64,
    /// Freezing threshold in seconds.
    pub freezing_threshold: u64,
    /// Reserved cycles limit (recorded).
    pub reserved_cycles_limit: u128,
    /// Who may read the logs.
    pub log_visibility: LogVisibility,
    /// Log memory limit (recorded).
    pub log_memory_limit: u64,
    /// Who may list and read snapshots (controllers always may).
    pub snapshot_visibility: SnapshotVisibility,
    /// Who may read the status (controllers and the canister itself always may).
    pub status_visibility: StatusVisibility,
    /// Fewest cycles a call from another canister must attach (0 = no minimum).
    pub minimum_incoming_canister_call_cycles: u128,
    /// Heap limit in bytes (0 = none).
    pub wasm_memory_limit: u64,
    /// Threshold of the low-wasm-memory hook in bytes.
    pub wasm_memory_threshold: u64,
    /// Environment variables.
    pub environment_variables: Vec<(String, String)>,
}

impl Settings {
    /// The IC's defaults with `controllers`.
    pub fn with_controllers(controllers: Vec<Principal>) -> Self {
        Self {
            controllers,
            compute_allocation: 0,
            memory_allocation: 0,
            freezing_threshold: cycles::DEFAULT_FREEZING_THRESHOLD,
            reserved_cycles_limit: 5_000_000_000_000,
            log_visibility: LogVisibility::Controllers,
            log_memory_limit: crate::logs::LOG_CAPACITY_BYTES as u64,
            snapshot_visibility: SnapshotVisibility::Controllers,
            status_visibility: StatusVisibility::Controllers,
            minimum_incoming_canister_call_cycles: 0,
            wasm_memory_limit: 3 * 1024 * 1024 * 1024,
            wasm_memory_threshold: 0,
            environment_variables: Vec::new(),
        }
    }
}

/// State of the `canister_on_low_wasm_memory` hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowMemoryHook {
    /// The condition does not hold.
    ConditionNotSatisfied,
    /// The condition holds; the hook runs in the next round.
    Ready,
    /// The hook ran; it runs again only after the condition stops holding.
    Executed,
}

/// A canister snapshot, taken from the canister or created by metadata upload (then filled by
/// data uploads).
#[derive(Debug, Clone)]
pub struct CanisterSnapshot {
    /// Taken from the canister or uploaded.
    pub source: SnapshotSource,
    /// When it was taken (or its metadata uploaded).
    pub taken_at: u64,
    /// The module (raw bytes as installed).
    pub wasm: Vec<u8>,
    /// Heap, globals and stable memory.
    pub state: ExecState,
    /// Certified data.
    pub certified_data: Vec<u8>,
    /// Global timer (0 = inactive); `None` (uploaded without it): loading keeps the canister's.
    pub global_timer: Option<u64>,
    /// Low-memory hook state; `None` (uploaded without it): loading keeps the canister's.
    pub low_memory_hook: Option<LowMemoryHook>,
    /// The canister's version when it was taken (or its metadata uploaded).
    pub canister_version: u64,
    /// The wasm chunk store.
    pub chunks: BTreeMap<[u8; 32], Vec<u8>>,
}

impl CanisterSnapshot {
    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.wasm.len() as u64
            + self.state.size()
            + self.certified_data.len() as u64
            + self.chunks.values().map(|c| c.len() as u64).sum::<u64>()
    }
}

/// One canister.
#[derive(Debug)]
pub struct Canister {
    /// Its id.
    pub id: Principal,
    /// Settings (controllers included).
    pub settings: Settings,
    /// Running / stopping / stopped.
    pub status: RunStatus,
    /// Cycle balance.
    pub cycles: u128,
    /// The installed code, if any.
    pub instance: Option<Instance>,
    /// The module as installed (for snapshots).
    pub wasm: Vec<u8>,
    /// Bumped when code is uninstalled: callbacks made before are never run (their call
    /// contexts were deleted). Upgrades and snapshot loads keep callbacks, as on the IC.
    pub code_generation: u64,
    /// Certified data.
    pub certified_data: Vec<u8>,
    /// Global timer (0 = unset).
    pub global_timer: u64,
    /// Canister version.
    pub version: u64,
    /// Canister history.
    pub history: History,
    /// Logs.
    pub log: CanisterLog,
    /// Chunk store.
    pub chunks: BTreeMap<[u8; 32], Vec<u8>>,
    /// Snapshots by id.
    pub snapshots: BTreeMap<Vec<u8>, CanisterSnapshot>,
    /// Call contexts and callbacks.
    pub contexts: CallContexts,
    /// Low-memory hook state.
    pub low_memory_hook: LowMemoryHook,
    /// Frozen by fault injection regardless of its balance.
    pub forced_frozen: bool,
    /// Query statistics: calls, instructions, request bytes, response bytes.
    pub query_stats: [u128; 4],
}

/// Most history entries kept (the IC keeps 20).
pub const MAX_HISTORY: usize = 20;

/// A canister's history: its most recent changes, and how many it has had in all.
#[derive(Debug, Default)]
pub struct History {
    /// The most recent changes, oldest first; at most [`MAX_HISTORY`].
    recent: Vec<Change>,
    /// Changes ever recorded, including those no longer kept.
    total: u64,
}

impl History {
    /// Records a change, dropping the oldest one kept beyond [`MAX_HISTORY`].
    pub fn record(&mut self, change: Change) {
        self.total += 1;
        self.recent.push(change);
        if self.recent.len() > MAX_HISTORY {
            self.recent.remove(0);
        }
    }

    /// The last `n` changes (all that are kept, if fewer), oldest first.
    pub fn last(&self, n: u64) -> &[Change] {
        let kept = self.recent.len();
        &self.recent[kept - (n.min(kept as u64) as usize)..]
    }

    /// Changes ever recorded.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl Canister {
    /// A new, empty, running canister.
    pub fn new(id: Principal, settings: Settings, cycles: u128) -> Self {
        Self {
            id,
            settings,
            status: RunStatus::Running,
            cycles,
            instance: None,
            wasm: Vec::new(),
            code_generation: 0,
            certified_data: Vec::new(),
            global_timer: 0,
            version: 0,
            history: History::default(),
            log: CanisterLog::default(),
            chunks: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            contexts: CallContexts::default(),
            low_memory_hook: LowMemoryHook::ConditionNotSatisfied,
            forced_frozen: false,
            query_stats: [0; 4],
        }
    }

    /// Whether `p` controls this canister.
    pub fn is_controller(&self, p: &Principal) -> bool {
        self.settings.controllers.contains(p)
    }

    /// Heap bytes.
    pub fn wasm_memory_size(&self) -> u64 {
        self.instance.as_ref().map_or(0, Instance::heap_size)
    }

    /// Stable memory bytes.
    pub fn stable_memory_size(&self) -> u64 {
        self.instance
            .as_ref()
            .map_or(0, |i| i.stable().size_bytes())
    }

    /// Globals bytes.
    pub fn global_memory_size(&self) -> u64 {
        self.instance.as_ref().map_or(0, Instance::globals_size)
    }

    /// Module bytes.
    pub fn wasm_binary_size(&self) -> u64 {
        self.wasm.len() as u64
    }

    /// `icp:` custom section bytes.
    pub fn custom_sections_size(&self) -> u64 {
        self.instance
            .as_ref()
            .map_or(0, |i| i.module().info.custom_sections_size)
    }

    /// History bytes (an estimate: 64 bytes per entry plus controllers).
    pub fn history_size(&self) -> u64 {
        self.history.recent.len() as u64 * 64
    }

    /// Chunk store bytes.
    pub fn chunk_store_size(&self) -> u64 {
        self.chunks.values().map(|c| c.len() as u64).sum()
    }

    /// Snapshot bytes.
    pub fn snapshots_size(&self) -> u64 {
        self.snapshots.values().map(CanisterSnapshot::size).sum()
    }

    /// Total memory, as `canister_status.memory_size` reports it.
    pub fn memory_size(&self) -> u64 {
        self.wasm_memory_size()
            + self.stable_memory_size()
            + self.global_memory_size()
            + self.wasm_binary_size()
            + self.custom_sections_size()
            + self.history_size()
            + self.chunk_store_size()
            + self.snapshots_size()
            + self.log.size() as u64
    }

    /// Cycles that must stay in the balance.
    pub fn freezing_reserve(&self) -> u128 {
        cycles::freezing_reserve(self.memory_size(), self.settings.freezing_threshold)
    }

    /// Whether the canister is frozen (its balance is at or below its freezing reserve).
    pub fn is_frozen(&self) -> bool {
        self.forced_frozen
            || (self.cycles <= self.freezing_reserve() && self.freezing_reserve() > 0)
    }

    /// Cycles above the freezing reserve.
    pub fn liquid_cycles(&self) -> u128 {
        if self.forced_frozen {
            return 0;
        }
        self.cycles.saturating_sub(self.freezing_reserve())
    }
}
