//! The system canisters of icp-cli's local network, as ic-sim's stand-ins (the wasm of the
//! `system-canisters/` crates, listed by `sim_ledgers::network`): the ICP ledger, the cycles
//! ledger and the cycles minting canister, installed at their mainnet ids with the anonymous
//! principal pre-funded.

use ic_sim::Sim;
use sim_ledgers::network::stand_ins;
use std::path::{Path, PathBuf};

/// The environment variable naming the directory of the stand-ins' wasm files.
pub const WASM_DIR_VAR: &str = "IC_SIM_SYSTEM_CANISTERS";

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

/// Installs the stand-ins from `dir` at their ids; an error naming the missing file (and how to
/// build it) or the step that failed.
pub fn install(sim: &mut Sim, dir: &Path) -> std::io::Result<()> {
    for canister in stand_ins(sim.subnet_id()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_wasm_says_how_to_build_it() {
        let mut sim = Sim::default();
        let empty =
            std::env::temp_dir().join(format!("ic-sim-no-canisters-{}", std::process::id()));
        let error = install(&mut sim, &empty).unwrap_err().to_string();
        assert!(error.contains("sim-icp-ledger"), "{error}");
        assert!(error.contains("scripts/build-canisters.sh"), "{error}");
        assert!(!sim.canister_exists(sim_ledgers::ids::ICP_LEDGER));
    }
}
