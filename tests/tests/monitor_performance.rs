//! The monitor's performance targets, measured in the emulator with the monitor's own
//! instruction counters (deterministic, so a regression fails here): a status sample (decode,
//! decide, store) under 200,000 instructions, an upgrade with 2,000 registrations within 1.5x of
//! one with 100, and under 1 KiB of stable memory per registration. BENCHMARKS.md has the
//! numbers at 10,000 from `examples/monitor_bench.rs`.

use canister_hooks_testkit::monitor::ConfigUpdate;
use integration_tests::monitor_perf::{register_args, MonitorBench};

const T: u128 = 1_000_000_000_000;
const SAMPLE_INSTRUCTIONS: f64 = 200_000.0;

/// What one fleet size measured.
struct Measured {
    sample_max: f64,
    post_upgrade: u64,
    stable_bytes_per_registration: f64,
}

/// Registers `n` canisters, lets each be sampled once more, and upgrades the monitor.
fn measure(n: usize) -> Measured {
    let bench = MonitorBench::new(ConfigUpdate {
        max_registrations: Some(n as u64),
        ..Default::default()
    });
    let targets = bench.empty_canisters(n, &[bench.monitor]);
    bench.register_all(&targets, |id| register_args(id, T, None));
    // The second sample of each canister, one minimum interval (60 s) after registration.
    bench.run_for(60, 10);
    let m = bench.run_until_sampled(n);
    let stable = m.structure_bytes("canister_index") + m.structure_bytes("canister_records");
    Measured {
        sample_max: m.get("monitor_sample_instructions_max"),
        post_upgrade: bench.upgrade(),
        stable_bytes_per_registration: stable as f64 / n as f64,
    }
}

#[test]
fn sampling_and_upgrades_stay_within_their_instruction_budgets() {
    let small = measure(100);
    let large = measure(2_000);
    for (n, m) in [(100, &small), (2_000, &large)] {
        assert!(
            m.sample_max < SAMPLE_INSTRUCTIONS,
            "a status sample took {} instructions with {n} registrations (budget {SAMPLE_INSTRUCTIONS})",
            m.sample_max
        );
    }
    let ratio = large.post_upgrade as f64 / small.post_upgrade as f64;
    assert!(
        ratio <= 1.5,
        "post_upgrade took {} instructions with 2,000 registrations, {ratio:.2}x the {} with 100",
        large.post_upgrade,
        small.post_upgrade
    );
    assert!(
        large.stable_bytes_per_registration < 1024.0,
        "{} stable bytes per registration",
        large.stable_bytes_per_registration
    );
}
