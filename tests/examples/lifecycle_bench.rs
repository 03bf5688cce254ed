//! Benchmarks the monitor's lifecycle operations in the emulator, through the unmodified
//! `pocket-ic` client, one round per emulated second (so seconds and rounds are the same number):
//!
//! 1. a clean upgrade of a busy `example-load` canister (SDK: maintenance, drain, readiness),
//!    without and with a rehearsal on a scratch canister, against the same upgrade done by hand
//!    the way the dfx docs describe it (stop, install, start): the rounds the target is stopped,
//!    the rounds the whole operation takes, and the cycles it costs the monitor and the target;
//! 2. a release that never becomes ready: the rounds from the failure being detected to the
//!    target serving its old version again (rollback from the snapshot);
//! 3. a stopped backup of a canister holding 100 MiB of stable memory: the rounds it is stopped,
//!    the cycles one backup costs, and what a daily policy keeping 7 costs per day;
//! 4. the instructions a timer tick of a monitor with 1,000 registered canisters takes with and
//!    without daily backup policies on all of them, and in their window.
//!
//! Run `bash scripts/build-canisters.sh`, `cargo build -p ic-sim-server`, then
//! `POCKET_IC_BIN=target/debug/ic-sim-server cargo run -p integration-tests --example lifecycle_bench`
//! (about five minutes).

use candid::Principal;
use canister_hooks_testkit::examples::{load_release, ReleaseFault};
use canister_hooks_testkit::monitor::{
    BackupMode, BackupPolicy, BackupWindow, ConfigUpdate, OperationError, OperationView, Outcome,
    PipelineTimeouts, StepKind, StepRecord, UpgradeArgs,
};
use canister_hooks_testkit::wasm::tagged_release;
use canister_hooks_testkit::{canister_wasm, Ic};
use canister_hooks_types::units;
use ic_management_canister_types::{CanisterInstallMode, InstallCodeArgs, UpgradeFlags};
use integration_tests::fleet::{fast_config, Fleet, TARGET_CYCLES};
use integration_tests::monitor_perf::{register_args, MonitorBench};
use std::time::Duration;

const NS: u64 = 1_000_000_000;
/// The emulator's storage fee on a 13-node subnet: cycles per GiB per second.
const STORAGE_FEE_PER_GIB_SECOND: u128 = 127_000;

/// One round, one emulated second.
fn round(fleet: &Fleet) {
    fleet.pic.advance_time(Duration::from_secs(1));
    fleet.pic.tick();
}

fn busy_load() -> (Fleet, Principal) {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    fleet.register(Fleet::register_args(load));
    let grown: Result<u64, String> = fleet.update(load, "grow_stable", (1u64 << 20,));
    grown.unwrap();
    (fleet, load)
}

fn balances(fleet: &Fleet, canisters: &[Principal]) -> Vec<u128> {
    canisters
        .iter()
        .map(|c| fleet.pic.cycle_balance(*c))
        .collect()
}

/// What one way of upgrading measured.
struct Measured {
    stopped_rounds: u64,
    total_rounds: u64,
    monitor_cycles: u128,
    target_cycles: u128,
}

fn print(name: &str, m: &Measured) {
    println!(
        "{name:<28} stopped {:>2} rounds, whole {:>3} rounds, monitor {:>9}, target {:>9}",
        m.stopped_rounds,
        m.total_rounds,
        units::cycles(m.monitor_cycles),
        units::cycles(m.target_cycles)
    );
}

/// Stop, install, start, each submitted as the operator once the previous one completed.
fn by_hand() -> Measured {
    let (fleet, load) = busy_load();
    let v2 = tagged_release(&canister_wasm("example-load"), "v2");
    let before = balances(&fleet, &[fleet.monitor, load]);
    let mut rounds = 0;
    let mut run = |method: &str, payload: Option<Vec<u8>>| {
        let call = match payload {
            Some(p) => fleet
                .pic
                .submit_management_call(fleet.admin, method, load, p),
            None => fleet.pic.submit_canister_id_call(fleet.admin, method, load),
        }
        .unwrap();
        while fleet.pic.ingress_status(call.clone()).is_none() {
            round(&fleet);
            rounds += 1;
        }
        rounds
    };
    let stopped_at = run("stop_canister", None);
    let install = InstallCodeArgs {
        mode: CanisterInstallMode::Upgrade(Some(UpgradeFlags::default())),
        canister_id: load,
        wasm_module: v2,
        arg: load_release(Some(fleet.monitor), None),
        sender_canister_version: None,
    };
    run("install_code", Some(candid::encode_one(install).unwrap()));
    let started_at = run("start_canister", None);
    let after = balances(&fleet, &[fleet.monitor, load]);
    Measured {
        stopped_rounds: started_at - stopped_at,
        total_rounds: started_at,
        monitor_cycles: before[0] - after[0],
        target_cycles: before[1] - after[1],
    }
}

fn args(fleet: &Fleet, load: Principal, release: &str, fault: Option<ReleaseFault>) -> UpgradeArgs {
    let wasm = tagged_release(&canister_wasm("example-load"), release);
    let (wasm_module_hash, chunk_hashes) = fleet.watcher().upload_module(load, &wasm).unwrap();
    UpgradeArgs {
        timeouts: Some(PipelineTimeouts {
            ready_seconds: 30,
            ..Default::default()
        }),
        ..UpgradeArgs::new(
            load,
            wasm_module_hash,
            chunk_hashes,
            load_release(Some(fleet.monitor), fault),
        )
    }
}

/// Runs the pipeline one round a second until it ends; the view and the rounds it took.
fn run_pipeline(fleet: &Fleet, args: UpgradeArgs) -> (OperationView, u64) {
    let canister = args.canister_id;
    fleet.watcher().start_upgrade(args).unwrap().unwrap();
    let mut rounds = 0;
    loop {
        round(fleet);
        rounds += 1;
        let view = fleet.watcher().operation_status(canister).unwrap().unwrap();
        if view.outcome.is_some() {
            return (view, rounds);
        }
        assert!(rounds < 600, "the pipeline did not end: {view:#?}");
    }
}

/// Management calls made while the target was stopped.
fn calls_while_stopped(steps: &[StepRecord]) -> u32 {
    let stop = steps
        .iter()
        .position(|s| s.step.kind == StepKind::Stop)
        .unwrap();
    let start = steps
        .iter()
        .rposition(|s| s.step.kind == StepKind::Start)
        .unwrap();
    steps[stop + 1..=start].iter().map(|s| s.attempts).sum()
}

fn pipeline(rehearse: bool) -> (Measured, u64, u32) {
    let (fleet, load) = busy_load();
    let scratch = rehearse.then(|| {
        fleet.pic.create_canister_with_controllers(
            fleet.admin,
            vec![fleet.admin, fleet.monitor],
            TARGET_CYCLES,
        )
    });
    let args = UpgradeArgs {
        rehearse_on: scratch,
        ..args(&fleet, load, "v2", None)
    };
    let mut watched = vec![fleet.monitor, load];
    watched.extend(scratch);
    let before = balances(&fleet, &watched);
    let (view, rounds) = run_pipeline(&fleet, args);
    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    let after = balances(&fleet, &watched);
    let snapshot_bytes = fleet
        .pic
        .list_canister_snapshots(load, Some(fleet.admin))
        .unwrap()
        .iter()
        .map(|s| s.total_size)
        .sum::<u64>();
    let spent: Vec<u128> = before.iter().zip(&after).map(|(b, a)| b - a).collect();
    (
        Measured {
            stopped_rounds: view.target_stopped_ns / NS,
            total_rounds: rounds,
            monitor_cycles: spent[0],
            target_cycles: spent[1..].iter().sum(),
        },
        snapshot_bytes,
        calls_while_stopped(&view.steps),
    )
}

fn rollback() {
    let (fleet, load) = busy_load();
    let (view, rounds) = run_pipeline(
        &fleet,
        args(&fleet, load, "v2", Some(ReleaseFault::NeverReady)),
    );
    assert!(
        matches!(view.outcome, Some(Outcome::RolledBack { .. })),
        "{view:#?}"
    );
    let back_after_ns = view
        .recovery_ns()
        .expect("a failed step and a readiness check");
    println!(
        "rollback of a never-ready release: whole {rounds} rounds (30 s readiness deadline), service back {} rounds after the failure was detected",
        back_after_ns / NS
    );
}

/// A stopped backup of a load canister holding 100 MiB of stable memory.
fn backup_of_100_mib() {
    let (fleet, load) = busy_load();
    let grown: Result<u64, String> = fleet.update(load, "grow_stable", (99u64 << 20,));
    grown.unwrap();
    let policy = BackupPolicy {
        interval_hours: 24,
        window: None,
        keep: 7,
        mode: BackupMode::Stopped,
        replace_any: false,
    };
    fleet
        .watcher()
        .set_backup_policy(load, Some(policy))
        .unwrap()
        .unwrap();
    let watched = [fleet.monitor, load];
    let before = balances(&fleet, &watched);
    fleet.watcher().start_backup(load, None).unwrap().unwrap();
    let mut rounds = 0;
    let view = loop {
        round(&fleet);
        rounds += 1;
        let view = fleet.watcher().operation_status(load).unwrap().unwrap();
        if view.outcome.is_some() {
            break view;
        }
    };
    assert_eq!(view.outcome, Some(Outcome::Succeeded), "{view:#?}");
    let after = balances(&fleet, &watched);
    let bytes = view.snapshot_bytes.unwrap();
    let storage = bytes as u128 * STORAGE_FEE_PER_GIB_SECOND * 86_400 / (1u128 << 30);
    let calls = before[0] - after[0] + before[1] - after[1];
    println!(
        "stopped backup of {}: stopped {} rounds, whole {rounds} rounds; one backup costs {} \
         (monitor {}, canister {}); a daily policy keeping 7: {} per day \
         ({} storage for 7 snapshots + {} calls)",
        units::bytes(bytes),
        view.target_stopped_ns / NS,
        units::cycles(calls),
        units::cycles(before[0] - after[0]),
        units::cycles(before[1] - after[1]),
        units::cycles(7 * storage + calls),
        units::cycles(7 * storage),
        units::cycles(calls),
    );
}

/// The last timer tick's instructions, sampled after each of `steps` ten-minute steps (one
/// watchdog period: each step's tick starts everything that fell due in it): the most.
fn most_tick_instructions(bench: &MonitorBench, steps: u64) -> f64 {
    (0..steps)
        .map(|_| {
            bench.run_for(600, 600);
            bench.metrics().get("monitor_tick_instructions")
        })
        .fold(0.0, f64::max)
}

/// Timer ticks of a monitor watching 1,000 canisters, without and with daily backup policies.
fn ticks_with_1000_policies() {
    let bench = MonitorBench::new(ConfigUpdate {
        max_registrations: Some(1_000),
        ..Default::default()
    });
    let targets = bench.empty_canisters(1_000, &[bench.monitor]);
    bench.register_all(&targets, |id| register_args(id, 1_000_000_000_000, None));
    bench.run_for(600, 60);
    let without = most_tick_instructions(&bench, 3);
    let hour_now = bench.pic.get_time().as_nanos_since_unix_epoch() / NS / 3_600 % 24;
    let start_hour = ((hour_now + 2) % 24) as u8;
    let policy = BackupPolicy {
        interval_hours: 24,
        window: Some(BackupWindow {
            start_hour,
            end_hour: (start_hour + 4) % 24,
        }),
        keep: 3,
        mode: BackupMode::Running,
        replace_any: false,
    };
    set_policies(&bench, &targets, policy);
    let idle = most_tick_instructions(&bench, 3);
    // Through the window: backups start, at most 10 at a time.
    let in_window = most_tick_instructions(&bench, 30);
    let backups = bench
        .metrics()
        .get("monitor_operations_started_total{kind=\"backup\"}");
    println!(
        "timer tick, 1,000 canisters: {:.0} k instructions without backup policies; {:.0} k with \
         1,000 daily policies outside their window; at most {:.0} k in the window \
         ({backups} backups started in it)",
        without / 1e3,
        idle / 1e3,
        in_window / 1e3
    );
}

/// Sets `policy` on every canister of `targets`, in batches of concurrent calls.
fn set_policies(bench: &MonitorBench, targets: &[Principal], policy: BackupPolicy) {
    for chunk in targets.chunks(200) {
        let calls: Vec<_> = chunk
            .iter()
            .map(|t| {
                bench
                    .pic
                    .submit_call(
                        bench.monitor,
                        Principal::anonymous(),
                        "set_backup_policy",
                        candid::encode_args((*t, Some(policy))).unwrap(),
                    )
                    .unwrap()
            })
            .collect();
        for call in calls {
            let reply = bench.pic.await_call(call).unwrap();
            let set: Result<Option<u64>, OperationError> = candid::decode_one(&reply).unwrap();
            set.unwrap();
        }
    }
}

fn main() {
    println!("== a clean upgrade of a busy example-load canister (1 round = 1 emulated second) ==");
    print("by hand (stop, install, start)", &by_hand());
    let (plain, snapshot_bytes, calls) = pipeline(false);
    print("pipeline", &plain);
    println!("  management calls while stopped: {calls}");
    let (rehearsed, _, calls) = pipeline(true);
    print("pipeline with rehearsal", &rehearsed);
    println!("  management calls while stopped: {calls}");
    let per_day = snapshot_bytes as u128 * STORAGE_FEE_PER_GIB_SECOND * 86_400 / (1u128 << 30);
    println!(
        "snapshot kept: {}, storage {} per day",
        units::bytes(snapshot_bytes),
        units::cycles(per_day)
    );
    rollback();
    println!("== backups ==");
    backup_of_100_mib();
    ticks_with_1000_policies();
}
