//! `ic-sim-server`: serves the PocketIC REST protocol (as the `pocket-ic` 16.x client speaks it)
//! on top of the `ic-sim` engine, so ordinary `pocket-ic` tests run against the emulator, with each
//! instance's IC HTTPS interface for agents (`https`) and HTTP gateways serving canisters' web
//! pages (`http_gateway`), and can act as icp-cli's network launcher
//! (`launcher`). Each request becomes a call on the engine's public API.

mod blobs;
mod canister_http;
pub mod cli;
mod convert;
mod error;
mod http_gateway;
mod https;
mod instances;
pub mod launcher;
mod lifecycle;
mod live_gateways;
mod routes;
mod snapshot_dir;
mod state;
pub mod system_canisters;

use lifecycle::{IdleTracker, PortFile};
use state::ServerState;
use std::time::{Duration, Instant};

/// Serves until the server has been idle for the TTL (or the hard TTL passes). Returns
/// immediately when the port file already exists: another server owns it.
pub async fn serve(options: cli::ServeOptions) -> std::io::Result<()> {
    let mut port_file = match &options.port_file {
        Some(path) => match PortFile::claim(path)? {
            Some(file) => Some(file),
            None => return Ok(()),
        },
        None => None,
    };
    let listener = tokio::net::TcpListener::bind((options.ip_addr.as_str(), options.port)).await?;
    let port = listener.local_addr()?.port();
    let idle = IdleTracker::new();
    let state = ServerState::new(idle.clone());
    match port_file.as_mut() {
        Some(file) => file.publish(port)?,
        None => println!("ic-sim-server listening on {}:{port}", options.ip_addr),
    }
    let started = Instant::now();
    let shutdown = async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let hard_expired = options.hard_ttl.is_some_and(|ttl| started.elapsed() >= ttl);
            if hard_expired || idle.is_idle_for(options.ttl) {
                return;
            }
        }
    };
    let app = http_gateway::listeners::with_listeners(state.clone(), routes::router(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    drop(port_file);
    Ok(())
}
