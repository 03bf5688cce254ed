//! Maintenance mode in the canister: the endpoints that enter and leave it (monitors,
//! controllers and the canister itself only), and the `http_request` helper (the update guards
//! are in `guards`).
//! The mode lives in the SDK's stable store, so it survives upgrades.

use crate::maintenance::{self, UnavailableResponse};
use crate::runtime::state::with_store;
use crate::types::{Maintenance, MaintenanceError};

/// The maintenance the canister is in, if any.
pub fn current() -> Option<Maintenance> {
    with_store(|s| s.maintenance().cloned())
}

/// For `http_request`: while in maintenance, the 503 answer (with `Retry-After` and a small
/// page) to return instead of serving; `None` otherwise.
pub fn http_unavailable() -> Option<UnavailableResponse> {
    with_store(|s| {
        s.maintenance()
            .map(|m| maintenance::unavailable(m, ic_cdk::api::time()))
    })
}

/// Whether the caller may change the mode: a monitor, a controller or the canister itself.
fn caller_may_manage() -> (candid::Principal, bool) {
    let caller = ic_cdk::api::msg_caller();
    let may = caller == ic_cdk::api::canister_self()
        || ic_cdk::api::is_controller(&caller)
        || with_store(|s| s.config().monitors.contains(&caller));
    (caller, may)
}

/// Body of `hooks_enter_maintenance`: enters (or replaces) the maintenance.
#[doc(hidden)]
pub fn enter(reason: String, until_ns: u64) -> Result<Maintenance, MaintenanceError> {
    let (caller, may_manage) = caller_may_manage();
    let mode = maintenance::enter(caller, may_manage, reason, until_ns, ic_cdk::api::time())?;
    with_store(|s| s.set_maintenance(Some(mode.clone())));
    Ok(mode)
}

/// Body of `hooks_leave_maintenance`: leaves maintenance; returns the one that ended, if any.
#[doc(hidden)]
pub fn leave() -> Result<Option<Maintenance>, MaintenanceError> {
    let (caller, may_manage) = caller_may_manage();
    maintenance::check_manager(caller, may_manage)?;
    let ended = current();
    with_store(|s| s.set_maintenance(None));
    Ok(ended)
}
