//! Watching without control and catching unexpected changes, as pure rules: the access a status
//! reply shows, when a lost access raises its one fault event, which changes of code or
//! controllers raise an event (none while the monitor's own pipeline runs, none that an admin
//! expected), who made a change per `canister_info`, and what the events say.

use crate::api::{
    ErrorEvent, ErrorSource, EventOrigin, ExpectChangeArgs, ExpectChangeError, ExpectedChange,
    HookEvent, WatchAccess, NS,
};
use crate::policy::call_error::{CallError, CANISTER_ERROR};
use crate::policy::pipeline::hex;
use crate::state::watch_extension::WatchExtension;
use crate::status_reply::identity::Identity;
use candid::Principal;
use canister_hooks_types::text::truncate;
use ic_management_canister_types::{CanisterInfoResult, ChangeDetails, ChangeOrigin};
use std::collections::BTreeSet;

/// Fault name of a status read refused after it was allowed.
pub const STATUS_ACCESS_LOST: &str = "status_access_lost";
/// Event name of a module hash change.
pub const MODULE_HASH_CHANGED: &str = "module_hash_changed";
/// Event name of a controllers change.
pub const CONTROLLERS_CHANGED: &str = "controllers_changed";
/// Longest an expectation may hold, seconds (30 days).
pub const MAX_EXPECTATION_SECONDS: u64 = 30 * 86_400;
/// How long the monitor's own upgrade or restore expects the change it made, seconds.
pub const PIPELINE_EXPECTATION_SECONDS: u64 = 86_400;
/// Changes of `canister_info`'s history asked for to find who made a change.
pub const HISTORY_CHANGES: u64 = 10;

/// The access the controllers of a readable canister give `monitor`.
pub fn access_from(controllers: &[Principal], monitor: Principal) -> WatchAccess {
    if controllers.contains(&monitor) {
        WatchAccess::Controller
    } else {
        WatchAccess::StatusViewer
    }
}

/// True when a failed `canister_status` says the monitor may not read it (rather than that the
/// subnet was busy or the canister is gone): a definite rejection by the management canister.
pub fn is_access_refusal(err: &CallError) -> bool {
    err.reject_code == Some(CANISTER_ERROR) && !err.transient
}

/// The access after a refused status read, and whether to raise the one `status_access_lost`
/// fault: only when the status was readable before (`had_sample` covers records kept before the
/// access was recorded).
pub fn after_refusal(access: WatchAccess, had_sample: bool) -> (WatchAccess, bool) {
    match access {
        WatchAccess::Controller | WatchAccess::StatusViewer => (WatchAccess::Lost, true),
        WatchAccess::Unknown if had_sample => (WatchAccess::Lost, true),
        other => (other, false),
    }
}

/// Which recorded digests a sample's identity differs from (none before a baseline exists).
pub fn differences(ext: &WatchExtension, identity: &Identity) -> (bool, bool) {
    if !ext.recorded {
        return (false, false);
    }
    (
        ext.module_digest != identity.module_digest(),
        ext.controllers_digest != identity.controllers_digest(),
    )
}

/// A change of a canister's code or controllers, before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Module {
        before: Option<Vec<u8>>,
        after: Option<Vec<u8>>,
    },
    Controllers {
        before: Vec<Principal>,
        after: Vec<Principal>,
    },
}

fn set(ps: &[Principal]) -> BTreeSet<Principal> {
    ps.iter().copied().collect()
}

impl Change {
    /// The event's `System` name.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Module { .. } => MODULE_HASH_CHANGED,
            Change::Controllers { .. } => CONTROLLERS_CHANGED,
        }
    }

    /// "before to after", in hex or principals.
    fn describe(&self) -> String {
        let module = |h: &Option<Vec<u8>>| h.clone().map_or("none (no code)".into(), hex);
        let principals = |ps: &[Principal]| {
            let list: Vec<String> = ps.iter().map(Principal::to_text).collect();
            format!("[{}]", list.join(", "))
        };
        match self {
            Change::Module { before, after } => format!(
                "module hash changed from {} to {}",
                module(before),
                module(after)
            ),
            Change::Controllers { before, after } => format!(
                "controllers changed from {} to {}",
                principals(before),
                principals(after)
            ),
        }
    }

    /// True when the history entry `details` made this change.
    fn made_by(&self, details: &ChangeDetails) -> bool {
        match (self, details) {
            (Change::Module { after: Some(h), .. }, ChangeDetails::CodeDeployment(d)) => {
                d.module_hash == *h
            }
            (Change::Module { after: Some(_), .. }, ChangeDetails::LoadSnapshot(_)) => true,
            (Change::Module { after: None, .. }, ChangeDetails::CodeUninstall) => true,
            (Change::Controllers { after, .. }, ChangeDetails::ControllersChange(c)) => {
                set(&c.controllers) == set(after)
            }
            (Change::Controllers { after, .. }, ChangeDetails::Creation(c)) => {
                set(&c.controllers) == set(after)
            }
            _ => false,
        }
    }
}

/// The changes that raise an event, and what is left of the expectation. While a pipeline of
/// the monitor runs on the canister nothing raises one (the pipeline made the change). An
/// unexpired expectation covers a module change to its hash (or any, for a restore) and a
/// controllers change to its set; each part covers one change.
pub fn unexpected(
    changes: Vec<Change>,
    expected: Option<ExpectedChange>,
    pipeline_running: bool,
    now_ns: u64,
) -> (Vec<Change>, Option<ExpectedChange>) {
    if pipeline_running {
        return (vec![], expected);
    }
    let Some(mut e) = expected.filter(|e| e.until_ns >= now_ns) else {
        return (changes, None);
    };
    let mut raised = vec![];
    for change in changes {
        let covered = match &change {
            Change::Module { after, .. } => {
                let hit = e.any_module
                    || (after.is_some()
                        && e.module_hash.as_ref().map(|h| h.as_slice()) == after.as_deref());
                if hit {
                    e.any_module = false;
                    e.module_hash = None;
                }
                hit
            }
            Change::Controllers { after, .. } => {
                let hit = e.controllers.as_deref().map(set) == Some(set(after));
                if hit {
                    e.controllers = None;
                }
                hit
            }
        };
        if !covered {
            raised.push(change);
        }
    }
    let left = (e.any_module || e.module_hash.is_some() || e.controllers.is_some()).then_some(e);
    (raised, left)
}

/// Who made `change`, from `canister_info`'s recent history: the origin of the latest entry
/// that made it, with its index in the canister's history.
pub fn attribution(change: &Change, info: &CanisterInfoResult) -> Option<String> {
    let first_index = info
        .total_num_changes
        .saturating_sub(info.recent_changes.len() as u64);
    info.recent_changes
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| c.details.as_ref().is_some_and(|d| change.made_by(d)))
        .map(|(i, c)| {
            let origin = match &c.origin {
                ChangeOrigin::FromUser(u) => format!("user {}", u.user_id),
                ChangeOrigin::FromCanister(c) => format!("canister {}", c.canister_id),
            };
            format!("by {origin} (change {})", first_index + i as u64)
        })
}

/// The event of `change`, with who made it when known; its message at most `max_bytes`.
pub fn change_event(
    change: &Change,
    who: Option<&str>,
    monitor: Principal,
    now_ns: u64,
    max_bytes: usize,
) -> HookEvent {
    let who = who.unwrap_or("by whom is unknown (canister_info's history does not say)");
    let message = format!(
        "{} {who}, outside an operation of this monitor and not expected",
        change.describe()
    );
    HookEvent::Error(ErrorEvent {
        id: 0,
        origin: EventOrigin::Monitor(monitor),
        source: ErrorSource::System(change.name().into()),
        message: truncate(&message, max_bytes).to_string(),
        reject_code: None,
        time_ns: now_ns,
        count: 1,
    })
}

/// The one fault event of a lost status access.
pub fn access_lost_event(
    before: WatchAccess,
    err: &CallError,
    monitor: Principal,
    now_ns: u64,
) -> HookEvent {
    HookEvent::Error(ErrorEvent {
        id: 0,
        origin: EventOrigin::Monitor(monitor),
        source: ErrorSource::System(STATUS_ACCESS_LOST.into()),
        message: format!(
            "the monitor may no longer read the canister's status (it was {}): {}; {}",
            before.name(),
            err.describe(),
            err.status_fix(&monitor.to_text())
        ),
        reject_code: err.reject_code,
        time_ns: now_ns,
        count: 1,
    })
}

/// The expectation `args` describe, from `now_ns`; each bad field named.
pub fn expectation(
    args: &ExpectChangeArgs,
    now_ns: u64,
) -> Result<ExpectedChange, ExpectChangeError> {
    let invalid = |field: &str, reason: String| ExpectChangeError::Invalid {
        field: field.into(),
        reason,
    };
    if args.module_hash.is_none() && args.controllers.is_none() {
        return Err(invalid(
            "module_hash",
            "give module_hash, controllers or both: nothing would be expected".into(),
        ));
    }
    if let Some(h) = &args.module_hash {
        if h.len() != 32 {
            return Err(invalid(
                "module_hash",
                format!("a module hash is 32 bytes (SHA-256), not {}", h.len()),
            ));
        }
    }
    if let Some(c) = &args.controllers {
        if c.len() > 10 {
            return Err(invalid(
                "controllers",
                format!("a canister has at most 10 controllers, not {}", c.len()),
            ));
        }
    }
    if args.within_seconds == 0 || args.within_seconds > MAX_EXPECTATION_SECONDS {
        return Err(invalid(
            "within_seconds",
            format!(
                "{} is out of range; use 1 to {MAX_EXPECTATION_SECONDS}",
                args.within_seconds
            ),
        ));
    }
    Ok(ExpectedChange {
        module_hash: args.module_hash.clone(),
        controllers: args.controllers.clone(),
        any_module: false,
        until_ns: now_ns.saturating_add(args.within_seconds.saturating_mul(NS)),
    })
}

#[cfg(test)]
mod tests;
