//! The methods monitor.did declares, so that a test going through every method of a kind fails
//! when a new one appears that it does not know.

use candid::types::internal::{FuncMode, Function};
use candid::TypeEnv;
use candid_parser::utils::{instantiate_candid, CandidSource};

/// The query methods (`queries`) or the update methods of monitor.did, with the type
/// environment of their arguments.
pub fn methods(queries: bool) -> (TypeEnv, Vec<(String, Function)>) {
    let path = crate::workspace_root().join("monitor/monitor.did");
    let (_, (env, service)) =
        instantiate_candid(CandidSource::File(&path)).expect("monitor.did parses");
    let methods = env
        .as_service(&service)
        .expect("monitor.did declares a service")
        .iter()
        .map(|(name, ty)| (name.clone(), env.as_func(ty).expect("a method").clone()))
        .filter(|(_, f)| {
            let query = f
                .modes
                .iter()
                .any(|m| matches!(m, FuncMode::Query | FuncMode::CompositeQuery));
            query == queries
        })
        .collect();
    (env, methods)
}
