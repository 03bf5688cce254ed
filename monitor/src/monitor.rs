//! The monitor's state and decisions: every stable structure, and what happens on a sample, a
//! failed poll, a reported error, and a delivery result. No calls, no timers: the canister layer
//! (or a native test) performs those and reports back here.

use crate::api::*;
use crate::backoff::{mix, Backoff};
use crate::calls::CallError;
use crate::codec::{self, Reader, Writer};
use crate::eventlog::EventLog;
use crate::outbox::{candid_storable, Outbox, Outcome, RetryPolicy};
use crate::sample::{RunStatus, Sample, DAY_SECONDS};
use crate::scheduler::{self, PollWindow};
use crate::store::{CanisterRecord, CanisterStore};
use crate::topup::{self, TopUp};
use crate::triggers::{level_flag, level_high, level_low, Firing, Level};
use crate::validation::{self, Context};
use crate::watch::{TriggerId, TRIGGERS};
use candid::Principal;
use canister_hooks::events::{ErrorReport, ErrorSource, EventOrigin};
use ic_stable_structures::memory_manager::{MemoryId, MemoryManager, VirtualMemory};
use ic_stable_structures::storable::Bound;
use ic_stable_structures::{Cell, Memory, StableBTreeMap, Storable};
use std::borrow::Cow;
use std::collections::BTreeSet;

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
    pub const UNUSED: u8 = 5;
    pub const OUTBOX: u8 = 6;
    pub const OUTBOX_DUE: u8 = 7;
    pub const DEAD_LETTERS: u8 = 8;
    pub const EVENT_LOG: u8 = 9;
    /// The highest id in use.
    pub const LAST: u8 = EVENT_LOG;
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
    ];
}

/// Most undelivered events one canister may have before `report_error` is refused.
pub const MAX_PENDING_PER_TARGET: u64 = 256;
/// Longest reported error message kept.
pub const MAX_MESSAGE_BYTES: usize = 1024;
/// Consecutive transient status failures tolerated before raising an error event.
pub const TRANSIENT_FAILURES_BEFORE_EVENT: u32 = 3;

const NS: u64 = 1_000_000_000;

candid_storable!(Config);

/// Event id counter and statistics, in a fixed binary layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counters {
    next_event_id: u64,
    stats: Stats,
}

impl Storable for Counters {
    fn to_bytes(&self) -> Cow<'_, [u8]> {
        let s = &self.stats;
        let mut w = Writer::with_capacity(64);
        for v in [
            self.next_event_id,
            s.polls,
            s.poll_failures,
            s.events,
            s.deliveries,
            s.delivery_failures,
            s.dead_lettered,
            s.redriven,
            s.top_ups,
            s.errors_reported,
        ] {
            w.u64(v);
        }
        w.varint(s.top_up_cycles);
        Cow::Owned(w.finish())
    }
    fn into_bytes(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }
    fn from_bytes(bytes: Cow<[u8]>) -> Self {
        let mut r = Reader::new(&bytes);
        let next_event_id = r.u64();
        let stats = Stats {
            polls: r.u64(),
            poll_failures: r.u64(),
            events: r.u64(),
            deliveries: r.u64(),
            delivery_failures: r.u64(),
            dead_lettered: r.u64(),
            redriven: r.u64(),
            top_ups: r.u64(),
            errors_reported: r.u64(),
            top_up_cycles: r.varint(),
            ..Default::default()
        };
        Counters {
            next_event_id,
            stats,
        }
    }
    const BOUND: Bound = Bound::Bounded {
        max_size: (10 * codec::MAX_U64 + codec::MAX_U128) as u32,
        is_fixed_size: false,
    };
}

/// New registration, or a change to an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    New,
    Update,
}

/// What a sample led to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleOutcome {
    /// Ids of the events raised.
    pub events: Vec<u64>,
    /// Cycles to deposit now, per the top-up policy.
    pub top_up: Option<u128>,
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
    config: Cell<Config, Vm<M>>,
    counters: Cell<Counters, Vm<M>>,
    admins: StableBTreeMap<Principal, (), Vm<M>>,
    canisters: CanisterStore<Vm<M>>,
    outbox: Outbox<Vm<M>>,
    log: EventLog<Vm<M>>,
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

fn hook_bit(kind: EventKind) -> u8 {
    match kind {
        EventKind::LowCycles => 1,
        EventKind::LowMemory => 2,
        EventKind::Error => 4,
    }
}

fn subscribed(hooks: &Hooks, kind: EventKind) -> bool {
    match kind {
        EventKind::LowCycles => hooks.on_low_cycles,
        EventKind::LowMemory => hooks.on_low_memory,
        EventKind::Error => hooks.on_error,
    }
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
            config: Cell::init(get(CONFIG), Config::default()),
            counters: Cell::init(get(COUNTERS), Counters::default()),
            admins: StableBTreeMap::init(get(ADMINS)),
            canisters: CanisterStore::init(get(CANISTER_INDEX), get(CANISTER_RECORDS)),
            outbox: Outbox::init(get(OUTBOX), get(OUTBOX_DUE), get(DEAD_LETTERS)),
            log: EventLog::init(get(EVENT_LOG)),
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

    // ---- configuration and admins ----

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config.get().clone()
    }

    /// Applies a configuration change.
    pub fn set_config(&mut self, update: &ConfigUpdate) -> Result<Config, AdminError> {
        let c = crate::config::apply(self.config.get(), update)?;
        self.config.set(c.clone());
        Ok(c)
    }

    /// True when `caller` may administer the monitor.
    pub fn is_admin(&self, caller: Principal, is_controller: bool) -> bool {
        is_controller || self.admins.contains_key(&caller)
    }

    /// Adds an admin.
    pub fn add_admin(&mut self, p: Principal) {
        self.admins.insert(p, ());
    }

    /// Removes an admin; true when it was one.
    pub fn remove_admin(&mut self, p: Principal) -> bool {
        self.admins.remove(&p).is_some()
    }

    /// The admins added by controllers.
    pub fn admins(&self) -> Vec<Principal> {
        self.admins.keys().collect()
    }

    // ---- registry ----

    /// Whether `caller` may (re-)register `target`; returns true when it is self-registration.
    pub fn authorize_registration(
        &self,
        caller: Principal,
        is_controller: bool,
        target: Principal,
    ) -> Result<bool, RegistrationError> {
        if self.is_admin(caller, is_controller) {
            return Ok(false);
        }
        if caller == target && self.config.get().allow_self_registration {
            return Ok(true);
        }
        Err(RegistrationError::NotAuthorized {
            caller,
            reason: if caller == target {
                "self-registration is disabled; ask an admin to register the canister or to enable allow_self_registration".into()
            } else {
                "only the monitor's controllers and admins may manage registrations".into()
            },
        })
    }

    /// Validates a registration request against the arguments and the registry.
    pub fn prepare(
        &self,
        args: &RegisterArgs,
        self_registered: bool,
        mode: Mode,
        now_ns: u64,
    ) -> Result<Registration, RegistrationError> {
        let config = self.config.get();
        let mut reg = validation::validate(
            args,
            &Context {
                monitor_id: self.id,
                config,
                now_ns,
                self_registered,
            },
        )?;
        match (mode, self.canisters.registration(&args.canister_id)) {
            (Mode::New, Some(_)) => {
                return Err(RegistrationError::AlreadyRegistered {
                    canister_id: args.canister_id,
                })
            }
            (Mode::New, None) if self.canisters.len() >= config.max_registrations => {
                return Err(RegistrationError::RegistryFull {
                    field: "canister_id".into(),
                    cap: config.max_registrations,
                })
            }
            (Mode::Update, None) => {
                return Err(RegistrationError::NotRegistered {
                    canister_id: args.canister_id,
                })
            }
            (Mode::Update, Some(old)) => {
                reg.registered_at_ns = old.registered_at_ns;
                reg.self_registered = old.self_registered;
            }
            _ => {}
        }
        Ok(reg)
    }

    /// Stores a prepared registration (re-checking what may have changed while the status was
    /// read) and processes its first sample.
    pub fn commit(
        &mut self,
        reg: Registration,
        mode: Mode,
        first_sample: Option<Sample>,
        now_ns: u64,
        own_balance: u128,
    ) -> Result<(Registration, SampleOutcome), RegistrationError> {
        let id = reg.canister_id;
        let exists = self.canisters.contains(&id);
        match mode {
            Mode::New if exists => {
                return Err(RegistrationError::AlreadyRegistered { canister_id: id })
            }
            Mode::New if self.canisters.len() >= self.config.get().max_registrations => {
                return Err(RegistrationError::RegistryFull {
                    field: "canister_id".into(),
                    cap: self.config.get().max_registrations,
                })
            }
            Mode::Update if !exists => {
                return Err(RegistrationError::NotRegistered { canister_id: id })
            }
            _ => {}
        }
        match mode {
            Mode::New => {
                // Due at once until the first sample (or its absence) schedules it.
                let mut record = CanisterRecord::new(reg.clone());
                record.watch.next_poll = PollWindow::at(now_ns);
                self.canisters.insert(record);
            }
            Mode::Update => {
                let mut l = self.canisters.load(&id).expect("checked above");
                l.record.registration = reg.clone();
                self.canisters.save(l);
            }
        }
        let outcome = match first_sample {
            Some(s) => self.on_sample(id, s, now_ns, own_balance),
            None => {
                // Re-schedule under the new bounds from what is known.
                let mut l = self.canisters.load(&id).expect("stored above");
                let w = &l.record.watch;
                let delay = match &w.last_sample {
                    Some(s) => scheduler::next_poll_delay(
                        &reg,
                        s,
                        &w.estimate,
                        self.config.get().poll_fraction_percent,
                    ),
                    None => reg.poll.min_interval_seconds,
                };
                l.record.watch.next_poll = PollWindow::after(now_ns, delay);
                self.canisters.save(l);
                SampleOutcome::default()
            }
        };
        Ok((reg, outcome))
    }

    /// Removes a registration; its undelivered events become dead letters.
    pub fn unregister(&mut self, id: Principal, now_ns: u64) -> Result<(), RegistrationError> {
        if self.canisters.remove(&id).is_none() {
            return Err(RegistrationError::NotRegistered { canister_id: id });
        }
        let reason = "the canister was unregistered before delivery";
        for event_id in self.outbox.purge(id, reason, now_ns) {
            self.log.set_delivery(
                event_id,
                DeliveryStatus::DeadLettered {
                    at_ns: now_ns,
                    reason: reason.into(),
                },
            );
            self.bump(|s| s.dead_lettered += 1);
        }
        self.trim_dead_letters();
        Ok(())
    }

    /// The registration of `id`.
    pub fn registration(&self, id: Principal) -> Option<Registration> {
        self.canisters.registration(&id)
    }

    /// A page of registrations.
    pub fn registrations(&self, start_after: Option<Principal>, limit: usize) -> RegistrationPage {
        let (registrations, next) = self.canisters.page(start_after, limit.clamp(1, 500));
        RegistrationPage {
            registrations,
            next,
        }
    }

    // ---- polling ----

    /// Canisters whose poll is due, oldest due first, within the free concurrency slots; they are
    /// marked in flight until their result is reported.
    pub fn take_due_polls(&mut self, now_ns: u64) -> Vec<Principal> {
        let slots = (self.config.get().max_concurrent_status_calls as usize)
            .saturating_sub(self.polling.len());
        let polling = &self.polling;
        let out = self.canisters.due(now_ns, slots, |id| polling.contains(id));
        self.polling.extend(out.iter().copied());
        out
    }

    /// Status calls in flight.
    pub fn polls_in_flight(&self) -> usize {
        self.polling.len()
    }

    /// Records the instructions one sample took (decode, decide, store).
    pub fn record_sample_cost(&mut self, instructions: u64) {
        let c = &mut self.sample_cost;
        c.last = instructions;
        c.max = c.max.max(instructions);
        c.sum = c.sum.saturating_add(instructions);
        c.count += 1;
    }

    /// Instructions spent on samples since the last upgrade.
    pub fn sample_cost(&self) -> SampleCost {
        self.sample_cost
    }

    /// Stable memory each structure occupies, bytes, indexed by `MemoryId` (exact: not rounded
    /// to the memory manager's buckets).
    pub fn structure_sizes(&self) -> Vec<u64> {
        self.memories.iter().map(|m| m.size() * 65_536).collect()
    }

    /// Hook calls in flight.
    pub fn deliveries_in_flight(&self) -> usize {
        self.delivering.len()
    }

    /// Frees the slot of a poll whose task ended without a result (its future was dropped).
    pub fn release_poll(&mut self, id: Principal) {
        self.polling.remove(&id);
    }

    /// Frees the slot of a delivery whose task ended without a result; the event stays at the
    /// head of its target's queue and is attempted again.
    pub fn release_delivery(&mut self, target: Principal) {
        self.delivering.remove(&target);
    }

    /// Makes `id` due for polling now.
    pub fn poll_now(&mut self, id: Principal, now_ns: u64) -> Result<(), RegistrationError> {
        let mut l = self
            .canisters
            .load(&id)
            .ok_or(RegistrationError::NotRegistered { canister_id: id })?;
        l.record.watch.next_poll = PollWindow::at(now_ns);
        self.canisters.save(l);
        Ok(())
    }

    /// Processes one status sample of `id`: estimate, triggers, top-up decision, next poll.
    pub fn on_sample(
        &mut self,
        id: Principal,
        sample: Sample,
        now_ns: u64,
        own_balance: u128,
    ) -> SampleOutcome {
        self.polling.remove(&id);
        let Some(mut l) = self.canisters.load(&id) else {
            return SampleOutcome::default();
        };
        let config = self.config.get().clone();
        let CanisterRecord {
            registration: reg,
            watch: w,
        } = &mut l.record;
        let est = w.estimate.update(w.last_sample.as_ref(), &sample);
        w.estimate = est;
        w.polls += 1;
        w.consecutive_failures = 0;
        w.last_failure.clear();
        let now_s = now_ns / NS;
        let (hyst, reminder) = (reg.hysteresis_percent, reg.reminder_interval_seconds);
        w.trigger(TriggerId::StatusUnreadable)
            .observe(Level::Recovered, now_s, None);

        let mut events: Vec<Box<dyn FnOnce(u64) -> HookEvent>> = vec![];
        let origin = EventOrigin::Monitor(self.id);
        let mut cycles_low = false;
        if let Some(threshold) = reg.cycles_threshold {
            let level = level_low(sample.cycles, threshold, hyst);
            cycles_low = level == Level::Crossed;
            if w.trigger(TriggerId::Cycles)
                .observe(level, now_s, reminder)
                .is_some()
            {
                let (origin, s) = (origin.clone(), sample.clone());
                events.push(Box::new(move |id| {
                    HookEvent::LowCycles(LowCyclesEvent {
                        id,
                        origin,
                        balance: s.cycles,
                        threshold,
                        burn_rate_per_day: (est.cycles_burn * DAY_SECONDS as f64) as u128,
                        seconds_to_freeze: est.seconds_until_cycles(s.cycles, s.freezing_reserve),
                        observed_at_ns: s.at_ns,
                    })
                }));
            }
        }
        for (metric, threshold) in reg.memory.iter() {
            let Some(value) = sample.metric(metric) else {
                continue;
            };
            let level = level_high(value, threshold, hyst);
            if w.trigger(TriggerId::Memory(metric))
                .observe(level, now_s, reminder)
                .is_some()
            {
                let origin = origin.clone();
                let limit = (sample.wasm_memory_limit > 0).then_some(sample.wasm_memory_limit);
                let at = sample.at_ns;
                events.push(Box::new(move |id| {
                    HookEvent::LowMemory(LowMemoryEvent {
                        id,
                        origin,
                        metric,
                        value,
                        threshold,
                        limit,
                        observed_at_ns: at,
                    })
                }));
            }
        }
        let faults = [
            (
                TriggerId::Frozen,
                sample.freezing_reserve > 0 && sample.cycles <= sample.freezing_reserve,
                format!(
                    "balance {} is at or below the freezing reserve {}: the canister is frozen or about to freeze",
                    sample.cycles, sample.freezing_reserve
                ),
            ),
            (
                TriggerId::Stopped,
                sample.status != RunStatus::Running,
                format!("the canister is {} (not running)", sample.status.name()),
            ),
            (
                TriggerId::HeapAtLimit,
                sample.wasm_memory_limit > 0 && sample.heap_bytes.saturating_add(65_536) > sample.wasm_memory_limit,
                format!(
                    "heap {} bytes is at its wasm_memory_limit {}",
                    sample.heap_bytes, sample.wasm_memory_limit
                ),
            ),
        ];
        for (trigger, faulty, message) in faults {
            if let Some(f) = w
                .trigger(trigger)
                .observe(level_flag(faulty), now_s, reminder)
            {
                let (origin, at) = (origin.clone(), sample.at_ns);
                let count = if f == Firing::Reminder { 2 } else { 1 };
                events.push(Box::new(move |id| {
                    HookEvent::Error(ErrorEvent {
                        id,
                        origin,
                        source: ErrorSource::System(trigger.name().into()),
                        message,
                        reject_code: None,
                        time_ns: at,
                        count,
                    })
                }));
            }
        }
        let top_up = match (&reg.top_up, cycles_low) {
            (Some(policy), true) => match topup::decide(
                policy,
                &w.spending,
                now_s / DAY_SECONDS,
                own_balance,
                config.top_up_reserve_cycles,
            ) {
                TopUp::Deposit(amount) => Some(amount),
                TopUp::BudgetExhausted | TopUp::ReserveProtected => None,
            },
            _ => None,
        };
        // Without a previous sample there is no rate yet: look again soon to learn it.
        let delay = if w.last_sample.is_none() {
            reg.poll.min_interval_seconds
        } else {
            scheduler::next_poll_delay(reg, &sample, &est, config.poll_fraction_percent)
        };
        w.last_sample = Some(sample);
        w.next_poll = PollWindow::after(now_ns, delay);
        self.bump(|s| s.polls += 1);
        let ids = events
            .into_iter()
            .map(|make| self.emit(reg, make, now_ns))
            .collect();
        self.canisters.save(l);
        SampleOutcome {
            events: ids,
            top_up,
        }
    }

    /// Records a failed status call: backs the canister's polling off and, once the failure is
    /// clearly not transient, raises a `status_unreadable` error event.
    pub fn on_poll_failure(&mut self, id: Principal, err: &CallError, now_ns: u64) -> Option<u64> {
        self.polling.remove(&id);
        let mut l = self.canisters.load(&id)?;
        let reg = l.record.registration.clone();
        let config = self.config.get().clone();
        let w = &mut l.record.watch;
        w.consecutive_failures = w.consecutive_failures.saturating_add(1);
        w.last_failure = err.describe();
        let now_s = now_ns / NS;
        let raise = !err.transient || w.consecutive_failures >= TRANSIENT_FAILURES_BEFORE_EVENT;
        let fired = raise
            && w.trigger(TriggerId::StatusUnreadable)
                .observe(Level::Crossed, now_s, reg.reminder_interval_seconds)
                .is_some();
        let backoff = Backoff {
            base_seconds: config
                .backoff_base_seconds
                .max(reg.poll.min_interval_seconds),
            max_seconds: reg.poll.max_interval_seconds,
        };
        let delay = scheduler::clamp(
            reg.poll,
            backoff.delay(w.consecutive_failures, mix(now_ns) ^ w.polls),
        );
        let failures = w.consecutive_failures;
        w.next_poll = PollWindow::after(now_ns, delay);
        self.canisters.save(l);
        self.bump(|s| s.poll_failures += 1);
        if !fired {
            return None;
        }
        let (origin, fix, message) = (
            EventOrigin::Monitor(self.id),
            err.status_fix(&self.id.to_text()),
            err.describe(),
        );
        let code = err.reject_code;
        Some(self.emit(
            &reg,
            Box::new(move |id| {
                HookEvent::Error(ErrorEvent {
                    id,
                    origin,
                    source: ErrorSource::System(TriggerId::StatusUnreadable.name().into()),
                    message: format!(
                        "canister_status failed ({failures} in a row): {message}; {fix}"
                    ),
                    reject_code: code,
                    time_ns: now_ns,
                    count: failures as u64,
                })
            }),
            now_ns,
        ))
    }

    /// Records the result of a top-up deposit. An unclean failure may have deposited the cycles,
    /// so it counts against the budget.
    pub fn on_top_up(
        &mut self,
        id: Principal,
        amount: u128,
        result: Result<(), CallError>,
        now_ns: u64,
    ) {
        let Some(mut l) = self.canisters.load(&id) else {
            return;
        };
        let w = &mut l.record.watch;
        let day = now_ns / NS / DAY_SECONDS;
        match &result {
            Ok(()) => {
                w.spending.record(day, amount);
                self.bump(|s| {
                    s.top_ups += 1;
                    s.top_up_cycles = s.top_up_cycles.saturating_add(amount);
                });
            }
            Err(e) => {
                if !e.clean {
                    w.spending.record(day, amount);
                }
                w.last_failure = format!("top-up failed: {}", e.describe());
            }
        }
        self.canisters.save(l);
    }

    // ---- events and delivery ----

    fn bump(&mut self, f: impl FnOnce(&mut Stats)) {
        let mut c = self.counters.get().clone();
        f(&mut c.stats);
        self.counters.set(c);
    }

    /// Assigns the next id, logs the event and, if the canister subscribed, writes it to the outbox.
    fn emit(
        &mut self,
        reg: &Registration,
        make: Box<dyn FnOnce(u64) -> HookEvent + '_>,
        now_ns: u64,
    ) -> u64 {
        let mut c = self.counters.get().clone();
        c.next_event_id += 1;
        c.stats.events += 1;
        let id = c.next_event_id;
        self.counters.set(c);
        let event = make(id);
        let wanted = subscribed(&reg.hooks, event.kind());
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
        if wanted {
            self.outbox.enqueue(reg.canister_id, event, now_ns);
        }
        id
    }

    /// Turns an SDK error report from `caller` (a registered canister, about itself) into an
    /// `on_error` event.
    pub fn report_error(
        &mut self,
        caller: Principal,
        report: ErrorReport,
        now_ns: u64,
    ) -> Result<u64, String> {
        let Some(reg) = self.canisters.registration(&caller) else {
            return Err(format!(
                "caller {caller} is not registered with this monitor; only a registered canister may report its own errors"
            ));
        };
        if self.outbox.pending_for(caller) >= MAX_PENDING_PER_TARGET {
            return Err(format!(
                "{MAX_PENDING_PER_TARGET} events for {caller} are still undelivered; fold repeats into `count` and retry later"
            ));
        }
        self.bump(|s| s.errors_reported += 1);
        let origin = EventOrigin::Monitor(self.id);
        let message = codec::truncate(&report.message, MAX_MESSAGE_BYTES).to_string();
        Ok(self.emit(
            &reg,
            Box::new(move |id| {
                HookEvent::Error(ErrorEvent {
                    id,
                    origin,
                    source: report.source,
                    message,
                    reject_code: report.reject_code,
                    time_ns: if report.time_ns == 0 {
                        now_ns
                    } else {
                        report.time_ns
                    },
                    count: report.count.max(1),
                })
            }),
            now_ns,
        ))
    }

    fn retry_policy(&self) -> RetryPolicy {
        let c = self.config.get();
        RetryPolicy {
            backoff: Backoff {
                base_seconds: c.backoff_base_seconds,
                max_seconds: c.backoff_max_seconds,
            },
            max_attempts: c.delivery_max_attempts,
            max_age_ns: c.delivery_max_age_seconds.saturating_mul(NS),
        }
    }

    /// Head events due for delivery within the free concurrency slots, one per target; the
    /// targets are marked in flight until the result is reported.
    pub fn take_due_deliveries(&mut self, now_ns: u64) -> Vec<Delivery> {
        let slots = (self.config.get().max_concurrent_deliveries as usize)
            .saturating_sub(self.delivering.len());
        let busy = &self.delivering;
        let due = self.outbox.due(now_ns, slots, |t| busy.contains(t));
        self.delivering.extend(due.iter().map(|d| d.0));
        due.into_iter()
            .map(|(target, _, event)| Delivery { target, event })
            .collect()
    }

    /// Records the result of delivering event `id` of `kind` to `target`.
    pub fn on_delivery(
        &mut self,
        target: Principal,
        id: u64,
        kind: EventKind,
        result: Result<(), CallError>,
        now_ns: u64,
    ) -> Outcome {
        self.delivering.remove(&target);
        let endpoint = match kind {
            EventKind::LowCycles => canister_hooks::events::endpoint::ON_LOW_CYCLES,
            EventKind::LowMemory => canister_hooks::events::endpoint::ON_LOW_MEMORY,
            EventKind::Error => canister_hooks::events::endpoint::ON_ERROR,
        };
        let outcome = match result {
            Ok(()) => self.outbox.ack(target, id),
            Err(e) => {
                let failure = e.delivery_failure(endpoint);
                let missing = matches!(failure, crate::outbox::Failure::Permanent(_));
                if missing {
                    self.set_missing_hook(target, kind, true);
                }
                self.bump(|s| s.delivery_failures += 1);
                self.outbox
                    .fail(target, id, failure, now_ns, &self.retry_policy())
            }
        };
        match &outcome {
            Outcome::Acked { attempts } => {
                self.log.set_delivery(
                    id,
                    DeliveryStatus::Delivered {
                        at_ns: now_ns,
                        attempts: *attempts,
                    },
                );
                self.set_missing_hook(target, kind, false);
                self.bump(|s| s.deliveries += 1);
            }
            Outcome::DeadLettered { reason } => {
                self.log.set_delivery(
                    id,
                    DeliveryStatus::DeadLettered {
                        at_ns: now_ns,
                        reason: reason.clone(),
                    },
                );
                self.bump(|s| s.dead_lettered += 1);
                self.trim_dead_letters();
            }
            Outcome::Retry { .. } | Outcome::Unknown => {}
        }
        outcome
    }

    fn set_missing_hook(&mut self, target: Principal, kind: EventKind, missing: bool) {
        if let Some(mut l) = self.canisters.load(&target) {
            let w = &mut l.record.watch;
            let before = w.missing_hooks;
            if missing {
                w.missing_hooks |= hook_bit(kind);
            } else {
                w.missing_hooks &= !hook_bit(kind);
            }
            if w.missing_hooks != before {
                self.canisters.save(l);
            }
        }
    }

    fn trim_dead_letters(&mut self) {
        let cap = self.config.get().event_log_capacity;
        self.outbox.trim_dead(cap);
    }

    /// Puts dead letter `id` back in the outbox.
    pub fn redrive(&mut self, id: u64, now_ns: u64) -> Result<u64, RedriveError> {
        let d = self
            .outbox
            .dead_letter(id)
            .ok_or(RedriveError::UnknownDeadLetter { id })?;
        if !self.canisters.contains(&d.canister_id) {
            return Err(RedriveError::NotRegistered {
                canister_id: d.canister_id,
            });
        }
        self.outbox.redrive(id, now_ns);
        self.log.set_delivery(id, DeliveryStatus::Pending);
        self.bump(|s| s.redriven += 1);
        Ok(id)
    }

    /// Puts every dead letter of `canister` back in the outbox; returns how many.
    pub fn redrive_canister(
        &mut self,
        canister: Principal,
        now_ns: u64,
    ) -> Result<u64, RedriveError> {
        if !self.canisters.contains(&canister) {
            return Err(RedriveError::NotRegistered {
                canister_id: canister,
            });
        }
        let ids = self.outbox.dead_ids_of(canister);
        for id in &ids {
            self.redrive(*id, now_ns)?;
        }
        Ok(ids.len() as u64)
    }

    /// When the timer should next wake: the earliest startable poll or delivery.
    pub fn next_wakeup(&mut self) -> Option<u64> {
        let c = self.config.get();
        let poll = if self.polling.len() < c.max_concurrent_status_calls as usize {
            let polling = &self.polling;
            self.canisters.next_due(|id| polling.contains(id))
        } else {
            None
        };
        let delivery = if self.delivering.len() < c.max_concurrent_deliveries as usize {
            self.outbox
                .next_due_excluding(|t| self.delivering.contains(t))
        } else {
            None
        };
        match (poll, delivery) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- queries ----

    /// The event history.
    pub fn events(&self, filter: &EventFilter) -> EventPage {
        self.log.query(filter)
    }

    /// Dead letters, oldest first.
    pub fn dead_letters(
        &self,
        canister: Option<Principal>,
        after_id: Option<u64>,
        limit: usize,
    ) -> DeadLetterPage {
        let (dead_letters, next) = self
            .outbox
            .dead_page(canister, after_id, limit.clamp(1, 500));
        DeadLetterPage { dead_letters, next }
    }

    /// Everything known about `id`.
    pub fn canister_state(&self, id: Principal, now_ns: u64) -> Option<CanisterState> {
        let CanisterRecord {
            registration,
            watch: w,
        } = self.canisters.get(&id)?;
        let day = now_ns / NS / DAY_SECONDS;
        let per_day = DAY_SECONDS as f64;
        let names = [
            (EventKind::LowCycles, "on_low_cycles"),
            (EventKind::LowMemory, "on_low_memory"),
            (EventKind::Error, "on_error"),
        ];
        Some(CanisterState {
            last_sample: w.last_sample.as_ref().map(Sample::view),
            burn_rate_cycles_per_day: w.estimate.cycles_burn * per_day,
            heap_growth_bytes_per_day: w.estimate.heap_growth * per_day,
            stable_growth_bytes_per_day: w.estimate.stable_growth * per_day,
            next_poll_ns: w.next_poll.due_ns,
            polls: w.polls,
            triggers: TRIGGERS
                .iter()
                .filter(|t| match t {
                    TriggerId::Cycles => registration.cycles_threshold.is_some(),
                    TriggerId::Memory(m) => registration.memory.iter().any(|(x, _)| x == *m),
                    _ => true,
                })
                .map(|t| {
                    let s = w.trigger_ref(*t);
                    TriggerView {
                        name: t.name().into(),
                        armed: !s.fired,
                        last_fired_ns: (s.last_fired_s > 0)
                            .then(|| s.last_fired_s.saturating_mul(NS)),
                    }
                })
                .collect(),
            consecutive_failures: w.consecutive_failures,
            last_failure: (!w.last_failure.is_empty()).then(|| w.last_failure.clone()),
            missing_hooks: names
                .iter()
                .filter(|(k, _)| w.missing_hooks & hook_bit(*k) != 0)
                .map(|(_, n)| n.to_string())
                .collect(),
            topped_up_today: w.spending.spent_on(day),
            topped_up_total: w.spending.total,
            pending_events: self.outbox.pending_for(id),
            registration,
        })
    }

    /// Counters and sizes.
    pub fn stats(&self) -> Stats {
        Stats {
            registrations: self.canisters.len(),
            outbox_pending: self.outbox.len(),
            dead_letters: self.outbox.dead_len(),
            ..self.counters.get().stats.clone()
        }
    }

    /// Registered canister count.
    pub fn registered(&self) -> u64 {
        self.canisters.len()
    }

    /// Checks internal invariants (tests).
    pub fn check_invariants(&mut self) -> Result<(), String> {
        self.outbox.check_invariant()?;
        self.canisters.check_invariants()
    }
}
