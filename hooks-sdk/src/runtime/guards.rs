//! Guards for `#[ic_cdk::update(guard = ...)]`/`#[ic_cdk::query(guard = ...)]` (readiness,
//! maintenance, hook callers), the `inspect_message` helper, and the SDK's own query and admin bodies.

use candid::Principal;

use crate::access;
use crate::runtime::readiness::{is_ready, not_ready_message};
use crate::runtime::state::with_store;
use crate::runtime::{call, heartbeat, timers};
use crate::types::{AdminError, ErrorRecord, HooksStatus};

/// Guard: rejects (code 4) with the initializing message until every post-init step is done.
pub fn guard_ready() -> Result<(), String> {
    if is_ready() {
        Ok(())
    } else {
        Err(not_ready_message())
    }
}

/// Guard for updates: rejects (code 4) with "in maintenance until …: reason" while the canister
/// is in maintenance. Leave it off the updates that must keep working (and list those in
/// [`crate::inspect_message_allowing`]); do not put it on queries, which keep serving.
pub fn guard_not_in_maintenance() -> Result<(), String> {
    with_store(|s| match s.maintenance() {
        Some(m) => Err(m.message(ic_cdk::api::time())),
        None => Ok(()),
    })
}

/// Guard for updates: [`guard_ready`], then [`guard_not_in_maintenance`].
pub fn guard_ready_and_not_in_maintenance() -> Result<(), String> {
    guard_ready()?;
    guard_not_in_maintenance()
}

/// Guard for the hook endpoints: only the configured monitor(s) or the canister itself.
pub fn guard_hook_caller() -> Result<(), String> {
    let monitors = with_store(|s| s.config().monitors.clone());
    access::check_hook_caller(
        ic_cdk::api::msg_caller(),
        ic_cdk::api::canister_self(),
        &monitors,
    )
}

/// Call from `#[ic_cdk::inspect_message]`: accepts allowed ingress, traps with the reason otherwise.
///
/// Before readiness only the SDK's queries, the controller-only monitor setter and the methods
/// in `ungated` are accepted; hook endpoints accept ingress only from a configured monitor, the
/// maintenance endpoints from a monitor or a controller; in maintenance every other update is
/// refused (see [`inspect_message_allowing`] to keep some open). The method guards remain the
/// authority.
pub fn inspect_message(ungated: &[&str]) {
    inspect_message_allowing(ungated, &[]);
}

/// [`inspect_message`], keeping the updates in `open_in_maintenance` open in maintenance (the
/// ones without the maintenance guard).
pub fn inspect_message_allowing(ungated: &[&str], open_in_maintenance: &[&str]) {
    let method = ic_cdk::api::msg_method_name();
    let caller = ic_cdk::api::msg_caller();
    let verdict = with_store(|s| {
        let facts = access::IngressFacts {
            method: &method,
            ready: is_ready(),
            caller_is_controller: ic_cdk::api::is_controller(&caller),
            caller_is_monitor: s.config().monitors.contains(&caller),
            maintenance: s.maintenance(),
            now_ns: ic_cdk::api::time(),
        };
        access::inspect_ingress(facts, ungated, open_in_maintenance, not_ready_message)
    });
    match verdict {
        Ok(()) => ic_cdk::api::accept_message(),
        Err(reason) => ic_cdk::trap(reason),
    }
}

/// Body of `hooks_recent_errors`: the error log, newest first.
#[doc(hidden)]
pub fn recent_errors() -> Vec<ErrorRecord> {
    with_store(|s| s.errors.recent(usize::MAX))
}

/// Body of `hooks_status`.
#[doc(hidden)]
pub fn status() -> HooksStatus {
    let (calls_in_flight, one_way_calls_sent) = call::report();
    with_store(|s| {
        let c = s.config();
        HooksStatus {
            sdk_version: env!("CARGO_PKG_VERSION").to_string(),
            ready: is_ready(),
            monitors: c.monitors.clone(),
            errors_logged: s.errors.len(),
            events_remembered: s.seen.len(),
            hooks_handled: c.hooks_handled,
            duplicates_dropped: c.duplicates_dropped,
            timers_scheduled: timers::scheduled_count() as u64,
            heartbeat_in_flight: heartbeat::in_flight(),
            calls_in_flight,
            one_way_calls_sent,
            maintenance: s.maintenance().cloned(),
        }
    })
}

/// Body of `hooks_set_monitors`: controllers only.
#[doc(hidden)]
pub fn set_monitors(monitors: Vec<Principal>) -> Result<(), AdminError> {
    let caller = ic_cdk::api::msg_caller();
    if !ic_cdk::api::is_controller(&caller) {
        return Err(AdminError::NotController { caller });
    }
    with_store(|s| s.set_monitors(monitors))
}
