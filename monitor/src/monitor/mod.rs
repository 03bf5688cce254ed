//! The monitor's state and operations: every stable structure, and what happens on a
//! registration, a sample, a failed poll, a reported error and a delivery result. No calls, no
//! timers: the driver (or a native test) performs those and reports back here. Decisions are
//! made by [`crate::policy`]; each file here applies them to one concern.

mod admin;
mod delivery;
mod operations;
mod polling;
mod queries;
mod read_access;
mod registry;
mod watching;
mod webhooks;

pub use webhooks::WebhookDelivery;

use crate::api::*;
use crate::state::counters::Counters;
use crate::state::eventlog::EventLog;
use crate::state::identities::Identities;
use crate::state::operations::Operations;
use crate::state::outbox::Outbox;
use crate::state::read_settings::StoredReadSettings;
use crate::state::store::CanisterStore;
use crate::state::stored::Stored;
use crate::state::webhooks::{ChannelId, Webhooks};
use candid::Principal;
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::{Cell, Memory, StableBTreeMap};
use std::collections::{BTreeMap, BTreeSet};

/// The `MemoryId`s the monitor uses, one per structure.
pub mod memory_ids {
    pub const CONFIG: u8 = 0;
    pub const COUNTERS: u8 = 1;
    pub const ADMINS: u8 = 2;
    /// Canister id to record slot.
    pub const CANISTER_INDEX: u8 = 3;
    /// One fixed-size record per canister: registration and watch state.
    pub const CANISTER_RECORDS: u8 = 4;
    /// Unused since the poll schedule moved to the heap (it held a stable schedule index).
    #[allow(dead_code)] // reserved: reusing the id would misread an upgraded monitor's memory
    pub const UNUSED: u8 = 5;
    pub const OUTBOX: u8 = 6;
    pub const OUTBOX_DUE: u8 = 7;
    pub const DEAD_LETTERS: u8 = 8;
    pub const EVENT_LOG: u8 = 9;
    /// Running lifecycle operations (upgrades, backups, restores), by canister.
    pub const OPERATIONS_RUNNING: u8 = 10;
    /// Finished operations, by id.
    pub const OPERATIONS_FINISHED: u8 = 11;
    /// Snapshots operations took, by canister.
    pub const OPERATION_SNAPSHOTS: u8 = 12;
    /// Operation ids and outcome counts.
    pub const OPERATION_COUNTS: u8 = 13;
    /// Backup policies and their schedules, by canister.
    pub const BACKUP_SCHEDULES: u8 = 14;
    /// The module hash and controllers recorded of each canister.
    pub const RECORDED_IDENTITIES: u8 = 15;
    /// Changes of code or controllers admins expect, by canister.
    pub const EXPECTED_CHANGES: u8 = 16;
    /// Webhook channels' configurations, by channel number.
    pub const WEBHOOK_CHANNELS: u8 = 17;
    /// Webhook messages waiting, by channel and id.
    pub const WEBHOOK_OUTBOX: u8 = 18;
    /// The webhook outbox's due index.
    pub const WEBHOOK_OUTBOX_DUE: u8 = 19;
    /// Webhook messages given up, by channel and id.
    pub const WEBHOOK_DEAD_LETTERS: u8 = 20;
    /// Each channel's rate window and delivery counters.
    pub const WEBHOOK_STATES: u8 = 21;
    /// The next channel number.
    pub const WEBHOOK_NEXT_CHANNEL: u8 = 22;
    /// The read policy, the page setting and the metrics token's hash (24 is kept for this
    /// concern too).
    pub const READ_SETTINGS: u8 = 23;
    /// The highest id in use.
    pub const LAST: u8 = READ_SETTINGS;
    /// Each id's structure, as named in `/metrics`.
    pub const NAMES: [&str; LAST as usize + 1] = [
        "config",
        "counters",
        "admins",
        "canister_index",
        "canister_records",
        "unused",
        "outbox",
        "outbox_due",
        "dead_letters",
        "event_log",
        "operations_running",
        "operations_finished",
        "operation_snapshots",
        "operation_counts",
        "backup_schedules",
        "recorded_identities",
        "expected_changes",
        "webhook_channels",
        "webhook_outbox",
        "webhook_outbox_due",
        "webhook_dead_letters",
        "webhook_states",
        "webhook_next_channel",
        "read_settings",
    ];
}

/// Most undelivered events one canister may have before `report_error` is refused.
pub const MAX_PENDING_PER_TARGET: u64 = 256;
/// Longest reported error message kept.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// New registration, or a change to an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    New,
    Update,
}

/// What a sample led to, once its events were raised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleOutcome {
    /// Ids of the events raised.
    pub events: Vec<u64>,
    /// Cycles to deposit now, per the top-up policy.
    pub top_up: Option<u128>,
    /// Changes of code or controllers to raise events for, once `canister_info` was asked who
    /// made them ([`Monitor::raise_changes`]).
    pub changes: Vec<crate::policy::watching::Change>,
}

/// A delivery to perform: the head event of one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub target: Principal,
    pub event: HookEvent,
}

type Vm<M> = VirtualMemory<M>;

/// All monitor state.
pub struct Monitor<M: Memory> {
    id: Principal,
    config: Cell<Stored<Config>, Vm<M>>,
    counters: Cell<Counters, Vm<M>>,
    admins: StableBTreeMap<Principal, (), Vm<M>>,
    canisters: CanisterStore<Vm<M>>,
    outbox: Outbox<Vm<M>>,
    log: EventLog<Vm<M>>,
    webhooks: Webhooks<Vm<M>>,
    /// Channels with an outcall in flight (heap only: no call survives an upgrade).
    outcalls: BTreeSet<ChannelId>,
    /// When each channel holding a folded digest may send it (heap, rebuilt from the channels'
    /// states by the first use after an upgrade).
    digests_due: Option<BTreeMap<ChannelId, u64>>,
    operations: Operations<Vm<M>>,
    identities: Identities<Vm<M>>,
    read_settings: Cell<StoredReadSettings, Vm<M>>,
    /// When each running operation wants to run next (heap, rebuilt from `operations` by the
    /// first use after an upgrade).
    operation_wakeups: Option<BTreeMap<Principal, u64>>,
    /// Scheduled backups by due time (heap, rebuilt like `operation_wakeups`).
    backups_due: Option<BTreeSet<(u64, Principal)>>,
    /// Canisters whose operation has a task running (heap only: no call survives an upgrade).
    operating: BTreeSet<Principal>,
    /// Canisters with a status call in flight (heap only: no call survives an upgrade).
    polling: BTreeSet<Principal>,
    /// Targets with a delivery in flight.
    delivering: BTreeSet<Principal>,
    /// Instructions spent on samples (decode, decide, store) since the last upgrade.
    sample_cost: SampleCost,
    /// The memories of the structures, by `MemoryId`, to report their sizes.
    memories: Vec<Vm<M>>,
}

/// Instructions spent processing status samples (decode, decide, store) since the last upgrade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleCost {
    pub last: u64,
    pub max: u64,
    pub sum: u64,
    pub count: u64,
}

impl<M: Memory> Monitor<M> {
    /// Opens the monitor's state in `memory` (fresh or after an upgrade); O(1) in the registry size.
    pub fn init(memory: M, id: Principal) -> Self {
        Self::with_memory_manager(MemoryManager::init(memory), id)
    }

    /// Opens the monitor's state in the memories of `mm`.
    pub fn with_memory_manager(mm: MemoryManager<M>, id: Principal) -> Self {
        let get = |i: u8| mm.get(MemoryId::new(i));
        use memory_ids::*;
        Self {
            id,
            config: Cell::init(get(CONFIG), Stored(Config::default())),
            counters: Cell::init(get(COUNTERS), Counters::default()),
            admins: StableBTreeMap::init(get(ADMINS)),
            canisters: CanisterStore::init(get(CANISTER_INDEX), get(CANISTER_RECORDS)),
            outbox: Outbox::init(get(OUTBOX), get(OUTBOX_DUE), get(DEAD_LETTERS)),
            log: EventLog::init(get(EVENT_LOG)),
            outcalls: BTreeSet::new(),
            digests_due: None,
            operations: Operations::init(
                get(OPERATIONS_RUNNING),
                get(OPERATIONS_FINISHED),
                get(OPERATION_SNAPSHOTS),
                get(OPERATION_COUNTS),
                get(BACKUP_SCHEDULES),
            ),
            identities: Identities::init(get(RECORDED_IDENTITIES), get(EXPECTED_CHANGES)),
            // Last: new memories' buckets follow the existing ones.
            webhooks: Webhooks::init(
                get(WEBHOOK_CHANNELS),
                [
                    get(WEBHOOK_OUTBOX),
                    get(WEBHOOK_OUTBOX_DUE),
                    get(WEBHOOK_DEAD_LETTERS),
                ],
                get(WEBHOOK_STATES),
                get(WEBHOOK_NEXT_CHANNEL),
            ),
            read_settings: Cell::init(get(READ_SETTINGS), StoredReadSettings::default()),
            operation_wakeups: None,
            backups_due: None,
            operating: BTreeSet::new(),
            polling: BTreeSet::new(),
            delivering: BTreeSet::new(),
            sample_cost: SampleCost::default(),
            memories: (0..=memory_ids::LAST).map(get).collect(),
        }
    }

    /// The monitor's own canister id.
    pub fn id(&self) -> Principal {
        self.id
    }

    fn bump(&mut self, f: impl FnOnce(&mut Stats)) {
        let mut c = self.counters.get().clone();
        f(&mut c.stats);
        self.counters.set(c);
    }

    /// Assigns the next id to `event`, logs it, writes it to the outbox if the canister
    /// subscribed, and to the webhook outbox of every channel that takes it.
    fn emit(&mut self, reg: &Registration, event: HookEvent, now_ns: u64) -> u64 {
        let mut c = self.counters.get().clone();
        c.next_event_id += 1;
        c.stats.events += 1;
        let id = c.next_event_id;
        self.counters.set(c);
        let event = crate::policy::evaluate::with_id(event, id);
        let wanted = event.kind().is_subscribed(&reg.hooks);
        let capacity = self.config.get().event_log_capacity;
        self.log.append(
            EventRecord {
                id,
                canister_id: reg.canister_id,
                created_at_ns: now_ns,
                event: event.clone(),
                delivery: if wanted {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::NotSubscribed
                },
            },
            capacity,
        );
        self.fan_out(reg.canister_id, &event, now_ns);
        if wanted {
            self.outbox.enqueue(reg.canister_id, id, event, now_ns);
        }
        id
    }

    #[cfg(test)]
    /// Checks internal invariants (tests).
    pub fn check_invariants(&mut self) -> Result<(), String> {
        self.outbox.check_invariant()?;
        self.webhooks.outbox.check_invariant()?;
        self.canisters.check_invariants()
    }
}
