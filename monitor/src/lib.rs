//! hooks-monitor: the sidecar canister that watches a fleet of canisters and invokes their
//! lifecycle hooks reliably.
//!
//! Only [`api`] is public: the Candid types of the endpoints (from `canister-hooks-types`). The
//! rest is the canister's inside, grouped by concern:
//!
//! - `policy/`: pure decisions (validation, triggers, estimates, scheduling, top-ups, what a
//!   sample leads to, who may call what);
//! - `state/`: the stable structures and their byte layouts;
//! - `status_reply/`: reading `canister_status` replies off the Candid wire;
//! - `monitor/`: the monitor's state and operations (registry, polling, delivery, admin,
//!   queries), with no calls or timers;
//! - `driver`: the async steps (status calls, hook calls, top-ups) over the `Platform` seam;
//! - `render/`: `/metrics` and the status page;
//! - `canister/`: endpoints, timers and the ic-cdk platform.

#![warn(missing_docs)]
// Tested without the canister layer, what only the layer calls looks unused.
#![cfg_attr(all(test, not(feature = "canister")), allow(dead_code))]

pub mod api;
#[cfg(feature = "canister")]
mod canister;
// Without the canister layer (a native user of the API) the inside is not compiled.
#[cfg(any(feature = "canister", test))]
mod driver;
#[cfg(any(feature = "canister", test))]
mod monitor;
#[cfg(any(feature = "canister", test))]
mod policy;
#[cfg(any(feature = "canister", test))]
mod render;
#[cfg(any(feature = "canister", test))]
mod state;
#[cfg(any(feature = "canister", test))]
mod status_reply;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

/// The generated Candid service description (`__export_service`, the `candid:service`
/// metadata), with the types named in endpoint signatures in scope.
#[cfg(feature = "canister")]
mod service {
    #[allow(unused_imports)]
    use crate::api::*;
    #[allow(unused_imports)]
    use candid::Principal;
    #[allow(unused_imports)]
    use ic_management_canister_types::{HttpRequestResult, TransformArgs};
    #[allow(unused_imports)]
    use serde_bytes::ByteBuf;

    ic_cdk::export_candid!();

    #[cfg(test)]
    mod tests {
        /// `monitor.did` must describe exactly the service the code exports.
        /// Regenerate it with `UPDATE_DID=1 cargo test -p hooks-monitor did_file_matches_code`.
        #[test]
        fn did_file_matches_code() {
            did_check::assert_did_matches!("monitor.did", super::__export_service());
        }

        /// The access table names exactly the methods of the service the canister exports.
        #[test]
        fn the_access_table_lists_every_endpoint() {
            let did = super::__export_service();
            let hooks = crate::policy::exports::service_methods(&did).expect("a service");
            let mut exported: Vec<&str> = hooks.iter().map(String::as_str).collect();
            exported.sort();
            let mut listed: Vec<&str> = crate::policy::access::METHODS
                .iter()
                .map(|(m, _)| *m)
                .collect();
            listed.sort();
            assert_eq!(exported, listed);
        }

        /// Every query the canister exports is for the read policy's readers, but
        /// `http_request`, which follows the page setting: a new query cannot stay public.
        #[test]
        fn every_query_follows_the_read_policy() {
            use crate::policy::access::{access, Access};
            use candid::types::internal::FuncMode;
            use candid_parser::utils::{instantiate_candid, CandidSource};
            let did = super::__export_service();
            let (_, (env, service)) =
                instantiate_candid(CandidSource::Text(&did)).expect("the service parses");
            let methods = env.as_service(&service).expect("a service");
            let queries: Vec<&str> = methods
                .iter()
                .filter(|(_, ty)| env.as_func(ty).unwrap().modes.contains(&FuncMode::Query))
                .map(|(name, _)| name.as_str())
                .collect();
            assert!(queries.len() >= 12, "{queries:?}");
            for method in queries {
                let expected = match method {
                    "http_request" => Access::Anyone,
                    "webhook_transform" => Access::System,
                    "list_webhooks" | "webhook_dead_letters" => Access::Admins,
                    _ => Access::Readers,
                };
                assert_eq!(access(method), Some(expected), "{method}");
            }
        }
    }
}
