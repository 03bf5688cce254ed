//! Issue 5's performance targets, measured in one sim (or PocketIC) instance: the same interval
//! task under plain ic-cdk-timers (`bench-timers-plain`) and under canister-hooks
//! (`bench-timers-hooks`), and the readiness guard's instruction cost.
//!
//! Needs both canisters built (`scripts/build-canisters.sh`) and `POCKET_IC_BIN`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use candid::{decode_one, encode_args, Principal};
use pocket_ic::PocketIc;

/// Fees of a 13-node subnet (sim charges exactly these): 3 executions per run (global timer,
/// executor, callback) at 5M each, plus the self-call's 260k + 1k per byte of name and payload.
const BASE_PER_RUN: u128 = 3 * 5_000_000 + 260_000;

fn wasm(package: &str) -> Vec<u8> {
    let mut dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("target/canisters").join(format!("{package}.wasm"));
        if candidate.exists() {
            return std::fs::read(candidate).unwrap();
        }
        assert!(
            dir.pop(),
            "{package}.wasm not found; run `bash scripts/build-canisters.sh` first"
        );
    }
}

fn call<T: for<'a> candid::Deserialize<'a> + candid::CandidType>(
    pic: &PocketIc,
    c: Principal,
    method: &str,
    args: impl candid::utils::ArgumentEncoder,
) -> T {
    let bytes = pic
        .update_call(
            c,
            Principal::anonymous(),
            method,
            encode_args(args).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    decode_one(&bytes).unwrap()
}

struct PerRun {
    cycles: f64,
    runs: u64,
}

/// Cycles per run of a task doing `work` mixing rounds, net of the canister's idle burn.
fn measure(pic: &PocketIc, c: Principal, work: u32, seconds: u64) -> PerRun {
    let step = Duration::from_secs(1);
    let b0 = pic.cycle_balance(c);
    for _ in 0..seconds {
        pic.advance_time(step);
        pic.tick();
    }
    let idle = b0 - pic.cycle_balance(c);
    let runs_before: u64 = call(pic, c, "runs", ());
    let _: () = call(pic, c, "start", (1000u64, work));
    let b1 = pic.cycle_balance(c);
    for _ in 0..seconds {
        pic.advance_time(step);
        pic.tick();
    }
    let busy = b1 - pic.cycle_balance(c);
    let runs = call::<u64>(pic, c, "runs", ()) - runs_before;
    let _: () = call(pic, c, "stop", ());
    PerRun {
        cycles: (busy as f64 - idle as f64) / runs as f64,
        runs,
    }
}

#[test]
fn trap_capturing_timer_costs_at_most_1_1x_plain_ic_cdk_timers_and_guard_is_cheap() {
    let pic = PocketIc::new();
    let mut ids = Vec::new();
    for package in ["bench-timers-plain", "bench-timers-hooks"] {
        let c = pic.create_canister();
        pic.add_cycles(c, 100_000_000_000_000);
        pic.install_canister(c, wasm(package), encode_args(()).unwrap(), None);
        ids.push(c);
    }
    let (plain, hooks) = (ids[0], ids[1]);
    for _ in 0..10 {
        pic.advance_time(Duration::from_secs(1));
        pic.tick();
    }
    let guard: u64 = decode_one(
        &pic.query_call(
            hooks,
            Principal::anonymous(),
            "guard_cost",
            encode_args(()).unwrap(),
        )
        .expect("ready after 10 rounds"),
    )
    .unwrap();
    println!("readiness guard: {guard} instructions");
    assert!(guard <= 5_000, "guard costs {guard} instructions");

    for work in [0u32, 10_000] {
        let p = measure(&pic, plain, work, 60);
        let h = measure(&pic, hooks, work, 60);
        assert!(
            p.runs >= 50 && h.runs >= 50,
            "timers ran: {} / {}",
            p.runs,
            h.runs
        );
        // Instructions = cycles - base fees - 1k per byte of method name + 8-byte payload.
        let p_insn = p.cycles - (BASE_PER_RUN + 1_000 * (32 + 8)) as f64;
        let h_insn = h.cycles - (BASE_PER_RUN + 1_000 * (22 + 8)) as f64;
        println!(
            "work {work}: plain {:.0} cycles/run (~{p_insn:.0} instructions), hooks {:.0} cycles/run (~{h_insn:.0} instructions), cycles ratio {:.4}",
            p.cycles,
            h.cycles,
            h.cycles / p.cycles
        );
        assert!(
            h.cycles <= 1.1 * p.cycles,
            "cycles ratio {}",
            h.cycles / p.cycles
        );
    }
}
