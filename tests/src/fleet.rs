//! A monitor watching a fleet of example canisters on a PocketIC instance, for the monitor's
//! end-to-end tests (`tests/tests/monitor_*.rs`).
//!
//! Only the public `pocket-ic` API is used, so the same tests run against our emulator and a real
//! PocketIC. Time moves only when a test says so ([`Fleet::step`], [`Fleet::run_until`]): every
//! run is deterministic.

use crate::canister_wasm;
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Principal};
use canister_hooks::types::{Phase, Readiness};
use hooks_monitor::api::{
    CanisterState, ConfigUpdate, DeadLetter, DeadLetterPage, DeliveryStatus, EventFilter,
    EventKind, EventPage, EventRecord, HookEvent, Hooks, PollBounds, RegisterArgs, Registration,
    RegistrationError, RegistrationPage, Stats, TriggerView,
};
use pocket_ic::common::rest::{RawEffectivePrincipal, RawMessageId};
use pocket_ic::{CreateCanisterParams, PocketIc, RejectResponse};
use serde::Deserialize;
use std::time::Duration;

pub use pocket_ic::CanisterSettings;

/// Cycles the monitor starts with.
pub const MONITOR_CYCLES: u128 = 50_000_000_000_000;
/// Cycles each example canister starts with.
pub const TARGET_CYCLES: u128 = 5_000_000_000_000;
/// One trillion cycles.
pub const T: u128 = 1_000_000_000_000;
/// Rounds run after each time step: one for a due timer and the calls it makes, one for the
/// timer the monitor re-arms when that work produced more (a poll's event is delivered next).
pub const TICKS_PER_STEP: usize = 2;
/// Polling bounds of [`Fleet::register_args`]: every 5 s at most, every minute at least.
pub const FAST_POLL: PollBounds = PollBounds {
    min_interval_seconds: 5,
    max_interval_seconds: 60,
};

/// Monitor settings that let a few emulated minutes show every behaviour: 5 s polling floor,
/// 10 s call timeout, retries after 2 to 8 s, dead letter after the third attempt.
pub fn fast_config() -> ConfigUpdate {
    ConfigUpdate {
        min_interval_floor_seconds: Some(5),
        default_poll: Some(FAST_POLL),
        call_timeout_seconds: Some(10),
        backoff_base_seconds: Some(2),
        backoff_max_seconds: Some(8),
        delivery_max_attempts: Some(3),
        ..Default::default()
    }
}

/// The monitor's install and upgrade argument.
pub use hooks_monitor::api::InitArgs as MonitorInit;

/// The load canister's init argument (`LoadInit` in load.did).
#[derive(CandidType)]
struct LoadInit {
    monitor: Option<Principal>,
}

/// The worker's init argument (`WorkerInit` in worker.did).
#[derive(CandidType)]
struct WorkerInit {
    monitor: Option<Principal>,
    greeting: Option<String>,
}

/// How the load canister's hook handlers behave (`HookMode` in load.did).
#[derive(CandidType, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookMode {
    /// Record the event and reply.
    Normal,
    /// Trap in every handler.
    Trap,
    /// Record, then make this many sequential self-calls before replying.
    Slow(u32),
}

/// The part of load.did's `LoadStatus` the tests read.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct LoadStatus {
    pub heap_bytes: u64,
    pub stable_bytes: u64,
    /// Events handled, per kind: low cycles, low memory, error.
    pub received: (u64, u64, u64),
}

/// The part of worker.did's `Ledger` the tests read.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct WorkerLedger {
    pub errors_seen: u64,
    pub last_error: Option<String>,
}

/// The part of worker.did's `WorkerStats` the tests read.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct WorkerStats {
    pub ledger: WorkerLedger,
}

/// A PocketIC instance with the monitor installed and an operator who controls everything.
pub struct Fleet {
    pub pic: PocketIc,
    /// Controller of the monitor and of every target.
    pub admin: Principal,
    pub monitor: Principal,
}

impl Fleet {
    /// A fresh instance with the monitor installed with `config`.
    pub fn new(config: ConfigUpdate) -> Fleet {
        let pic = PocketIc::new();
        let admin = Principal::self_authenticating(b"fleet operator");
        let monitor = create(&pic, admin, vec![admin], MONITOR_CYCLES);
        let init = MonitorInit {
            config: Some(config),
            admins: None,
        };
        pic.install_canister(
            monitor,
            canister_wasm("hooks-monitor"),
            candid::encode_one(Some(init)).unwrap(),
            Some(admin),
        );
        Fleet {
            pic,
            admin,
            monitor,
        }
    }

    /// Creates a load canister controlled by the operator and the monitor, with
    /// [`TARGET_CYCLES`], the monitor allowed to call its hooks; returns once it is ready.
    pub fn add_load(&self) -> Principal {
        let id = create(
            &self.pic,
            self.admin,
            vec![self.admin, self.monitor],
            TARGET_CYCLES,
        );
        let arg = candid::encode_one(Some(LoadInit {
            monitor: Some(self.monitor),
        }))
        .unwrap();
        self.pic
            .install_canister(id, canister_wasm("example-load"), arg, Some(self.admin));
        self.wait_ready(id);
        id
    }

    /// Creates a worker canister like [`Fleet::add_load`].
    pub fn add_worker(&self) -> Principal {
        let id = create(
            &self.pic,
            self.admin,
            vec![self.admin, self.monitor],
            TARGET_CYCLES,
        );
        let arg = candid::encode_one(WorkerInit {
            monitor: Some(self.monitor),
            greeting: None,
        })
        .unwrap();
        self.pic
            .install_canister(id, canister_wasm("example-worker"), arg, Some(self.admin));
        self.wait_ready(id);
        id
    }

    /// Creates a relay canister (tests/canisters/relay) controlled by the operator only: a
    /// canister with no rights on the monitor, through which tests call methods as a canister.
    pub fn add_relay(&self) -> Principal {
        let id = create(&self.pic, self.admin, vec![self.admin], TARGET_CYCLES);
        let arg = candid::encode_args(()).unwrap();
        self.pic
            .install_canister(id, canister_wasm("test-relay"), arg, Some(self.admin));
        id
    }

    /// Calls `method` of `target` with `arg` from the `relay` canister (an inter-canister call,
    /// so `target`'s `inspect_message` does not run); the reply bytes, or the reject.
    pub fn call_via(
        &self,
        relay: Principal,
        target: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.update(relay, "forward", (target, method, arg))
    }

    /// Runs rounds until the SDK of `canister` reports ready (raw_rand seeded, init tasks done).
    pub fn wait_ready(&self, canister: Principal) {
        for _ in 0..50 {
            let r: Readiness = self.query(canister, "hooks_readiness", ());
            if r.phase == Phase::Ready {
                return;
            }
            self.pic.tick();
        }
        panic!("{canister} is not ready after 50 rounds");
    }

    // ---- calls ----

    /// An update call from `sender`, its reply decoded.
    pub fn update_as<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        let reply =
            self.pic
                .update_call(canister, sender, method, candid::encode_args(args).unwrap())?;
        Ok(decode(method, &reply))
    }

    /// An update call from the operator that must not be rejected.
    pub fn update<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> R {
        self.update_as(canister, self.admin, method, args)
            .unwrap_or_else(|e| panic!("{method} on {canister} was rejected: {e}"))
    }

    /// A query from the anonymous principal that must not be rejected.
    pub fn query<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> R {
        let reply = self
            .pic
            .query_call(
                canister,
                Principal::anonymous(),
                method,
                candid::encode_args(args).unwrap(),
            )
            .unwrap_or_else(|e| panic!("query {method} on {canister} was rejected: {e}"));
        decode(method, &reply)
    }

    /// Submits a management-canister call about `canister` as the operator without waiting, so
    /// time can be advanced while it is pending (`stop_canister` waits for open calls).
    pub fn submit_management(&self, method: &str, canister: Principal) -> RawMessageId {
        #[derive(CandidType)]
        struct CanisterIdRecord {
            canister_id: Principal,
        }
        self.pic
            .submit_call_with_effective_principal(
                Principal::management_canister(),
                RawEffectivePrincipal::CanisterId(canister.as_slice().to_vec()),
                self.admin,
                method,
                candid::encode_one(CanisterIdRecord {
                    canister_id: canister,
                })
                .unwrap(),
            )
            .unwrap_or_else(|e| panic!("{method} of {canister} was not accepted: {e}"))
    }

    // ---- time ----

    /// The IC time, nanoseconds since the epoch.
    pub fn now_ns(&self) -> u64 {
        self.pic.get_time().as_nanos_since_unix_epoch()
    }

    /// Moves time forward by `seconds` and runs [`TICKS_PER_STEP`] rounds.
    pub fn step(&self, seconds: u64) {
        self.pic.advance_time(Duration::from_secs(seconds));
        for _ in 0..TICKS_PER_STEP {
            self.pic.tick();
        }
    }

    /// Runs `seconds` of emulated time in steps of `step_seconds`.
    pub fn run_for(&self, seconds: u64, step_seconds: u64) {
        let mut elapsed = 0;
        while elapsed < seconds {
            self.step(step_seconds);
            elapsed += step_seconds;
        }
    }

    /// Steps `step_seconds` at a time until `done` holds; returns the emulated seconds it took.
    /// Panics after `max_seconds`, saying what was awaited and what the monitor knows.
    pub fn run_until(
        &self,
        max_seconds: u64,
        step_seconds: u64,
        what: &str,
        mut done: impl FnMut(&Fleet) -> bool,
    ) -> u64 {
        let mut elapsed = 0;
        loop {
            if done(self) {
                return elapsed;
            }
            assert!(
                elapsed < max_seconds,
                "not within {max_seconds} s: {what}\nstats: {:?}\nevents: {:#?}",
                self.stats(),
                self.events(None)
            );
            self.step(step_seconds);
            elapsed += step_seconds;
        }
    }

    // ---- the monitor ----

    /// Registration arguments for `canister` with every hook, [`FAST_POLL`] and nothing else.
    pub fn register_args(canister: Principal) -> RegisterArgs {
        RegisterArgs {
            canister_id: canister,
            label: Some(format!("target {canister}")),
            cycles_threshold: None,
            memory: None,
            hooks: Hooks {
                on_low_cycles: true,
                on_low_memory: true,
                on_error: true,
            },
            poll: Some(FAST_POLL),
            reminder_interval_seconds: None,
            hysteresis_percent: None,
            top_up: None,
        }
    }

    /// Registers a canister as the operator; panics on an error.
    pub fn register(&self, args: RegisterArgs) -> Registration {
        let r: Result<Registration, RegistrationError> =
            self.update(self.monitor, "register", (args,));
        r.unwrap_or_else(|e| panic!("register failed: {e}"))
    }

    /// Registers `canister` with every hook and a cycles threshold `margin` cycles under its
    /// current balance.
    pub fn register_with_cycles_margin(&self, canister: Principal, margin: u128) -> Registration {
        let balance = self.pic.cycle_balance(canister);
        self.register(RegisterArgs {
            cycles_threshold: Some(balance - margin),
            ..Self::register_args(canister)
        })
    }

    /// Asks the monitor to poll `canister` now and runs 1 s steps until it has (at most 30 s).
    pub fn poll_now(&self, canister: Principal) {
        let before = self.canister_state(canister).polls;
        let r: Result<(), RegistrationError> = self.update(self.monitor, "poll_now", (canister,));
        r.unwrap_or_else(|e| panic!("poll_now: {e}"));
        self.run_until(30, 1, "the requested poll", |f| {
            f.canister_state(canister).polls > before
        });
    }

    /// Every event in the monitor's history (newest first), optionally of one canister.
    pub fn events(&self, canister: Option<Principal>) -> Vec<EventRecord> {
        let mut all = vec![];
        let mut before_id = None;
        loop {
            let filter = EventFilter {
                canister_id: canister,
                before_id,
                limit: Some(100),
                ..Default::default()
            };
            let page: EventPage = self.query(self.monitor, "events", (filter,));
            all.extend(page.events);
            match page.next {
                Some(next) => before_id = Some(next),
                None => return all,
            }
        }
    }

    /// The events of `canister` of `kind`, oldest first.
    pub fn events_of(&self, canister: Principal, kind: EventKind) -> Vec<EventRecord> {
        let mut v: Vec<_> = self
            .events(Some(canister))
            .into_iter()
            .filter(|e| e.event.kind() == kind)
            .collect();
        v.reverse();
        v
    }

    /// The monitor's record of event `id`.
    pub fn event(&self, id: u64) -> EventRecord {
        self.events(None)
            .into_iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no event {id} in the monitor's history"))
    }

    /// The first delivered event of `canister` of `kind`, if any.
    pub fn delivered(&self, canister: Principal, kind: EventKind) -> Option<EventRecord> {
        self.events_of(canister, kind)
            .into_iter()
            .find(|e| matches!(e.delivery, DeliveryStatus::Delivered { .. }))
    }

    /// Every dead letter, oldest first, optionally of one canister.
    pub fn dead_letters(&self, canister: Option<Principal>) -> Vec<DeadLetter> {
        let mut all = vec![];
        let mut after = None;
        loop {
            let page: DeadLetterPage =
                self.query(self.monitor, "dead_letters", (canister, after, 100u32));
            all.extend(page.dead_letters);
            match page.next {
                Some(next) => after = Some(next),
                None => return all,
            }
        }
    }

    /// What the monitor knows about a registered canister.
    pub fn canister_state(&self, canister: Principal) -> CanisterState {
        let s: Option<CanisterState> = self.query(self.monitor, "canister_state", (canister,));
        s.unwrap_or_else(|| panic!("{canister} is not registered"))
    }

    /// The state of trigger `name` (`low_cycles`, `memory.heap`, `stopped`, ...) of `canister`.
    pub fn trigger(&self, canister: Principal, name: &str) -> TriggerView {
        let state = self.canister_state(canister);
        state
            .triggers
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{canister} has no trigger {name}"))
    }

    /// The monitor's counters.
    pub fn stats(&self) -> Stats {
        self.query(self.monitor, "stats", ())
    }

    /// Every registration, in canister id order.
    pub fn registrations(&self) -> Vec<Registration> {
        let mut all = vec![];
        let mut after: Option<Principal> = None;
        loop {
            let page: RegistrationPage =
                self.query(self.monitor, "list_registrations", (after, 100u32));
            all.extend(page.registrations);
            match page.next {
                Some(next) => after = Some(next),
                None => return all,
            }
        }
    }

    // ---- the load canister ----

    /// The load canister's status.
    pub fn load_status(&self, load: Principal) -> LoadStatus {
        self.query(load, "load_status", ())
    }

    /// Every hook event the load canister handled, oldest first, by its own record.
    pub fn load_received(&self, load: Principal) -> Vec<HookEvent> {
        // load.did's `Received` has the same variants and payloads as the monitor's `HookEvent`.
        let mut all: Vec<(u64, HookEvent)> = vec![];
        loop {
            let after = all.last().map(|(k, _)| *k);
            let page: Vec<(u64, HookEvent)> = self.query(load, "received", (after,));
            if page.is_empty() {
                return all.into_iter().map(|(_, e)| e).collect();
            }
            all.extend(page);
        }
    }

    /// Ids of the events the load canister handled, oldest first.
    pub fn load_received_ids(&self, load: Principal) -> Vec<u64> {
        self.load_received(load).iter().map(HookEvent::id).collect()
    }

    /// Burns `amount` cycles of the load canister.
    pub fn burn(&self, load: Principal, amount: u128) {
        let burned: u128 = self.update(load, "burn_cycles", (amount,));
        assert_eq!(
            burned, amount,
            "the load canister burns what it is asked to"
        );
    }

    /// Burns or adds cycles until the load canister holds about `balance` (within the few
    /// million cycles the burning call itself costs).
    pub fn set_balance(&self, load: Principal, balance: u128) {
        let now = self.pic.cycle_balance(load);
        if now > balance {
            self.burn(load, now - balance);
        } else {
            self.pic.add_cycles(load, balance - now);
        }
    }

    /// Sets how the load canister's hooks behave.
    pub fn set_hook_mode(&self, load: Principal, mode: HookMode) {
        self.update::<_, ()>(load, "set_hook_mode", (mode,));
    }

    // ---- the worker ----

    /// The worker's counters.
    pub fn worker_stats(&self, worker: Principal) -> WorkerStats {
        self.query(worker, "stats", ())
    }
}

/// Creates a canister with `controllers` and `cycles`.
pub fn create(
    pic: &PocketIc,
    sender: Principal,
    controllers: Vec<Principal>,
    cycles: u128,
) -> Principal {
    pic.create_canister_with_params(
        Some(sender),
        CreateCanisterParams {
            cycles: Some(cycles),
            settings: Some(CanisterSettings {
                controllers: Some(controllers),
                ..Default::default()
            }),
            placement: None,
        },
    )
    .expect("canister creation")
}

fn decode<R: for<'de> Deserialize<'de> + CandidType>(method: &str, bytes: &[u8]) -> R {
    candid::decode_one(bytes).unwrap_or_else(|e| panic!("cannot decode the reply of {method}: {e}"))
}
