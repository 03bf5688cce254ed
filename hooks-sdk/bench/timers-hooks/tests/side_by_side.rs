//! Issue 5's performance targets, measured in one sim (or PocketIC) instance: the same interval
//! task under plain ic-cdk-timers (`bench-timers-plain`) and under canister-hooks
//! (`bench-timers-hooks`), in cycles and instructions per run, and the readiness guard's
//! instruction cost. The numbers are deterministic in sim (it counts instructions exactly), so
//! this is a benchmark with thresholds, not a timed test; they are recorded in BENCHMARKS.md.
//!
//! Needs both canisters built (`scripts/build-canisters.sh`) and `POCKET_IC_BIN`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use candid::utils::ArgumentEncoder;
use candid::{decode_one, encode_args, CandidType, Deserialize, Principal};
use pocket_ic::PocketIc;

/// The self-call each ic-cdk-timers run makes.
const PLAIN_EXECUTOR: &str = "<ic-cdk internal> timer_executor";
/// Bytes of the timer id both send as the self-call's payload.
const PAYLOAD: u128 = 8;
/// Fees of a 13-node subnet (sim charges exactly these): 3 executions per run (global timer,
/// executor, callback) at 5M each plus 1 per instruction, and the self-call's 260k + 1k per byte
/// of method name and payload.
const EXECUTIONS_PER_RUN: u128 = 3 * 5_000_000;
const CALL_BASE: u128 = 260_000;
const CALL_PER_BYTE: u128 = 1_000;
/// Mixing rounds of the realistic task (about 140k instructions).
const REALISTIC_WORK: u32 = 10_000;

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

fn update<T: for<'a> Deserialize<'a> + CandidType>(
    pic: &PocketIc,
    c: Principal,
    method: &str,
    args: impl ArgumentEncoder,
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

/// Queries are free, so reading the run count does not disturb the cycle balance.
fn query<T: for<'a> Deserialize<'a> + CandidType>(pic: &PocketIc, c: Principal, method: &str) -> T {
    let bytes = pic
        .query_call(c, Principal::anonymous(), method, encode_args(()).unwrap())
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    decode_one(&bytes).unwrap()
}

fn seconds(pic: &PocketIc, n: u64) {
    for _ in 0..n {
        pic.advance_time(Duration::from_secs(1));
        pic.tick();
    }
}

/// A benchmark canister and the name of the method its timer runs self-call.
struct Bench {
    id: Principal,
    executor: &'static str,
}

/// What one run costs in steady state.
struct PerRun {
    cycles: u128,
    instructions: u128,
    runs: u64,
}

impl Bench {
    /// Cycles and instructions per run of the task with `work` mixing rounds every second, over
    /// `span` seconds of steady state, net of the canister's idle (storage) burn.
    fn per_run(&self, pic: &PocketIc, work: u32, span: u64) -> PerRun {
        let before = pic.cycle_balance(self.id);
        seconds(pic, span);
        let idle = before - pic.cycle_balance(self.id);

        let _: () = update(pic, self.id, "start", (1000u64, work));
        seconds(pic, 3); // the first runs pay one-time initialisation (thread-locals, panic hook)
        let (b0, r0) = (
            pic.cycle_balance(self.id),
            query::<u64>(pic, self.id, "runs"),
        );
        seconds(pic, span);
        let (b1, r1) = (
            pic.cycle_balance(self.id),
            query::<u64>(pic, self.id, "runs"),
        );
        let _: () = update(pic, self.id, "stop", ());

        let runs = r1 - r0;
        let cycles = (b0 - b1 - idle) / u128::from(runs);
        let fees = EXECUTIONS_PER_RUN
            + CALL_BASE
            + CALL_PER_BYTE * (self.executor.len() as u128 + PAYLOAD);
        PerRun {
            cycles,
            instructions: cycles - fees,
            runs,
        }
    }
}

#[test]
fn trap_capturing_timer_costs_at_most_1_1x_plain_ic_cdk_timers_and_guard_is_cheap() {
    let pic = PocketIc::new();
    let install = |package: &str, executor: &'static str| {
        let id = pic.create_canister();
        pic.add_cycles(id, 100_000_000_000_000);
        pic.install_canister(id, wasm(package), encode_args(()).unwrap(), None);
        Bench { id, executor }
    };
    let plain = install("bench-timers-plain", PLAIN_EXECUTOR);
    let hooks = install(
        "bench-timers-hooks",
        canister_hooks::runtime::timers::EXECUTOR_METHOD,
    );
    seconds(&pic, 10);

    let guard: u64 = query(&pic, hooks.id, "guard_cost");
    println!("readiness guard: {guard} instructions");
    assert!(guard <= 5_000, "guard costs {guard} instructions");

    for work in [0, REALISTIC_WORK] {
        let p = plain.per_run(&pic, work, 60);
        let h = hooks.per_run(&pic, work, 60);
        assert!(
            p.runs >= 59 && h.runs >= 59,
            "timers ran: {} / {}",
            p.runs,
            h.runs
        );
        let cycles_ratio = h.cycles as f64 / p.cycles as f64;
        let instructions_ratio = h.instructions as f64 / p.instructions as f64;
        println!(
            "work {work}: plain {} cycles, {} instructions per run; hooks {} cycles, {} instructions per run; ratios {cycles_ratio:.4} (cycles), {instructions_ratio:.3} (instructions)",
            p.cycles, p.instructions, h.cycles, h.instructions
        );
        assert!(
            cycles_ratio <= 1.1,
            "work {work}: cycles ratio {cycles_ratio}"
        );
        assert!(
            instructions_ratio <= 1.1,
            "work {work}: instructions ratio {instructions_ratio}"
        );
    }
}
