//! Benchmarks the monitor canister in the emulator, through the unmodified `pocket-ic` client:
//!
//! 1. scale: for 100, 1,000 and 10,000 registered canisters, the instructions per status sample
//!    (decode, decide, store; mean and max, as the monitor measures them), the instructions of
//!    `post_upgrade`, and the stable bytes each registration occupies;
//! 2. idle cost: cycles the monitor spends per idle `example-load` canister per day at the
//!    default polling bounds, against a fixed 6-hour poll, beside the monitor's own fixed cost;
//! 3. latency: from a fast-burning `example-load` canister's balance crossing its threshold to
//!    its `on_low_cycles` hook acknowledging the event, at the default bounds and with a fixed
//!    6-hour poll.
//!
//! Every number is an instruction or cycle count, deterministic in the emulator: a debug build
//! gives the same numbers as a release build, only slower (about 10 minutes in debug). Run
//! `bash scripts/build-canisters.sh`, `cargo build -p ic-sim-server --bin ic-sim-server`, then
//! `POCKET_IC_BIN=target/debug/ic-sim-server cargo run -p integration-tests --example monitor_bench`.

use canister_hooks_testkit::monitor::{ConfigUpdate, PollBounds};
use integration_tests::monitor_perf::{
    burn, install_monitor, load_canister, low_cycles_delivered_at, register_all, register_args,
    run_for, Metrics, MonitorBench,
};
use pocket_ic::{PocketIc, PocketIcBuilder};
use std::time::Instant;

const T: u128 = 1_000_000_000_000;
const DAY: u64 = 86_400;
const SIX_HOURS: PollBounds = PollBounds {
    min_interval_seconds: 6 * 3600,
    max_interval_seconds: 6 * 3600,
};

fn main() {
    scale();
    idle_cost();
    latency();
}

fn scale() {
    println!("== scale: per sample, per upgrade, per registration ==");
    let mut upgrade_at_100 = 0;
    for n in [100usize, 1_000, 10_000] {
        let started = Instant::now();
        let bench = MonitorBench::new(ConfigUpdate {
            max_registrations: Some(n as u64),
            ..Default::default()
        });
        let records = |m: &Metrics| {
            m.structure_bytes("canister_index") + m.structure_bytes("canister_records")
        };
        let empty = records(&bench.metrics());
        let targets = bench.empty_canisters(n, &[bench.monitor]);
        bench.register_all(&targets, |id| register_args(id, T, None));
        // Every canister's second sample, one minimum interval (60 s) after registration.
        bench.run_for(60, 10);
        let m = bench.run_until_sampled(n);
        // Structures grow in 64 KiB pages: below 1,000 registrations the page dominates.
        let per_registration = (records(&m) - empty) as f64 / n as f64;
        let upgrade = bench.upgrade();
        if n == 100 {
            upgrade_at_100 = upgrade;
        }
        println!(
            "{n:>6} registrations: sample instructions mean {:.0}, max {}; post_upgrade {upgrade} \
             ({:.2}x of 100); {per_registration:.0} stable bytes per registration ({:.0?})",
            m.mean_sample_instructions(),
            m.get("monitor_sample_instructions_max"),
            upgrade as f64 / upgrade_at_100 as f64,
            started.elapsed()
        );
        // The first tick after the upgrade rebuilds the heap index from the records.
        bench.run_for(1, 1);
        println!(
            "{n:>6} registrations: first timer tick after the upgrade {} instructions",
            bench.metrics().get("monitor_tick_instructions_max")
        );
    }
}

/// Idle canisters watched, registered this far apart so their polls do not line up by chance.
const IDLE_CANISTERS: usize = 20;
const REGISTRATION_SPACING: u64 = 37 * 60;
const MEASURED_DAYS: u64 = 3;
const STEP: u64 = 10;

fn idle_cost() {
    println!("== idle cost: monitor cycles per idle canister per day ==");
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let adaptive = install_monitor(&pic, ConfigUpdate::default());
    let fixed = install_monitor(&pic, ConfigUpdate::default());
    let alone = install_monitor(&pic, ConfigUpdate::default());
    for _ in 0..IDLE_CANISTERS {
        let target = load_canister(&pic, &[adaptive, fixed]);
        register_all(&pic, adaptive, &[target], |id| register_args(id, T, None));
        register_all(&pic, fixed, &[target], |id| {
            register_args(id, T, Some(SIX_HOURS))
        });
        run_for(&pic, REGISTRATION_SPACING, STEP);
    }
    // Past the registration-time polls, into the steady state.
    run_for(&pic, DAY, STEP);
    let before = [adaptive, fixed, alone].map(|m| pic.cycle_balance(m));
    run_for(&pic, MEASURED_DAYS * DAY, STEP);
    let after = [adaptive, fixed, alone].map(|m| pic.cycle_balance(m));
    let per_day = |i: usize| (before[i] - after[i]) as f64 / MEASURED_DAYS as f64;
    let per_canister = |i: usize| (per_day(i) - per_day(2)) / IDLE_CANISTERS as f64;
    println!(
        "default bounds: {:.1} M cycles per idle canister per day",
        per_canister(0) / 1e6
    );
    println!(
        "fixed 6-hour poll: {:.1} M cycles per idle canister per day",
        per_canister(1) / 1e6
    );
    println!(
        "the monitor alone (watchdog, storage): {:.2} B cycles per day",
        per_day(2) / 1e9
    );
}

/// A burn of 100 M cycles per second, in steps of `BURN_STEP` seconds.
const BURN_PER_SECOND: u128 = 100_000_000;
const BURN_STEP: u64 = 5;
/// The balance starts one hour of burning above the threshold.
const HEADROOM: u128 = 3_600 * BURN_PER_SECOND;
const THRESHOLD: u128 = 5 * T;

fn latency() {
    println!("== latency: threshold crossing to hook, burning 100 M cycles/s ==");
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let cases = [
        ("default bounds", None),
        ("fixed 6-hour poll", Some(SIX_HOURS)),
    ]
    .map(|(name, poll)| {
        let monitor = install_monitor(&pic, ConfigUpdate::default());
        let target = load_canister(&pic, &[monitor]);
        burn(
            &pic,
            target,
            pic.cycle_balance(target) - (THRESHOLD + HEADROOM),
        );
        register_all(&pic, monitor, &[target], |id| {
            register_args(id, THRESHOLD, poll)
        });
        (name, monitor, target)
    });
    let mut crossed: [Option<u64>; 2] = [None; 2];
    let mut hooked: [Option<u64>; 2] = [None; 2];
    let started = now_ns(&pic);
    while hooked.iter().any(Option::is_none) && now_ns(&pic) - started < 12 * 3600 * 1_000_000_000 {
        for (i, (_, monitor, target)) in cases.iter().enumerate() {
            if hooked[i].is_some() {
                continue;
            }
            burn(&pic, *target, BURN_PER_SECOND * BURN_STEP as u128);
            if crossed[i].is_none() && pic.cycle_balance(*target) < THRESHOLD {
                crossed[i] = Some(now_ns(&pic));
            }
            hooked[i] = low_cycles_delivered_at(&pic, *monitor, *target);
        }
        run_for(&pic, BURN_STEP, BURN_STEP);
    }
    for (i, (name, _, _)) in cases.iter().enumerate() {
        match (crossed[i], hooked[i]) {
            (Some(c), Some(h)) => println!(
                "{name}: hook ran {:.0} s after the crossing",
                h.saturating_sub(c) as f64 / 1e9
            ),
            _ => println!("{name}: no hook within 12 hours"),
        }
    }
}

fn now_ns(pic: &PocketIc) -> u64 {
    pic.get_time().as_nanos_since_unix_epoch()
}
