//! Measures the engine against issue 3's targets. Run with
//! `cargo run -p ic-sim --release --example bench` after `bash scripts/build-canisters.sh`.

#[path = "../tests/common/mod.rs"]
mod common;

use candid::{Encode, Principal};
use common::{wasm, wasm_path};
use ic_sim::{Sim, SimConfig};
use std::time::Instant;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Create + install: cold (fresh `Sim`, module not compiled) and warm (module cached); median of
/// `rounds` runs.
fn install_times(module: &[u8], rounds: usize) -> Option<(f64, f64)> {
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..rounds {
        let mut sim = Sim::new(SimConfig::default());
        let t = Instant::now();
        let id = sim.create_canister();
        sim.install_canister(id, module.to_vec(), Encode!().unwrap(), None)
            .ok()?;
        cold.push(ms(t.elapsed()));
        let t = Instant::now();
        let id = sim.create_canister();
        sim.install_canister(id, module.to_vec(), Encode!().unwrap(), None)
            .expect("install");
        warm.push(ms(t.elapsed()));
    }
    cold.sort_by(f64::total_cmp);
    warm.sort_by(f64::total_cmp);
    Some((cold[rounds / 2], warm[rounds / 2]))
}

fn main() {
    println!("## sim engine benchmark (release build)");
    for name in [
        "sim-test-counter",
        "sim-test-probe",
        "example-gated",
        "example-worker",
    ] {
        if !wasm_path(name).exists() {
            continue;
        }
        let module = wasm(name);
        if module.len() < 1000 {
            continue; // placeholder module
        }
        let Some((cold, warm)) = install_times(&module, 9) else {
            println!("create+install {name:<18}: skipped (its init needs arguments)");
            continue;
        };
        println!(
            "create+install {name:<18} {:>5} KB: cold {cold:6.2} ms, warm {warm:6.2} ms",
            module.len() / 1024
        );
    }

    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    sim.install_canister(id, wasm("sim-test-counter"), Encode!().unwrap(), None)
        .expect("install");
    let before = sim.cycle_balance(id).unwrap();
    sim.update_call(id, Principal::anonymous(), "inc", Encode!().unwrap())
        .expect("inc");
    let spent = before - sim.cycle_balance(id).unwrap();
    let heap = sim
        .canister_status(id, None)
        .unwrap()
        .memory_metrics
        .wasm_memory_size;
    println!("one inc: {spent} cycles (ingress + 5M base + instructions), heap {heap} bytes");
    let n = 10_000u64;
    let t = Instant::now();
    for i in 1..=n {
        let r = sim
            .update_call(id, Principal::anonymous(), "inc", Encode!().unwrap())
            .expect("inc");
        debug_assert_eq!(candid::decode_one::<u64>(&r).unwrap(), i + 1);
    }
    let el = t.elapsed();
    println!(
        "{n} sequential update calls (counter): {:.0} ms, {:.0} calls/s",
        ms(el),
        n as f64 / el.as_secs_f64()
    );
    let t = Instant::now();
    for _ in 0..n {
        sim.query_call(id, Principal::anonymous(), "get", Encode!().unwrap())
            .expect("get");
    }
    let el = t.elapsed();
    println!(
        "{n} queries (counter): {:.0} ms, {:.0} queries/s",
        ms(el),
        n as f64 / el.as_secs_f64()
    );
}
