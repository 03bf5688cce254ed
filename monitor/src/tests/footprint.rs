//! Stable memory per registration (a native measurement; BENCHMARKS.md records the numbers).

use crate::api::Config;
use crate::monitor::{Mode, Monitor};
use crate::policy::validation::tests::{args, canister};
use crate::status_reply::sample::tests::sample;
use ic_stable_structures::memory_manager::MemoryManager;
use ic_stable_structures::{Memory, VectorMemory};

/// Stable bytes used by `n` registrations (each with a first sample and a scheduled poll),
/// inserted in ascending id order or in a scrambled order.
pub fn bytes_per_registration(n: u64, scrambled: bool) -> f64 {
    let mem = VectorMemory::default();
    // One-page buckets so the measurement is not rounded to 8 MiB buckets.
    let mut m = Monitor::with_memory_manager(
        MemoryManager::init_with_bucket_size(mem.clone(), 1),
        canister(999_999),
    );
    m.set_config(&crate::api::ConfigUpdate {
        max_registrations: Some(100_000),
        ..Default::default()
    })
    .unwrap();
    let base = mem.size();
    for i in 0..n {
        let k = if scrambled {
            canister_hooks_types::backoff::mix(i) % (1 << 40)
        } else {
            i
        };
        let mut a = args(k);
        a.label = Some(format!("service-{k:012}-production"));
        a.reminder_interval_seconds = Some(3600);
        let reg = m.prepare(&a, false, Mode::New, 1).unwrap();
        let s = sample(1, 50_000_000_000_000, 10 << 20);
        m.commit(
            reg,
            Mode::New,
            Some((s, Default::default())),
            None,
            1_000_000_000,
            0,
        )
        .unwrap();
    }
    let _ = Config::default();
    ((mem.size() - base) * 65_536) as f64 / n as f64
}

#[test]
fn a_registration_costs_under_one_kib_of_stable_memory() {
    for scrambled in [false, true] {
        let b = bytes_per_registration(2_000, scrambled);
        assert!(
            b < 1024.0,
            "{b} bytes per registration (scrambled: {scrambled})"
        );
    }
}

/// `cargo test -p hooks-monitor --release footprint_report -- --ignored --nocapture`
#[test]
#[ignore]
fn footprint_report() {
    for n in [1_000, 10_000] {
        for scrambled in [false, true] {
            println!(
                "{n} registrations, {}: {:.0} stable bytes per registration",
                if scrambled {
                    "scrambled ids"
                } else {
                    "ascending ids"
                },
                bytes_per_registration(n, scrambled)
            );
        }
    }
}
