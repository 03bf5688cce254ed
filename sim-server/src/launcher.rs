//! icp-cli's network launcher contract (interface 1.x), as `icp network start` drives a launcher
//! named by `ICP_CLI_NETWORK_LAUNCHER_PATH`: it runs the launcher with `--interface-version`,
//! `--state-dir`, `--bind`, `--gateway-port`, `--status-dir` and `--domain`, then waits for
//! `<status-dir>/status.json`. The launcher serves the PocketIC REST API on a free port (the
//! "config port") with one live instance, and that instance's HTTP gateway on the gateway port:
//! canisters' pages at `<canister id>.localhost:<port>` (`http_gateway`) and the HTTPS interface
//! at the root (`/api/v2/status`, `/api/v4/canister/<id>/call`, ...), as PocketIC's gateway does.
//! The instance starts with the system canisters icp-cli seeds and creates canisters through
//! (`system_canisters`). It runs until it is killed.

use crate::cli::LaunchOptions;
use crate::http_gateway;
use crate::instances::{follow_wall_clock, Instance};
use crate::lifecycle::IdleTracker;
use crate::routes;
use crate::state::ServerState;
use crate::system_canisters;
use ic_sim::{Sim, SimConfig};
use pocket_ic::common::rest::InstanceId;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// How often the live instance executes a round.
const ROUND_INTERVAL: Duration = Duration::from_millis(10);

/// What the launcher reports in `status.json` (the contract's `LauncherStatus`).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LauncherStatus {
    /// The status format's version.
    pub v: String,
    /// The instance on the config port.
    pub instance_id: InstanceId,
    /// The port of the PocketIC REST API.
    pub config_port: u16,
    /// The port of the HTTPS interface.
    pub gateway_port: u16,
    /// The root key, DER, hex.
    pub root_key: String,
    /// An effective canister id for calls that need one (canister creation).
    pub default_effective_canister_id: String,
    /// Optional features the network has (none: no NNS, no II, no Candid UI of our own).
    pub supported_features: Vec<String>,
}

/// Serves until the process is killed.
pub async fn launch(options: LaunchOptions) -> std::io::Result<()> {
    let bind = options.bind.as_str();
    let config_listener = tokio::net::TcpListener::bind((bind, 0)).await?;
    let gateway_listener = tokio::net::TcpListener::bind((bind, options.gateway_port)).await?;
    let state = ServerState::new(IdleTracker::new());
    let mut sim = Sim::new(SimConfig::default());
    system_canisters::install(&mut sim, &system_canisters::wasm_dir())?;
    let root_key = hex::encode(sim.root_key());
    let default_effective_canister_id = sim.application_range().0.to_text();
    let instance = Instance::new(sim);
    instance.start_progress(ROUND_INTERVAL);
    instance
        .run(follow_wall_clock)
        .await
        .map_err(|e| std::io::Error::other(e.message().to_string()))?;
    let status = LauncherStatus {
        v: "1".to_string(),
        instance_id: state.instances.add(instance),
        config_port: config_listener.local_addr()?.port(),
        gateway_port: gateway_listener.local_addr()?.port(),
        root_key,
        default_effective_canister_id,
        supported_features: Vec::new(),
    };
    let instance_id = status.instance_id;
    let rest = routes::router(state.clone());
    let gateway = http_gateway::router(state, rest.clone(), instance_id);
    write_status(&options.status_dir, &status)?;
    tokio::try_join!(async { axum::serve(config_listener, rest).await }, async {
        axum::serve(gateway_listener, gateway).await
    },)?;
    Ok(())
}

/// Writes `status.json` as one line ending in a newline, in one write: icp-cli watches for the
/// file's creation and accepts its content only once it ends with `\n`.
fn write_status(dir: &Path, status: &LauncherStatus) -> std::io::Result<()> {
    let mut text = serde_json::to_string(status).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(dir.join("status.json"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_file_has_the_contracts_fields() {
        let dir = std::env::temp_dir().join(format!("ic-sim-launcher-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = LauncherStatus {
            v: "1".into(),
            instance_id: 0,
            config_port: 4943,
            gateway_port: 8000,
            root_key: "30".into(),
            default_effective_canister_id: "lxzze-o7777-77777-aaaaa-cai".into(),
            supported_features: vec![],
        };
        write_status(&dir, &status).unwrap();
        let text = std::fs::read_to_string(dir.join("status.json")).unwrap();
        assert_eq!(
            text,
            r#"{"v":"1","instance_id":0,"config_port":4943,"gateway_port":8000,"root_key":"30","default_effective_canister_id":"lxzze-o7777-77777-aaaaa-cai","supported_features":[]}"#.to_owned() + "\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
