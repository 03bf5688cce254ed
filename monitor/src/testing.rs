//! Native test harness: a fake IC behind the [`Platform`] seam, and a tiny executor.

use crate::api::{Config, ConfigUpdate, Hooks, PollBounds, RegisterArgs, NS};
use crate::driver::{self, Platform};
use crate::monitor::{Mode, Monitor};
use crate::policy::call_error::CallError;
use crate::policy::pipeline::calls::CallSpec;
use crate::policy::validation::tests::canister;
use crate::policy::webhooks::outcall::OutcallRequest;
use candid::{Nat, Principal};
use ic_management_canister_types::{
    CanisterStatusResult, CanisterStatusType, DefiniteCanisterSettings, LogVisibility,
    MemoryMetrics, QueryStats, SnapshotVisibility, StatusVisibility,
};
use ic_stable_structures::VectorMemory;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits (the fakes answer at once).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = pin!(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("fake platform futures complete immediately"),
    }
}

/// How a fake canister answers hook calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookBehaviour {
    /// Runs the handler and replies.
    Reply,
    /// Traps (reject 5) without running.
    Trap,
    /// Traps (reject 5) with this message.
    TrapSaying(String),
    /// Runs the handler, but the reply is lost (reject 6, outcome unknown to the monitor).
    RunThenTimeout,
    /// Never runs (reject 6).
    Timeout,
}

/// One fake canister.
#[derive(Clone, Debug)]
pub struct FakeCanister {
    pub cycles: u128,
    pub heap: u64,
    pub stable: u64,
    pub limit: u64,
    pub status: CanisterStatusType,
    pub idle_burn_per_day: u128,
    pub freezing_threshold_s: u64,
    /// Hooks it exports.
    pub exports: Hooks,
    /// Whether its `candid:service` metadata is public.
    pub interface_public: bool,
    pub hook: HookBehaviour,
    /// When set, `canister_status` fails with this.
    pub status_error: Option<CallError>,
    /// Event ids whose handler ran, in order (repeats included).
    pub handled: Vec<u64>,
    pub deposits: Vec<u128>,
    /// Its controllers (the monitor by default).
    pub controllers: Vec<Principal>,
    /// Its module hash.
    pub module_hash: Option<Vec<u8>>,
    /// Cycles every incoming call must carry (`minimum_incoming_canister_call_cycles`).
    pub minimum_incoming_cycles: u128,
    pub reserved_cycles: u128,
    /// Cycles attached to each hook call that ran, in order.
    pub hook_cycles: Vec<u128>,
    /// What `canister_info` returns as its recent changes.
    pub history: Vec<ic_management_canister_types::Change>,
}

impl FakeCanister {
    /// A healthy running canister with `cycles`.
    pub fn new(cycles: u128) -> Self {
        Self {
            cycles,
            heap: 1 << 20,
            stable: 0,
            limit: 0,
            status: CanisterStatusType::Running,
            idle_burn_per_day: 0,
            freezing_threshold_s: 0,
            exports: Hooks {
                on_low_cycles: true,
                on_low_memory: true,
                on_error: true,
            },
            interface_public: true,
            hook: HookBehaviour::Reply,
            status_error: None,
            handled: vec![],
            deposits: vec![],
            controllers: vec![canister(999_999)],
            module_hash: Some(vec![7; 32]),
            minimum_incoming_cycles: 0,
            reserved_cycles: 0,
            hook_cycles: vec![],
            history: vec![],
        }
    }
}

impl FakeCanister {
    /// The full `canister_status` reply the management canister would send.
    pub fn status_reply(&self) -> CanisterStatusResult {
        let nat = |v: u128| Nat::from(v);
        CanisterStatusResult {
            status: self.status,
            ready_for_migration: false,
            version: 1,
            settings: DefiniteCanisterSettings {
                controllers: self.controllers.clone(),
                compute_allocation: nat(0),
                memory_allocation: nat(0),
                freezing_threshold: nat(self.freezing_threshold_s.into()),
                reserved_cycles_limit: nat(5_000_000_000_000),
                log_visibility: LogVisibility::Controllers,
                log_memory_limit: nat(4096),
                snapshot_visibility: SnapshotVisibility::Controllers,
                status_visibility: StatusVisibility::Controllers,
                minimum_incoming_canister_call_cycles: nat(self.minimum_incoming_cycles),
                wasm_memory_limit: nat(self.limit.into()),
                wasm_memory_threshold: nat(0),
                environment_variables: vec![],
            },
            module_hash: self.module_hash.clone(),
            memory_size: nat((self.heap + self.stable).into()),
            memory_metrics: MemoryMetrics {
                wasm_memory_size: nat(self.heap.into()),
                stable_memory_size: nat(self.stable.into()),
                global_memory_size: nat(0),
                wasm_binary_size: nat(0),
                custom_sections_size: nat(0),
                canister_history_size: nat(0),
                wasm_chunk_store_size: nat(0),
                snapshots_size: nat(0),
                log_memory_store_size: nat(0),
            },
            cycles: nat(self.cycles),
            reserved_cycles: nat(self.reserved_cycles),
            idle_cycles_burned_per_day: nat(self.idle_burn_per_day),
            query_stats: QueryStats {
                num_calls_total: nat(0),
                num_instructions_total: nat(0),
                request_payload_bytes_total: nat(0),
                response_payload_bytes_total: nat(0),
            },
        }
    }
}

/// A fake IC: time, the monitor's balance, and canisters.
pub struct FakeIc {
    pub now: Cell<u64>,
    pub balance: Cell<u128>,
    pub canisters: RefCell<BTreeMap<Principal, FakeCanister>>,
    pub status_calls: Cell<u64>,
    /// A fake instruction counter, advancing 1,000 per read.
    pub instructions: Cell<u64>,
    /// Webhook outcalls made, with the cycles attached, in order.
    pub outcalls: RefCell<Vec<(OutcallRequest, u128)>>,
    /// How the next outcalls are answered, in order; 200 once they run out.
    pub outcall_answers: RefCell<VecDeque<Result<u16, CallError>>>,
}

/// The fake's outcall fee: a base plus a price per request and per response byte (the shape of
/// the IC's fee; the canister asks the system for the real one).
pub fn fake_outcall_fee(request_size: u64, max_response_bytes: u64) -> u128 {
    49_140_000 + 400 * u128::from(request_size) + 800 * u128::from(max_response_bytes)
}

impl Default for FakeIc {
    fn default() -> Self {
        Self {
            now: Cell::new(1_700_000_000_000_000_000),
            balance: Cell::new(100_000_000_000_000),
            canisters: RefCell::default(),
            status_calls: Cell::new(0),
            instructions: Cell::new(0),
            outcalls: RefCell::default(),
            outcall_answers: RefCell::default(),
        }
    }
}

impl FakeIc {
    /// Adds canister number `n`.
    pub fn add(&self, n: u64, c: FakeCanister) -> Principal {
        let id = canister(n);
        self.canisters.borrow_mut().insert(id, c);
        id
    }
    /// Changes canister `id`.
    pub fn with(&self, id: Principal, f: impl FnOnce(&mut FakeCanister)) {
        f(self
            .canisters
            .borrow_mut()
            .get_mut(&id)
            .expect("fake canister exists"));
    }
    /// Handler runs of `id`.
    pub fn handled(&self, id: Principal) -> Vec<u64> {
        self.canisters.borrow()[&id].handled.clone()
    }
    /// Advances time by `s` seconds.
    pub fn advance(&self, s: u64) {
        self.now.set(self.now.get() + s * NS);
    }
}

fn decode_id(method: &str, arg: &[u8]) -> u64 {
    use crate::api::*;
    match method {
        endpoint::ON_LOW_CYCLES => candid::decode_one::<LowCyclesEvent>(arg).unwrap().id,
        endpoint::ON_LOW_MEMORY => candid::decode_one::<LowMemoryEvent>(arg).unwrap().id,
        endpoint::ON_ERROR => candid::decode_one::<ErrorEvent>(arg).unwrap().id,
        m => panic!("unexpected hook {m}"),
    }
}

impl Platform for FakeIc {
    fn now_ns(&self) -> u64 {
        self.now.get()
    }
    fn own_balance(&self) -> u128 {
        self.balance.get()
    }
    fn instructions(&self) -> u64 {
        self.instructions.set(self.instructions.get() + 1_000);
        self.instructions.get()
    }
    async fn canister_status(&self, id: Principal, _timeout: u32) -> Result<Vec<u8>, CallError> {
        self.status_calls.set(self.status_calls.get() + 1);
        let cs = self.canisters.borrow();
        let Some(c) = cs.get(&id) else {
            return Err(CallError::rejected(3, format!("Canister {id} not found")));
        };
        if let Some(e) = &c.status_error {
            return Err(e.clone());
        }
        Ok(candid::encode_one(c.status_reply()).unwrap())
    }
    async fn deposit_cycles(
        &self,
        id: Principal,
        amount: u128,
        _timeout: u32,
    ) -> Result<(), CallError> {
        let mut cs = self.canisters.borrow_mut();
        let c = cs
            .get_mut(&id)
            .ok_or_else(|| CallError::rejected(3, "not found"))?;
        c.cycles += amount;
        c.deposits.push(amount);
        self.balance.set(self.balance.get() - amount);
        Ok(())
    }
    async fn candid_service(&self, id: Principal, _timeout: u32) -> Result<Vec<u8>, CallError> {
        let cs = self.canisters.borrow();
        let c = cs
            .get(&id)
            .ok_or_else(|| CallError::rejected(3, "canister not found"))?;
        if !c.interface_public {
            return Err(CallError::rejected(4, "metadata candid:service is private"));
        }
        let methods: String = crate::api::EventKind::in_bits(c.exports.bits())
            .map(|k| format!("  {} : (record {{ id : nat64 }}) -> ();\n", k.endpoint()))
            .collect();
        Ok(format!("service : (opt record {{ monitor : opt principal }}) -> {{\n{methods}  greet : () -> ();\n}}\n").into_bytes())
    }
    async fn call(
        &self,
        call: CallSpec,
        cycles: u128,
        _timeout: u32,
    ) -> Result<Vec<u8>, CallError> {
        let CallSpec {
            callee: target,
            method,
            arg,
        } = call;
        let method = method.as_str();
        if target == Principal::management_canister() && method == "canister_info" {
            return self.canister_info(&arg);
        }
        let mut cs = self.canisters.borrow_mut();
        let Some(c) = cs.get_mut(&target) else {
            return Err(CallError::rejected(3, "canister not found"));
        };
        let exported = match method {
            "on_low_cycles" => c.exports.on_low_cycles,
            "on_low_memory" => c.exports.on_low_memory,
            _ => c.exports.on_error,
        };
        if !exported {
            return Err(CallError::rejected(
                5,
                format!("Error from Canister {target}: Canister has no update method '{method}'. IC0536"),
            ));
        }
        if c.status != CanisterStatusType::Running {
            return Err(CallError::rejected(
                5,
                format!("Canister {target} is stopped"),
            ));
        }
        if cycles < c.minimum_incoming_cycles {
            return Err(CallError::rejected(
                4,
                format!(
                    "Canister {target} requires {} cycles on each call",
                    c.minimum_incoming_cycles
                ),
            ));
        }
        let id = decode_id(method, &arg);
        if matches!(c.hook, HookBehaviour::Reply | HookBehaviour::RunThenTimeout) {
            c.hook_cycles.push(cycles);
        }
        match &c.hook {
            HookBehaviour::Reply => {
                c.handled.push(id);
                Ok(candid::encode_args(()).expect("an empty reply"))
            }
            HookBehaviour::Trap => {
                Err(CallError::rejected(5, "Canister trapped: handler panicked"))
            }
            HookBehaviour::TrapSaying(message) => Err(CallError::rejected(5, message.clone())),
            HookBehaviour::RunThenTimeout => {
                c.handled.push(id);
                Err(CallError::rejected(6, "deadline expired"))
            }
            HookBehaviour::Timeout => Err(CallError::rejected(6, "deadline expired")),
        }
    }
    fn http_request_cost(&self, request_size: u64, max_response_bytes: u64) -> u128 {
        fake_outcall_fee(request_size, max_response_bytes)
    }
    async fn http_request(&self, request: &OutcallRequest, cycles: u128) -> Result<u16, CallError> {
        self.outcalls.borrow_mut().push((request.clone(), cycles));
        self.balance.set(self.balance.get() - cycles);
        self.outcall_answers
            .borrow_mut()
            .pop_front()
            .unwrap_or(Ok(200))
    }
}

impl FakeIc {
    /// The management canister's `canister_info` of the canister `arg` names.
    fn canister_info(&self, arg: &[u8]) -> Result<Vec<u8>, CallError> {
        use ic_management_canister_types::{CanisterInfoArgs, CanisterInfoResult};
        let args: CanisterInfoArgs = candid::decode_one(arg).unwrap();
        let cs = self.canisters.borrow();
        let c = cs
            .get(&args.canister_id)
            .ok_or_else(|| CallError::rejected(3, "canister not found"))?;
        let n = args.num_requested_changes.unwrap_or(0) as usize;
        let recent = c.history[c.history.len().saturating_sub(n)..].to_vec();
        Ok(candid::encode_one(CanisterInfoResult {
            total_num_changes: c.history.len() as u64,
            recent_changes: recent,
            module_hash: c.module_hash.clone(),
            controllers: c.controllers.clone(),
        })
        .unwrap())
    }
}

/// The monitor the native tests drive.
pub type TestMonitor = RefCell<Monitor<VectorMemory>>;

/// A monitor in fresh memory, with `update` applied to its configuration.
pub fn monitor(update: ConfigUpdate) -> (TestMonitor, VectorMemory) {
    let mem = VectorMemory::default();
    // Small buckets keep native tests fast (the default 8 MiB per structure is zero-filled).
    let mm =
        ic_stable_structures::memory_manager::MemoryManager::init_with_bucket_size(mem.clone(), 1);
    let m = RefCell::new(Monitor::with_memory_manager(mm, canister(999_999)));
    if update != ConfigUpdate::default() {
        m.borrow_mut().set_config(&update).unwrap();
    }
    (m, mem)
}

/// Polling bounds: every `min_seconds` at most, every `max_seconds` at least.
pub fn poll_bounds(min_seconds: u64, max_seconds: u64) -> Option<PollBounds> {
    Some(PollBounds {
        min_interval_seconds: min_seconds,
        max_interval_seconds: max_seconds,
    })
}

/// A fresh monitor with `update` applied, and an empty fake IC.
pub fn on_fake_ic(update: ConfigUpdate) -> (TestMonitor, FakeIc) {
    (monitor(update).0, FakeIc::default())
}

/// A fresh monitor with `update` applied, a fake IC, and one healthy canister on it (5 T cycles).
pub fn one_target(update: ConfigUpdate) -> (TestMonitor, FakeIc, Principal) {
    let (m, ic) = on_fake_ic(update);
    let id = ic.add(1, FakeCanister::new(5_000_000_000_000));
    (m, ic, id)
}

/// The monitor re-opened from the same memory, as after an upgrade.
pub fn restart(mem: &VectorMemory) -> TestMonitor {
    RefCell::new(Monitor::with_memory_manager(
        ic_stable_structures::memory_manager::MemoryManager::init_with_bucket_size(mem.clone(), 1),
        canister(999_999),
    ))
}

/// Registers `args` as a controller would.
pub fn register(
    m: &TestMonitor,
    ic: &FakeIc,
    args: RegisterArgs,
) -> Result<crate::api::Registration, crate::api::RegistrationError> {
    block_on(driver::register(
        m,
        ic,
        Principal::anonymous(),
        true,
        args,
        Mode::New,
    ))
}

/// Runs one timer tick: every due poll, delivery and webhook outcall, each to completion.
pub fn tick(m: &TestMonitor, ic: &FakeIc) {
    let now = ic.now_ns();
    let polls = m.borrow_mut().take_due_polls(now);
    for id in polls {
        block_on(driver::poll(m, ic, id));
    }
    let deliveries = m.borrow_mut().take_due_deliveries(now);
    for d in deliveries {
        block_on(driver::deliver(m, ic, d));
    }
    let outcalls = m.borrow_mut().take_due_webhooks(now);
    for d in outcalls {
        block_on(driver::webhooks::deliver_webhook(m, ic, d));
    }
}

/// Runs ticks for `seconds`, one every `step` seconds.
pub fn run_for(m: &TestMonitor, ic: &FakeIc, seconds: u64, step: u64) {
    let end = ic.now.get() + seconds * NS;
    while ic.now.get() < end {
        tick(m, ic);
        ic.advance(step);
    }
}

/// A default configuration, for comparisons.
pub fn default_config() -> Config {
    Config::default()
}

/// Runs ticks, jumping straight to each next wakeup, until nothing is due within `seconds`.
pub fn drain(m: &TestMonitor, ic: &FakeIc, seconds: u64) {
    let end = ic.now.get() + seconds * NS;
    loop {
        tick(m, ic);
        match m.borrow_mut().next_wakeup() {
            Some(t) if t <= end => ic.now.set(ic.now.get().max(t)),
            _ => break,
        }
    }
}
