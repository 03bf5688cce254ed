//! Measuring the monitor canister (`hooks-monitor`) through the `pocket-ic` client: install it,
//! create canisters for it to watch, register them, move time, and read what the monitor
//! measures of itself on `/metrics` (instructions per sample, instructions of the last
//! install or upgrade, stable bytes per structure). Shared by the benchmark
//! (`examples/monitor_bench.rs`) and the performance test (`tests/monitor_performance.rs`).

use candid::{decode_one, encode_one, Nat, Principal};
use canister_hooks_testkit::examples::{load_init, LoadClient};
use canister_hooks_testkit::monitor::{
    self, ConfigUpdate, DeliveryStatus, EventFilter, EventKind, MonitorClient, PollBounds,
    RegisterArgs, Registration, RegistrationError,
};
use canister_hooks_testkit::{canister_wasm, Client, Ic};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterSettings, ProvisionalCreateCanisterWithCyclesArgs,
};
use pocket_ic::common::rest::RawEffectivePrincipal;
use pocket_ic::{PocketIc, PocketIcBuilder};
use std::collections::BTreeMap;

/// Cycles the monitor starts with.
pub const MONITOR_CYCLES: u128 = 1_000_000_000_000_000;
/// Ingress messages submitted before their results are awaited.
const BATCH: usize = 500;

/// A `pocket-ic` instance with a monitor installed; the anonymous principal controls both.
pub struct MonitorBench {
    pub pic: PocketIc,
    pub monitor: Principal,
}

impl MonitorBench {
    /// A fresh instance with the monitor installed, `config` applied at install.
    pub fn new(config: ConfigUpdate) -> Self {
        let pic = PocketIcBuilder::new().with_application_subnet().build();
        let monitor = install_monitor(&pic, config);
        Self { pic, monitor }
    }

    /// `n` empty canisters (100 T cycles each) controlled by the anonymous principal and
    /// `also_controlled_by`, created in batches of concurrent calls.
    pub fn empty_canisters(&self, n: usize, also_controlled_by: &[Principal]) -> Vec<Principal> {
        let mut controllers = vec![Principal::anonymous()];
        controllers.extend_from_slice(also_controlled_by);
        let arg = encode_one(ProvisionalCreateCanisterWithCyclesArgs {
            amount: Some(Nat::from(100_000_000_000_000u128)),
            settings: Some(CanisterSettings {
                controllers: Some(controllers),
                ..Default::default()
            }),
            specified_id: None,
            sender_canister_version: None,
        })
        .unwrap();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let ids: Vec<_> = (0..BATCH.min(n - out.len()))
                .map(|_| {
                    self.pic
                        .submit_call_with_effective_principal(
                            Principal::management_canister(),
                            RawEffectivePrincipal::None,
                            Principal::anonymous(),
                            "provisional_create_canister_with_cycles",
                            arg.clone(),
                        )
                        .expect("creation is accepted")
                })
                .collect();
            for id in ids {
                let reply = self.pic.await_call(id).expect("a canister is created");
                out.push(decode_one::<CanisterIdRecord>(&reply).unwrap().canister_id);
            }
        }
        out
    }

    /// Registers every canister of `targets` with `self.monitor`, as `args` describes each.
    pub fn register_all(&self, targets: &[Principal], args: impl Fn(Principal) -> RegisterArgs) {
        register_all(&self.pic, self.monitor, targets, args);
    }

    /// The monitor's `/metrics`.
    pub fn metrics(&self) -> Metrics {
        metrics(&self.pic, self.monitor)
    }

    /// Runs rounds, a second apart, until the monitor has measured `samples` status samples since
    /// its last upgrade; returns its metrics then.
    pub fn run_until_sampled(&self, samples: usize) -> Metrics {
        for _ in 0..10_000 {
            let m = self.metrics();
            if m.get("monitor_sample_instructions_count") as usize >= samples {
                return m;
            }
            self.run_for(10, 1);
        }
        panic!("fewer than {samples} samples after 10,000 rounds");
    }

    /// Upgrades the monitor to the same wasm; returns the instructions `post_upgrade` took.
    pub fn upgrade(&self) -> u64 {
        self.pic
            .upgrade_canister(
                self.monitor,
                monitor_wasm(),
                monitor::encode_init(None),
                None,
            )
            .expect("the monitor upgrades");
        self.metrics().get("monitor_install_instructions") as u64
    }

    /// Advances time by `seconds` in steps of `step` seconds, running a round after each step.
    pub fn run_for(&self, seconds: u64, step: u64) {
        run_for(&self.pic, seconds, step);
    }
}

/// The monitor wasm, from `scripts/build-canisters.sh`.
pub fn monitor_wasm() -> Vec<u8> {
    canister_wasm("hooks-monitor")
}

/// Creates a canister on `pic` and installs the monitor in it with `config`, public (a benchmark
/// reads its `/metrics` without a token).
pub fn install_monitor(pic: &PocketIc, config: ConfigUpdate) -> Principal {
    let monitor = pic.create_canister();
    pic.add_cycles(monitor, MONITOR_CYCLES);
    let arg = monitor::encode_init(Some(monitor::MonitorInit {
        config: Some(config),
        admins: None,
        read_settings: Some(monitor::ReadSettingsUpdate {
            read_policy: Some(monitor::ReadPolicy::Public),
            http_pages: Some(monitor::HttpPages::Public),
        }),
    }));
    pic.install_canister(monitor, monitor_wasm(), arg, None);
    monitor
}

/// Installs `example-load` (100 T cycles) in a new canister controlled by the anonymous
/// principal and `monitors`, whose hooks `monitors[0]` may call.
pub fn load_canister(pic: &PocketIc, monitors: &[Principal]) -> Principal {
    let mut controllers = vec![Principal::anonymous()];
    controllers.extend_from_slice(monitors);
    let id = pic.create_canister_with_settings(
        None,
        Some(pocket_ic::CanisterSettings {
            controllers: Some(controllers),
            ..Default::default()
        }),
    );
    let arg = load_init(monitors.first().copied());
    pic.install_canister(id, canister_wasm("example-load"), arg, None);
    // Let the SDK finish its post-init calls (their reserved cycles return with the replies).
    for _ in 0..5 {
        pic.tick();
    }
    id
}

/// Burns `amount` cycles of `example-load` canister `id`.
pub fn burn(pic: &PocketIc, id: Principal, amount: u128) {
    let load: LoadClient<'_, PocketIc> = Client::new(pic, id, Principal::anonymous());
    load.burn_cycles(amount).expect("burn_cycles");
}

/// The anonymous principal's client of `monitor`.
fn monitor_client(pic: &PocketIc, monitor: Principal) -> MonitorClient<'_, PocketIc> {
    Client::new(pic, monitor, Principal::anonymous())
}

/// When `monitor`'s first `on_low_cycles` event for `target` was acknowledged by the target's
/// hook (nanoseconds), if it was.
pub fn low_cycles_delivered_at(
    pic: &PocketIc,
    monitor: Principal,
    target: Principal,
) -> Option<u64> {
    let filter = EventFilter {
        canister_id: Some(target),
        kind: Some(EventKind::LowCycles),
        ..Default::default()
    };
    let events = monitor_client(pic, monitor)
        .events_where(filter)
        .expect("events answers");
    events
        .iter()
        .filter_map(|e| match e.delivery {
            DeliveryStatus::Delivered { at_ns, .. } => Some(at_ns),
            _ => None,
        })
        .min()
}

/// Registration of `canister_id` with a cycles threshold of `threshold` and `poll` bounds (the
/// monitor's defaults when `None`), every hook exported.
pub fn register_args(
    canister_id: Principal,
    threshold: u128,
    poll: Option<PollBounds>,
) -> RegisterArgs {
    let label = format!("bench-{}", &canister_id.to_text()[..5]);
    monitor::register_args(canister_id, label, Some(threshold), poll)
}

/// Registers every canister of `targets` with `monitor`, submitting in batches so the status
/// checks of a batch run concurrently; panics on any refusal.
pub fn register_all(
    pic: &PocketIc,
    monitor: Principal,
    targets: &[Principal],
    args: impl Fn(Principal) -> RegisterArgs,
) {
    for chunk in targets.chunks(BATCH) {
        let ids: Vec<_> = chunk
            .iter()
            .map(|t| {
                pic.submit_call(
                    monitor,
                    Principal::anonymous(),
                    "register",
                    encode_one(args(*t)).unwrap(),
                )
                .expect("register is accepted")
            })
            .collect();
        for id in ids {
            let reply = pic.await_call(id).expect("register replies");
            let result: Result<Registration, RegistrationError> = decode_one(&reply).unwrap();
            if let Err(e) = result {
                panic!("registration refused: {e}");
            }
        }
    }
}

/// Advances time by `seconds` in steps of `step` seconds, running a round after each step.
pub fn run_for(pic: &PocketIc, seconds: u64, step: u64) {
    pic.run_for(seconds, step, 1);
}

/// The values on a monitor's `/metrics`, by series (name and labels, as written).
pub struct Metrics(BTreeMap<String, f64>);

impl Metrics {
    /// The value of `series` (for example `monitor_polls_total` or
    /// `monitor_structure_stable_bytes{structure="registry"}`); panics if absent.
    pub fn get(&self, series: &str) -> f64 {
        *self
            .0
            .get(series)
            .unwrap_or_else(|| panic!("/metrics has no {series}"))
    }

    /// Stable bytes of the structure `name`.
    pub fn structure_bytes(&self, name: &str) -> u64 {
        self.get(&format!(
            "monitor_structure_stable_bytes{{structure=\"{name}\"}}"
        )) as u64
    }

    /// Mean instructions per status sample since the last upgrade.
    pub fn mean_sample_instructions(&self) -> f64 {
        self.get("monitor_sample_instructions_sum") / self.get("monitor_sample_instructions_count")
    }
}

/// Reads `monitor`'s `/metrics`.
pub fn metrics(pic: &PocketIc, monitor: Principal) -> Metrics {
    let text = monitor_client(pic, monitor)
        .metrics_text(None)
        .expect("http_request answers");
    let mut values = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        // `series value timestamp`, split from the right (label values may hold spaces).
        let mut parts = line.rsplitn(3, ' ');
        let _timestamp = parts.next();
        let value = parts.next().and_then(|v| v.parse().ok());
        if let (Some(value), Some(series)) = (value, parts.next()) {
            values.insert(series.to_string(), value);
        }
    }
    Metrics(values)
}
