//! The example canisters' clients (`examples/{load,worker,gated}`), their init arguments, and
//! installing them. Types come from the example crates, built without their canister layer.

use crate::client::{candid_methods, read_all_pages, Client};
use crate::ic::Ic;
use crate::monitor::HookEvent;
use crate::sdk::WithHooks;
use candid::Principal;
use pocket_ic::RejectResponse;

pub use example_gated::{GatedInit, State as GatedState};
pub use example_load::{HookMode, LoadInit, LoadStatus, Received, ReleaseFault};
pub use example_worker::{WorkerConfig, WorkerInit, WorkerStats};

/// The `example-load` canister, for [`Client`].
pub struct Load;
/// The `example-worker` canister, for [`Client`].
pub struct Worker;
/// The `example-gated` canister, for [`Client`].
pub struct Gated;
impl WithHooks for Load {}
impl WithHooks for Worker {}
impl WithHooks for Gated {}

/// Calls to a load canister.
pub type LoadClient<'a, I> = Client<'a, I, Load>;
/// Calls to a worker canister.
pub type WorkerClient<'a, I> = Client<'a, I, Worker>;
/// Calls to a gated canister.
pub type GatedClient<'a, I> = Client<'a, I, Gated>;

/// The load canister's install argument (`opt LoadInit`), its hooks callable by `monitor`.
pub fn load_init(monitor: Option<Principal>) -> Vec<u8> {
    load_release(monitor, None)
}

/// The load canister's install or upgrade argument for a release with `fault`.
pub fn load_release(monitor: Option<Principal>, fault: Option<ReleaseFault>) -> Vec<u8> {
    candid::encode_one(Some(LoadInit { monitor, fault })).expect("LoadInit encodes")
}

/// The worker's install argument, its hooks callable by `monitor`.
pub fn worker_init(monitor: Option<Principal>, greeting: Option<String>) -> Vec<u8> {
    candid::encode_one(WorkerInit { monitor, greeting }).expect("WorkerInit encodes")
}

/// The gated canister's install argument: its configuration fetched from `config_source`.
pub fn gated_init(config_source: Principal, monitor: Option<Principal>) -> Vec<u8> {
    candid::encode_one(GatedInit {
        config_source,
        monitor,
    })
    .expect("GatedInit encodes")
}

impl<I: Ic> Client<'_, I, Load> {
    candid_methods! {
        /// `burn_cycles`: returns the cycles burned.
        update burn_cycles(amount: u128) -> u128;
        /// `grow_heap`: returns the heap ballast size.
        update grow_heap(bytes: u64) -> Result<u64, String>;
        /// `grow_stable`: returns the stable bytes grown.
        update grow_stable(bytes: u64) -> Result<u64, String>;
        /// `serve`: a client's request; returns the requests served so far.
        update serve() -> u64;
        /// `set_hook_mode`.
        update_unit set_hook_mode(mode: HookMode) -> ();
        /// `load_status`.
        query load_status() -> LoadStatus;
    }

    /// Every hook event the canister handled, oldest first, with its key (`received`, paged).
    pub fn received(&self) -> Result<Vec<(u64, Received)>, RejectResponse> {
        read_all_pages(|after: Option<u64>| {
            let page: Vec<(u64, Received)> = self.query("received", (after,))?;
            let next = page.last().map(|(key, _)| *key);
            Ok((page, next))
        })
    }

    /// Every hook event the canister handled, oldest first, as the monitor's [`HookEvent`]s.
    pub fn received_events(&self) -> Result<Vec<HookEvent>, RejectResponse> {
        Ok(self
            .received()?
            .into_iter()
            .map(|(_, received)| match received {
                Received::LowCycles(e) => HookEvent::LowCycles(e),
                Received::LowMemory(e) => HookEvent::LowMemory(e),
                Received::Error(e) => HookEvent::Error(e),
            })
            .collect())
    }
}

impl<I: Ic> Client<'_, I, Worker> {
    candid_methods! {
        /// `submit`: queues jobs; returns their keys.
        update submit(values: Vec<u64>) -> Vec<u64>;
        /// `discard`: drops a queued job.
        update discard(key: u64) -> bool;
        /// `stats`.
        query stats() -> WorkerStats;
    }
}

impl<I: Ic> Client<'_, I, Gated> {
    candid_methods! {
        /// `greet`.
        query greet(name: &str) -> String;
        /// `state_view`.
        query state_view() -> GatedState;
    }
}
