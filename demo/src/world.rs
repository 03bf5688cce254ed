//! The demo's world: a [`Backend`] with the monitor and the three example canisters deployed,
//! and typed calls to them.

use crate::backend::{Backend, Meter};
use candid::utils::ArgumentEncoder;
use candid::{CandidType, Deserialize, Principal};
use hooks_monitor::api::InitArgs as MonitorInit;
use std::path::Path;
use std::time::Duration;

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
        let read = |package: &str| {
            let path = dir.join(format!("{package}.wasm"));
            std::fs::read(&path).map_err(|e| {
                format!(
                    "cannot read {}: {e}; run `bash scripts/build-canisters.sh` first",
                    path.display()
                )
            })
        };
        Ok(Modules {
            monitor: read("hooks-monitor")?,
            worker: read("example-worker")?,
            gated: read("example-gated")?,
            load: read("example-load")?,
        })
    }
}

/// The IC the story runs on, the operator's identity and the deployed canisters.
pub struct World<B: Backend> {
    pub ic: B,
    pub admin: Principal,
    pub ids: Canisters,
}

#[derive(CandidType)]
struct WorkerInit {
    greeting: Option<String>,
    monitor: Option<Principal>,
}

#[derive(CandidType)]
struct GatedInit {
    config_source: Principal,
    monitor: Option<Principal>,
}

#[derive(CandidType)]
struct LoadInit {
    monitor: Option<Principal>,
}

impl<B: Backend> World<B> {
    /// Creates the four canisters on `ic`, installing the monitor only: the examples are
    /// installed by [`World::install_examples`] so the story can watch their post-init.
    pub fn new(
        mut ic: B,
        modules: &Modules,
        monitor_config: hooks_monitor::api::ConfigUpdate,
    ) -> Result<World<B>, String> {
        let admin = Principal::self_authenticating(b"demo operator");
        let monitor = ic.create_canister(admin, vec![admin])?;
        let controllers = vec![admin, monitor];
        let worker = ic.create_canister(admin, controllers.clone())?;
        let gated = ic.create_canister(admin, controllers.clone())?;
        let load = ic.create_canister(admin, controllers)?;
        let init = MonitorInit {
            admins: None,
            config: Some(monitor_config),
        };
        ic.install(
            monitor,
            modules.monitor.clone(),
            candid::encode_one(Some(init)).expect("encode"),
            admin,
        )
        .map_err(|e| format!("installing the monitor: {e}"))?;
        Ok(World {
            ic,
            admin,
            ids: Canisters {
                monitor,
                worker,
                gated,
                load,
            },
        })
    }

    /// Installs the worker, the gated canister (configured from the worker) and the load
    /// canister, each with the monitor allowed to call its hooks.
    pub fn install_examples(&mut self, modules: &Modules) -> Result<(), String> {
        let monitor = Some(self.ids.monitor);
        let installs = [
            (
                "worker",
                self.ids.worker,
                &modules.worker,
                candid::encode_one(WorkerInit {
                    greeting: Some("hello from the worker".into()),
                    monitor,
                }),
            ),
            (
                "gated",
                self.ids.gated,
                &modules.gated,
                candid::encode_one(GatedInit {
                    config_source: self.ids.worker,
                    monitor,
                }),
            ),
            (
                "load",
                self.ids.load,
                &modules.load,
                candid::encode_one(Some(LoadInit { monitor })),
            ),
        ];
        for (name, canister, wasm, arg) in installs {
            self.ic
                .install(canister, wasm.clone(), arg.expect("encode"), self.admin)
                .map_err(|e| format!("installing {name}: {e}"))?;
        }
        Ok(())
    }

    /// An update call as the operator, decoded.
    pub fn update<A: ArgumentEncoder, R: CandidType + for<'de> Deserialize<'de>>(
        &mut self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> Result<R, String> {
        let arg = candid::encode_args(args).expect("encode");
        let reply = self.ic.update(canister, self.admin, method, arg);
        decode_reply(method, reply)
    }

    /// A query call as the operator, decoded.
    pub fn query<A: ArgumentEncoder, R: CandidType + for<'de> Deserialize<'de>>(
        &mut self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> Result<R, String> {
        let arg = candid::encode_args(args).expect("encode");
        let reply = self.ic.query(canister, self.admin, method, arg);
        decode_reply(method, reply)
    }

    /// Moves time forward by `step`, `steps` times, running a few rounds after each step so
    /// timers, calls and their replies complete.
    pub fn run_for(&mut self, step: Duration, steps: u32) {
        for _ in 0..steps {
            self.ic.advance_time(step);
            for _ in 0..4 {
                self.ic.tick();
            }
        }
    }

    /// Stops `canister` as the operator, moving time in `step`s until the stop completes
    /// (it waits for the canister's open calls); returns how long it took.
    pub fn stop(&mut self, canister: Principal, step: Duration) -> Result<Duration, String> {
        let pending = self
            .ic
            .submit_management(self.admin, "stop_canister", canister)?;
        let mut waited = Duration::ZERO;
        loop {
            self.ic.tick();
            if let Some(result) = self.ic.call_result(&pending) {
                return result.map(|_| waited);
            }
            if waited > Duration::from_secs(3600) {
                return Err(format!("{canister} did not stop within an hour"));
            }
            self.ic.advance_time(step);
            waited += step;
        }
    }

    /// Starts a stopped `canister` as the operator.
    pub fn start(&mut self, canister: Principal) -> Result<(), String> {
        let pending = self
            .ic
            .submit_management(self.admin, "start_canister", canister)?;
        for _ in 0..10 {
            self.ic.tick();
            if let Some(result) = self.ic.call_result(&pending) {
                return result.map(|_| ());
            }
        }
        Err(format!("start_canister({canister}) did not complete"))
    }

    /// Balance and memory of `canister` as the operator sees them.
    pub fn meter(&mut self, canister: Principal) -> Result<Meter, String> {
        self.ic.meter(canister, self.admin)
    }

    /// IC time, nanoseconds since the epoch.
    pub fn now_ns(&mut self) -> u64 {
        self.ic.time_ns()
    }
}

/// A call's reply decoded, or the reject message.
fn decode_reply<R: CandidType + for<'de> Deserialize<'de>>(
    method: &str,
    reply: Result<Vec<u8>, String>,
) -> Result<R, String> {
    let bytes = reply?;
    candid::decode_one(&bytes).map_err(|e| format!("{method}: cannot decode the reply: {e}"))
}
