//! The example canisters' clients (`examples/{load,worker,gated}`), their init arguments, and
//! installing them. Types come from the example crates, built without their canister layer.

use crate::client::Client;
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
    /// `burn_cycles`: returns the cycles burned.
    pub fn burn_cycles(&self, amount: u128) -> Result<u128, RejectResponse> {
        self.update("burn_cycles", (amount,))
    }

    /// `grow_heap`: returns the heap ballast size.
    pub fn grow_heap(&self, bytes: u64) -> Result<Result<u64, String>, RejectResponse> {
        self.update("grow_heap", (bytes,))
    }

    /// `grow_stable`: returns the stable bytes grown.
    pub fn grow_stable(&self, bytes: u64) -> Result<Result<u64, String>, RejectResponse> {
        self.update("grow_stable", (bytes,))
    }

    /// `serve`: a client's request; returns the requests served so far.
    pub fn serve(&self) -> Result<u64, RejectResponse> {
        self.update("serve", ())
    }

    /// `set_hook_mode`.
    pub fn set_hook_mode(&self, mode: HookMode) -> Result<(), RejectResponse> {
        self.update_unit("set_hook_mode", (mode,))
    }

    /// `load_status`.
    pub fn load_status(&self) -> Result<LoadStatus, RejectResponse> {
        self.query("load_status", ())
    }

    /// Every hook event the canister handled, oldest first, with its key (`received`, paged).
    pub fn received(&self) -> Result<Vec<(u64, Received)>, RejectResponse> {
        let mut all: Vec<(u64, Received)> = vec![];
        loop {
            let after = all.last().map(|(key, _)| *key);
            let page: Vec<(u64, Received)> = self.query("received", (after,))?;
            if page.is_empty() {
                return Ok(all);
            }
            all.extend(page);
        }
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
    /// `submit`: queues jobs; returns their keys.
    pub fn submit(&self, values: Vec<u64>) -> Result<Vec<u64>, RejectResponse> {
        self.update("submit", (values,))
    }

    /// `discard`: drops a queued job.
    pub fn discard(&self, key: u64) -> Result<bool, RejectResponse> {
        self.update("discard", (key,))
    }

    /// `stats`.
    pub fn stats(&self) -> Result<WorkerStats, RejectResponse> {
        self.query("stats", ())
    }
}

impl<I: Ic> Client<'_, I, Gated> {
    /// `greet`.
    pub fn greet(&self, name: &str) -> Result<String, RejectResponse> {
        self.query("greet", (name,))
    }

    /// `state_view`.
    pub fn state_view(&self) -> Result<GatedState, RejectResponse> {
        self.query("state_view", ())
    }
}
