//! A monitor watching a fleet of example canisters on a PocketIC instance, for the monitor's
//! end-to-end tests (`tests/tests/monitor_*.rs`): the test kit's clients, as the operator, with
//! a panic naming the call for every reject.
//!
//! Only the public `pocket-ic` API is used, so the same tests run against our emulator and a real
//! PocketIC. Time moves only when a test says so ([`Fleet::step`], [`Fleet::run_until`]): every
//! run is deterministic.

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Principal};
use canister_hooks_testkit::examples::{
    load_init, worker_init, LoadClient, LoadStatus, WorkerStats,
};
use canister_hooks_testkit::monitor::{
    self, CanisterState, ConfigUpdate, DeadLetter, DeliveryStatus, EventKind, EventRecord,
    HookEvent, HttpPages, MonitorClient, PollBounds, ReadSettingsUpdate, RegisterArgs,
    Registration, Stats, TriggerView,
};
use canister_hooks_testkit::sdk::SdkClient;
use canister_hooks_testkit::{canister_wasm, Client, Ic, ROUNDS_PER_STEP};
use ic_management_canister_types::{StatusVisibility, UpdateSettingsArgs};
use pocket_ic::common::rest::RawMessageId;
use pocket_ic::{PocketIc, RejectResponse};
use serde::Deserialize;
use std::time::Duration;

pub use canister_hooks_testkit::examples::HookMode;
pub use canister_hooks_testkit::monitor::MonitorInit;

/// Cycles the monitor starts with.
pub const MONITOR_CYCLES: u128 = 50_000_000_000_000;
/// Cycles each example canister starts with.
pub const TARGET_CYCLES: u128 = 5_000_000_000_000;
/// One trillion cycles.
pub const T: u128 = 1_000_000_000_000;
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

/// A call's reply, or a panic naming the call.
fn expect<R>(what: &str, reply: Result<R, RejectResponse>) -> R {
    reply.unwrap_or_else(|e| panic!("{what} was rejected: {e}"))
}

/// A PocketIC instance with the monitor installed and an operator who controls everything.
/// The monitor keeps its default read policy (only its controllers and admins read it) and
/// serves `/metrics` with a bearer token.
pub struct Fleet {
    pub pic: PocketIc,
    /// Controller of the monitor and of every target.
    pub admin: Principal,
    pub monitor: Principal,
    /// The token `/metrics` asks for.
    pub metrics_token: String,
}

impl Fleet {
    /// A fresh instance with the monitor installed with `config`.
    pub fn new(config: ConfigUpdate) -> Fleet {
        let pic = PocketIc::new();
        let admin = Principal::self_authenticating(b"fleet operator");
        let monitor = pic.create_canister_with_controllers(admin, vec![admin], MONITOR_CYCLES);
        let init = monitor::init_with_config(config);
        Ic::install_canister(
            &pic,
            monitor,
            canister_wasm("hooks-monitor"),
            init,
            Some(admin),
        );
        let watcher: MonitorClient<'_, PocketIc> = Client::new(&pic, monitor, admin);
        let pages = ReadSettingsUpdate {
            http_pages: Some(HttpPages::MetricsWithToken),
            ..Default::default()
        };
        expect("set_read_settings", watcher.set_read_settings(pages))
            .expect("the operator controls the monitor");
        let metrics_token = expect("rotate_metrics_token", watcher.rotate_metrics_token())
            .expect("the operator controls the monitor");
        Fleet {
            pic,
            admin,
            monitor,
            metrics_token,
        }
    }

    /// Creates a canister controlled by the operator (and the monitor, if `watched`), installs
    /// `package` with `arg`, and returns once its SDK is ready when it has one.
    fn add(&self, package: &str, arg: Vec<u8>, watched: bool) -> Principal {
        let id = self.install(package, arg, watched);
        if watched {
            self.wait_ready(id);
        }
        id
    }

    /// Creates a canister controlled by the operator (and the monitor, if `watched`) and
    /// installs `package` with `arg`.
    fn install(&self, package: &str, arg: Vec<u8>, watched: bool) -> Principal {
        let controllers = if watched {
            vec![self.admin, self.monitor]
        } else {
            vec![self.admin]
        };
        let id = self
            .pic
            .create_canister_with_controllers(self.admin, controllers, TARGET_CYCLES);
        Ic::install_canister(&self.pic, id, canister_wasm(package), arg, Some(self.admin));
        id
    }

    /// Creates a probe canister (test-canisters/probe: no SDK, no hook endpoints) that the
    /// monitor controls.
    pub fn add_hookless(&self) -> Principal {
        self.install(
            "test-probe",
            candid::encode_one(Some("hookless")).unwrap(),
            true,
        )
    }

    /// Creates a load canister controlled by the operator and the monitor, with
    /// [`TARGET_CYCLES`], the monitor allowed to call its hooks; returns once it is ready.
    pub fn add_load(&self) -> Principal {
        self.add("example-load", load_init(Some(self.monitor)), true)
    }

    /// Creates a worker canister like [`Fleet::add_load`].
    pub fn add_worker(&self) -> Principal {
        self.add(
            "example-worker",
            worker_init(Some(self.monitor), None),
            true,
        )
    }

    /// Creates a relay canister (test-canisters/relay) controlled by the operator only: a
    /// canister with no rights on the monitor, through which tests call methods as a canister.
    pub fn add_relay(&self) -> Principal {
        self.add("test-relay", candid::encode_args(()).unwrap(), false)
    }

    /// Creates a relay canister like [`Fleet::add_relay`], but controlled by the monitor too: a
    /// canister without the SDK the monitor may upgrade.
    pub fn add_watched_relay(&self) -> Principal {
        self.install("test-relay", candid::encode_args(()).unwrap(), true)
    }

    /// Creates a load canister whose hooks `caller` may call (so `caller` can make calls to it
    /// that hang, with [`HookMode::Slow`]); not watched.
    pub fn add_load_calling_hooks_from(&self, caller: Principal) -> Principal {
        let id = self.install("example-load", load_init(Some(caller)), false);
        self.wait_ready(id);
        id
    }

    /// Lets anyone read `canister`'s status (`status_visibility = public`), as the operator.
    pub fn make_status_public(&self, canister: Principal) {
        self.update_settings(
            canister,
            ic_management_canister_types::CanisterSettings {
                status_visibility: Some(StatusVisibility::Public),
                ..Default::default()
            },
        );
    }

    /// Changes `canister`'s `settings` as the operator.
    pub fn update_settings(
        &self,
        canister: Principal,
        settings: ic_management_canister_types::CanisterSettings,
    ) {
        let settings = UpdateSettingsArgs {
            canister_id: canister,
            settings,
            sender_canister_version: None,
        };
        let call = self
            .pic
            .submit_management_call(
                self.admin,
                "update_settings",
                canister,
                candid::encode_one(settings).unwrap(),
            )
            .unwrap();
        expect("update_settings", self.pic.await_call(call));
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

    /// [`Fleet::call_via`] with Candid: `relay` calls `method` of `target` with `input`; the
    /// decoded reply. Panics if the call is rejected or its reply is not an `Output`.
    pub fn call_candid_via<Input, Output>(
        &self,
        relay: Principal,
        target: Principal,
        method: &str,
        input: Input,
    ) -> Output
    where
        Input: ArgumentEncoder,
        Output: CandidType + for<'de> Deserialize<'de>,
    {
        let arg = candid::encode_args(input).expect("the arguments encode");
        let reply = self
            .call_via(relay, target, method, arg)
            .unwrap_or_else(|e| panic!("{method} via {relay}: {e}"));
        candid::decode_one(&reply).unwrap_or_else(|e| panic!("the reply of {method}: {e}"))
    }

    /// Registered canister `reporter` reports `report` to the monitor; the event's id.
    pub fn report_error_from(&self, reporter: Principal, report: monitor::ErrorReport) -> u64 {
        let id: Result<u64, String> =
            self.call_candid_via(reporter, self.monitor, "report_error", (report,));
        id.expect("the report is accepted")
    }

    /// Runs rounds until the SDK of `canister` reports ready (raw_rand seeded, init tasks done).
    pub fn wait_ready(&self, canister: Principal) {
        let sdk: SdkClient<'_, PocketIc> = Client::new(&self.pic, canister, Principal::anonymous());
        if sdk.wait_ready(50, Duration::ZERO).is_err() {
            panic!("{canister} is not ready after 50 rounds");
        }
    }

    // ---- calls ----

    /// The operator's client of the monitor.
    pub fn watcher(&self) -> MonitorClient<'_, PocketIc> {
        Client::new(&self.pic, self.monitor, self.admin)
    }

    /// The monitor's `/metrics`, fetched with the fleet's token.
    pub fn metrics_text(&self) -> String {
        expect(
            "GET /metrics",
            self.watcher().metrics_text(Some(&self.metrics_token)),
        )
    }

    /// Checks that the monitor's `/metrics` has the line starting `sample`.
    pub fn assert_metrics_contain(&self, sample: &str) {
        let metrics = self.metrics_text();
        assert!(metrics.contains(sample), "no `{sample}` in {metrics}");
    }

    /// An empty canister controlled by the operator and the monitor: a scratch canister to
    /// rehearse an upgrade on, or a clone to restore onto.
    pub fn add_spare(&self) -> Principal {
        self.pic.create_canister_with_controllers(
            self.admin,
            vec![self.admin, self.monitor],
            TARGET_CYCLES,
        )
    }

    /// The operator's client of load canister `load`.
    pub fn load(&self, load: Principal) -> LoadClient<'_, PocketIc> {
        Client::new(&self.pic, load, self.admin)
    }

    /// An update call from `sender`, its reply decoded.
    pub fn update_as<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        sender: Principal,
        method: &str,
        args: A,
    ) -> Result<R, RejectResponse> {
        Client::<_, ()>::new(&self.pic, canister, sender).update(method, args)
    }

    /// An update call from the operator that must not be rejected.
    pub fn update<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> R {
        let reply = self.update_as(canister, self.admin, method, args);
        expect(&format!("{method} on {canister}"), reply)
    }

    /// A query from the anonymous principal that must not be rejected.
    pub fn query<A: ArgumentEncoder, R: for<'de> Deserialize<'de> + CandidType>(
        &self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> R {
        let reply =
            Client::<_, ()>::new(&self.pic, canister, Principal::anonymous()).query(method, args);
        expect(&format!("query {method} on {canister}"), reply)
    }

    /// Submits a management-canister call about `canister` as the operator without waiting, so
    /// time can be advanced while it is pending (`stop_canister` waits for open calls).
    pub fn submit_management(&self, method: &str, canister: Principal) -> RawMessageId {
        self.pic
            .submit_canister_id_call(self.admin, method, canister)
            .unwrap_or_else(|e| panic!("{method} of {canister} was not accepted: {e}"))
    }

    // ---- time ----

    /// The IC time, nanoseconds since the epoch.
    pub fn now_ns(&self) -> u64 {
        self.pic.time_ns()
    }

    /// Moves time forward by `seconds` and runs [`ROUNDS_PER_STEP`] rounds.
    pub fn step(&self, seconds: u64) {
        self.pic.step(Duration::from_secs(seconds), ROUNDS_PER_STEP);
    }

    /// Runs `seconds` of emulated time in steps of `step_seconds`.
    pub fn run_for(&self, seconds: u64, step_seconds: u64) {
        self.pic.run_for(seconds, step_seconds, ROUNDS_PER_STEP);
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
        monitor::register_args(
            canister,
            format!("target {canister}"),
            None,
            Some(FAST_POLL),
        )
    }

    /// Registers a canister as the operator; panics on an error.
    pub fn register(&self, args: RegisterArgs) -> Registration {
        expect("register", self.watcher().register(args))
            .unwrap_or_else(|e| panic!("register failed: {e}"))
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
        expect("poll_now", self.watcher().poll_now(canister))
            .unwrap_or_else(|e| panic!("poll_now: {e}"));
        self.run_until(30, 1, "the requested poll", |f| {
            f.canister_state(canister).polls > before
        });
    }

    /// Every event in the monitor's history (newest first), optionally of one canister.
    pub fn events(&self, canister: Option<Principal>) -> Vec<EventRecord> {
        expect("events", self.watcher().events(canister))
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
        expect("dead_letters", self.watcher().dead_letters(canister))
    }

    /// What the monitor knows about a registered canister.
    pub fn canister_state(&self, canister: Principal) -> CanisterState {
        expect("canister_state", self.watcher().canister_state(canister))
            .unwrap_or_else(|| panic!("{canister} is not registered"))
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
        expect("stats", self.watcher().stats())
    }

    /// Every registration, in canister id order.
    pub fn registrations(&self) -> Vec<Registration> {
        expect("list_registrations", self.watcher().registrations())
    }

    // ---- the examples ----

    /// The load canister's status.
    pub fn load_status(&self, load: Principal) -> LoadStatus {
        expect("load_status", self.load(load).load_status())
    }

    /// Every hook event the load canister handled, oldest first, by its own record.
    pub fn load_received(&self, load: Principal) -> Vec<HookEvent> {
        expect("received", self.load(load).received_events())
    }

    /// Ids of the events the load canister handled, oldest first.
    pub fn load_received_ids(&self, load: Principal) -> Vec<u64> {
        self.load_received(load).iter().map(HookEvent::id).collect()
    }

    /// Burns `amount` cycles of the load canister.
    pub fn burn(&self, load: Principal, amount: u128) {
        let burned = expect("burn_cycles", self.load(load).burn_cycles(amount));
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
        expect("set_hook_mode", self.load(load).set_hook_mode(mode));
    }

    /// The worker's counters.
    pub fn worker_stats(&self, worker: Principal) -> WorkerStats {
        let client: Client<'_, PocketIc, canister_hooks_testkit::examples::Worker> =
            Client::new(&self.pic, worker, Principal::anonymous());
        expect("stats", client.stats())
    }
}
