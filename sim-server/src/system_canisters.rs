//! The system canisters of icp-cli's local network, as ic-sim's stand-ins (the wasm of the
//! `system-canisters/` crates): the ICP ledger, the cycles ledger and the cycles minting
//! canister, installed at their mainnet ids with the anonymous principal pre-funded, as
//! icp-cli's own launcher does before `icp network start` seeds the user's identities from it.

use candid::{Encode, Nat, Principal};
use ic_sim::Sim;
use icrc_ledger_types::icrc1::account::Account;
use sim_ledgers::cmc::CmcInit;
use sim_ledgers::cycles::CyclesLedgerInit;
use sim_ledgers::icp::IcpLedgerInit;
use sim_ledgers::ids::{CYCLES_LEDGER, CYCLES_MINTING_CANISTER, ICP_LEDGER};
use std::path::{Path, PathBuf};

/// The environment variable naming the directory of the stand-ins' wasm files.
pub const WASM_DIR_VAR: &str = "IC_SIM_SYSTEM_CANISTERS";

/// ICP the anonymous principal holds at start: one billion ICP, in e8s.
pub const ANONYMOUS_ICP_E8S: u64 = 1_000_000_000 * 100_000_000;

/// Cycles the anonymous principal holds on the cycles ledger at start: 10^18 T cycles, backed by
/// the cycles ledger's own balance.
pub const ANONYMOUS_CYCLES: u128 = 1_000_000_000_000_000_000_000_000_000_000;

/// Cycles each stand-in gets for its own execution (the cycles ledger and the CMC get
/// [`ANONYMOUS_CYCLES`] on top: the balances they hand out).
const OPERATING_CYCLES: u128 = 1_000_000_000_000_000;

/// One stand-in: its package (`<package>.wasm`), id, cycles and init argument.
struct SystemCanister {
    package: &'static str,
    id: Principal,
    cycles: u128,
    init: Vec<u8>,
}

/// Where the stand-ins' wasm files are: `$IC_SIM_SYSTEM_CANISTERS`, else `target/canisters` next
/// to this executable's directory (`target/debug/../canisters`).
pub fn wasm_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(WASM_DIR_VAR) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    exe_dir.join("..").join("canisters")
}

/// Installs the three stand-ins from `dir` at their ids, with the anonymous principal funded.
pub fn install(sim: &mut Sim, dir: &Path) -> std::io::Result<()> {
    let anonymous = Account {
        owner: Principal::anonymous(),
        subaccount: None,
    };
    let subnet = sim.subnet_id();
    let encode = |result: candid::Result<Vec<u8>>| result.expect("init arguments encode");
    let canisters = [
        SystemCanister {
            package: "sim-icp-ledger",
            id: ICP_LEDGER,
            cycles: OPERATING_CYCLES,
            init: encode(Encode!(&IcpLedgerInit {
                initial_balances: vec![(anonymous, ANONYMOUS_ICP_E8S)],
            })),
        },
        SystemCanister {
            package: "sim-cycles-ledger",
            id: CYCLES_LEDGER,
            cycles: OPERATING_CYCLES + ANONYMOUS_CYCLES,
            init: encode(Encode!(&CyclesLedgerInit {
                subnet,
                initial_balances: vec![(anonymous, Nat::from(ANONYMOUS_CYCLES))],
            })),
        },
        SystemCanister {
            package: "sim-cmc",
            id: CYCLES_MINTING_CANISTER,
            cycles: OPERATING_CYCLES + ANONYMOUS_CYCLES,
            init: encode(Encode!(&CmcInit { subnet })),
        },
    ];
    for canister in canisters {
        let path = dir.join(format!("{}.wasm", canister.package));
        let wasm = std::fs::read(&path).map_err(|e| {
            std::io::Error::other(format!(
                "cannot read the {} stand-in's wasm {} ({e}): run scripts/build-canisters.sh, or set {WASM_DIR_VAR} to the directory holding it",
                canister.package,
                path.display()
            ))
        })?;
        let failed = |step: &str, e: ic_sim::UserError| {
            std::io::Error::other(format!(
                "{step} {} at {}: {e}",
                canister.package, canister.id
            ))
        };
        sim.try_create_canister(None, None, Some(canister.cycles), Some(canister.id))
            .map_err(|e| failed("creating", e))?;
        sim.install_canister(canister.id, wasm, canister.init, None)
            .map_err(|e| failed("installing", e))?;
    }
    Ok(())
}
