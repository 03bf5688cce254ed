//! hooks-monitor: the sidecar canister that watches a fleet of canisters and invokes their
//! lifecycle hooks reliably.
//!
//! Policy lives in plain modules tested natively; [`canister`] only wires calls, timers and
//! stable memory.

pub mod api;
pub mod backoff;
pub mod calls;
#[cfg(feature = "canister")]
pub mod canister;
pub mod codec;
pub mod config;
pub mod driver;
pub mod estimate;
pub mod eventlog;
pub mod http;
pub mod metrics;
pub mod monitor;
pub mod outbox;
pub mod registry;
pub mod sample;
pub mod scheduler;
pub mod slots;
pub mod status_reply;
pub mod store;
pub mod topup;
pub mod triggers;
pub mod validation;
pub mod watch;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

// Types named in endpoint signatures, in scope for the generated Candid service description.
#[cfg(feature = "canister")]
#[allow(unused_imports)]
use {
    api::*,
    candid::Principal,
    canister::InitArgs,
    canister_hooks::events::ErrorReport,
    http::{HttpRequest, HttpResponse},
};

#[cfg(feature = "canister")]
ic_cdk::export_candid!();

#[cfg(all(test, feature = "canister"))]
mod did_test {
    /// `monitor.did` must describe exactly the service the code exports.
    /// Regenerate it with `UPDATE_DID=1 cargo test -p hooks-monitor did_file_matches_code`.
    #[test]
    fn did_file_matches_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/monitor.did");
        let generated = super::__export_service();
        if std::env::var_os("UPDATE_DID").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let file = std::fs::read_to_string(path).expect("monitor.did is checked in");
        candid_parser::utils::service_equal(
            candid_parser::utils::CandidSource::Text(&file),
            candid_parser::utils::CandidSource::Text(&generated),
        )
        .unwrap_or_else(|e| {
            panic!("monitor.did differs from the code: {e}\n--- generated ---\n{generated}")
        });
    }
}
