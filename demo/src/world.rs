//! The demo's world: an IC ([`Ic`]: the embedded emulator or a PocketIC server) with the monitor
//! and the three example canisters deployed, the operator's identity, and their clients.

use crate::receiver::Receiver;
use candid::Principal;
use canister_hooks_testkit::examples::{
    gated_init, load_init, worker_init, GatedClient, LoadClient, WorkerClient,
};
use canister_hooks_testkit::monitor::{init_with_config, ConfigUpdate, MonitorClient};
use canister_hooks_testkit::{read_canister_wasm, Client, Ic, RejectResponse, ROUNDS_PER_STEP};
use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

/// Cycles every canister is created with (PocketIC's default amount).
pub const CREATE_CYCLES: u128 = 100_000_000_000_000;

/// The canisters the story uses.
#[derive(Clone, Copy, Debug)]
pub struct Canisters {
    pub monitor: Principal,
    pub worker: Principal,
    pub gated: Principal,
    pub load: Principal,
}

impl Canisters {
    /// The watched canisters with their display names.
    pub fn targets(&self) -> [(&'static str, Principal); 3] {
        [
            ("worker", self.worker),
            ("gated", self.gated),
            ("load", self.load),
        ]
    }
}

/// Wasm modules of the canisters, read from `target/canisters/`.
pub struct Modules {
    pub monitor: Vec<u8>,
    pub worker: Vec<u8>,
    pub gated: Vec<u8>,
    pub load: Vec<u8>,
}

impl Modules {
    /// Reads the modules `scripts/build-canisters.sh` wrote under `dir`.
    pub fn load_from(dir: &Path) -> Result<Self, String> {
        let read = |package: &str| read_canister_wasm(dir, package);
        Ok(Modules {
            monitor: read("hooks-monitor")?,
            worker: read("example-worker")?,
            gated: read("example-gated")?,
            load: read("example-load")?,
        })
    }
}

/// The measures of a canister the demo charts, from `canister_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meter {
    pub cycles: u128,
    pub heap_bytes: u64,
    pub stable_bytes: u64,
}

/// The IC the story runs on, the operator's identity, the deployed canisters and the webhook
/// receiver that answers the monitor's outcalls after every step.
pub struct World<I: Ic> {
    pub ic: I,
    pub admin: Principal,
    pub ids: Canisters,
    pub receiver: RefCell<Receiver>,
}

/// A reject as the story reports it: its message.
fn message(reject: RejectResponse) -> String {
    reject.reject_message
}

impl<I: Ic> World<I> {
    /// Creates the four canisters on `ic`, installing the monitor only: the examples are
    /// installed by [`World::install_examples`] so the story can watch their post-init.
    pub fn new(ic: I, modules: &Modules, monitor_config: ConfigUpdate) -> World<I> {
        let admin = Principal::self_authenticating(b"demo operator");
        let monitor = ic.create_canister_with_controllers(admin, vec![admin], CREATE_CYCLES);
        let controllers = vec![admin, monitor];
        let create =
            || ic.create_canister_with_controllers(admin, controllers.clone(), CREATE_CYCLES);
        let (worker, gated, load) = (create(), create(), create());
        ic.install_canister(
            monitor,
            modules.monitor.clone(),
            init_with_config(monitor_config),
            Some(admin),
        );
        World {
            ic,
            admin,
            ids: Canisters {
                monitor,
                worker,
                gated,
                load,
            },
            receiver: RefCell::default(),
        }
    }

    /// Installs the worker, the gated canister (configured from the worker) and the load
    /// canister, each with the monitor allowed to call its hooks.
    pub fn install_examples(&self, modules: &Modules) {
        let monitor = Some(self.ids.monitor);
        let installs = [
            (
                self.ids.worker,
                &modules.worker,
                worker_init(monitor, Some("hello from the worker".into())),
            ),
            (
                self.ids.gated,
                &modules.gated,
                gated_init(self.ids.worker, monitor),
            ),
            (self.ids.load, &modules.load, load_init(monitor)),
        ];
        for (canister, wasm, arg) in installs {
            self.ic
                .install_canister(canister, wasm.clone(), arg, Some(self.admin));
        }
    }

    /// The operator's client of `canister`.
    pub fn client<C>(&self, canister: Principal) -> Client<'_, I, C> {
        Client::new(&self.ic, canister, self.admin)
    }

    /// The operator's client of the monitor.
    pub fn monitor(&self) -> MonitorClient<'_, I> {
        self.client(self.ids.monitor)
    }

    /// The operator's client of the worker.
    pub fn worker(&self) -> WorkerClient<'_, I> {
        self.client(self.ids.worker)
    }

    /// The operator's client of the gated canister.
    pub fn gated(&self) -> GatedClient<'_, I> {
        self.client(self.ids.gated)
    }

    /// The operator's client of the load canister.
    pub fn load(&self) -> LoadClient<'_, I> {
        self.client(self.ids.load)
    }

    /// Moves time forward by `step`, `steps` times, running [`ROUNDS_PER_STEP`] rounds after each
    /// and then letting the webhook receiver answer what the monitor sent.
    pub fn run_for(&self, step: Duration, steps: u32) {
        for _ in 0..steps {
            self.ic.step(step, ROUNDS_PER_STEP);
            self.receive_webhooks();
        }
    }

    /// The webhook receiver takes and answers the monitor's pending outcalls.
    pub fn receive_webhooks(&self) {
        self.receiver.borrow_mut().receive(&self.ic);
    }

    /// Stops `canister` as the operator, moving time in `step`s until the stop completes
    /// (it waits for the canister's open calls); returns how long it took.
    pub fn stop(&self, canister: Principal, step: Duration) -> Result<Duration, String> {
        let pending = self
            .ic
            .submit_canister_id_call(self.admin, "stop_canister", canister)
            .map_err(message)?;
        let mut waited = Duration::ZERO;
        loop {
            self.ic.tick();
            self.receive_webhooks();
            if let Some(result) = self.ic.ingress_status(pending.clone()) {
                return result.map(|_| waited).map_err(message);
            }
            if waited > Duration::from_secs(3600) {
                return Err(format!("{canister} did not stop within an hour"));
            }
            self.ic.advance_time(step);
            waited += step;
        }
    }

    /// Starts a stopped `canister` as the operator.
    pub fn start(&self, canister: Principal) -> Result<(), String> {
        let pending = self
            .ic
            .submit_canister_id_call(self.admin, "start_canister", canister)
            .map_err(message)?;
        for _ in 0..10 {
            self.ic.tick();
            if let Some(result) = self.ic.ingress_status(pending.clone()) {
                return result.map(|_| ()).map_err(message);
            }
        }
        Err(format!("start_canister({canister}) did not complete"))
    }

    /// Balance and memory of `canister` as the operator sees them.
    pub fn meter(&self, canister: Principal) -> Result<Meter, String> {
        let status = self
            .ic
            .canister_status(canister, Some(self.admin))
            .map_err(message)?;
        let to_u64 = |n: &candid::Nat| u64::try_from(n.0.clone()).unwrap_or(u64::MAX);
        Ok(Meter {
            cycles: u128::try_from(status.cycles.0.clone()).unwrap_or(u128::MAX),
            heap_bytes: to_u64(&status.memory_metrics.wasm_memory_size),
            stable_bytes: to_u64(&status.memory_metrics.stable_memory_size),
        })
    }

    /// SHA-256 of the module `canister` runs, as the operator sees it.
    pub fn module_hash(&self, canister: Principal) -> Result<Vec<u8>, String> {
        self.ic
            .canister_status(canister, Some(self.admin))
            .map_err(message)?
            .module_hash
            .ok_or_else(|| format!("{canister} has no module installed"))
    }

    /// IC time, nanoseconds since the epoch.
    pub fn now_ns(&self) -> u64 {
        self.ic.time_ns()
    }
}
