//! The demo's world: an embedded ic-sim with the monitor and the three example canisters
//! deployed, and typed calls to them.

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Deserialize, Principal};
use ic_sim::management_types::CanisterSettings;
use ic_sim::{Sim, SimConfig};
use std::path::Path;
use std::time::Duration;

/// Cycles each example canister starts with.
pub const TARGET_CYCLES: u128 = 5_000_000_000_000;
/// Cycles the monitor starts with.
pub const MONITOR_CYCLES: u128 = 20_000_000_000_000;

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

/// The emulator, the operator's identity and the deployed canisters.
pub struct World {
    pub sim: Sim,
    pub admin: Principal,
    pub ids: Canisters,
}

/// Monitor init argument (the subset of `InitArgs` the demo sets).
#[derive(CandidType)]
struct MonitorInit {
    admins: Option<Vec<Principal>>,
    config: Option<hooks_monitor::api::ConfigUpdate>,
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

impl World {
    /// Creates the emulator and the four canisters, installing the monitor only: the examples
    /// are installed by [`World::install_examples`] so the story can watch their post-init.
    pub fn new(modules: &Modules, monitor_config: hooks_monitor::api::ConfigUpdate) -> World {
        let mut sim = Sim::new(SimConfig::default());
        let admin = Principal::self_authenticating(b"demo operator");
        let monitor = create(&mut sim, admin, vec![admin], MONITOR_CYCLES);
        let controllers = vec![admin, monitor];
        let worker = create(&mut sim, admin, controllers.clone(), TARGET_CYCLES);
        let gated = create(&mut sim, admin, controllers.clone(), TARGET_CYCLES);
        let load = create(&mut sim, admin, controllers, TARGET_CYCLES);
        let init = MonitorInit {
            admins: None,
            config: Some(monitor_config),
        };
        sim.install_canister(
            monitor,
            modules.monitor.clone(),
            candid::encode_one(Some(init)).expect("encode"),
            Some(admin),
        )
        .expect("the monitor installs");
        World {
            sim,
            admin,
            ids: Canisters {
                monitor,
                worker,
                gated,
                load,
            },
        }
    }

    /// Installs the worker, the gated canister (configured from the worker) and the load
    /// canister, each with the monitor allowed to call its hooks.
    pub fn install_examples(&mut self, modules: &Modules) {
        let monitor = Some(self.ids.monitor);
        let installs = [
            (
                self.ids.worker,
                &modules.worker,
                candid::encode_one(WorkerInit {
                    greeting: Some("hello from the worker".into()),
                    monitor,
                }),
            ),
            (
                self.ids.gated,
                &modules.gated,
                candid::encode_one(GatedInit {
                    config_source: self.ids.worker,
                    monitor,
                }),
            ),
            (
                self.ids.load,
                &modules.load,
                candid::encode_one(Some(LoadInit { monitor })),
            ),
        ];
        for (canister, wasm, arg) in installs {
            self.sim
                .install_canister(
                    canister,
                    wasm.clone(),
                    arg.expect("encode"),
                    Some(self.admin),
                )
                .expect("the example installs");
        }
    }

    /// An update call as the operator, decoded.
    pub fn update<A: ArgumentEncoder, R: CandidType + for<'de> Deserialize<'de>>(
        &mut self,
        canister: Principal,
        method: &str,
        args: A,
    ) -> Result<R, String> {
        let arg = candid::encode_args(args).expect("encode");
        let reply = self.sim.update_call(canister, self.admin, method, arg);
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
        let reply = self.sim.query_call(canister, self.admin, method, arg);
        decode_reply(method, reply)
    }

    /// Moves time forward by `step`, `steps` times, running a few rounds after each step so
    /// timers, calls and their replies complete.
    pub fn run_for(&mut self, step: Duration, steps: u32, mut each: impl FnMut(&mut World)) {
        for _ in 0..steps {
            self.sim.advance_time(step);
            for _ in 0..4 {
                self.sim.tick();
            }
            each(self);
        }
    }
}

/// A call's reply decoded, or the reject message.
fn decode_reply<R: CandidType + for<'de> Deserialize<'de>>(
    method: &str,
    reply: Result<Vec<u8>, ic_sim::UserError>,
) -> Result<R, String> {
    let bytes = reply.map_err(|e| e.message)?;
    candid::decode_one(&bytes).map_err(|e| format!("{method}: cannot decode the reply: {e}"))
}

fn create(sim: &mut Sim, admin: Principal, controllers: Vec<Principal>, cycles: u128) -> Principal {
    let settings = CanisterSettings {
        controllers: Some(controllers),
        ..Default::default()
    };
    sim.try_create_canister(Some(admin), Some(settings), Some(cycles), None)
        .expect("canister creation")
}
