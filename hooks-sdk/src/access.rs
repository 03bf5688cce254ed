//! Who may call what: the hook endpoints' caller rule and the `inspect_message` decision.
//!
//! Pure functions of the caller, the configured monitors, the readiness flag and the maintenance
//! mode; the canister layer feeds them from the IC.

use candid::Principal;

use crate::events::endpoint;
use crate::maintenance;
use crate::types::Maintenance;

/// Prefix of the SDK's internal executor methods (self-calls only).
pub const INTERNAL_PREFIX: &str = "<canister-hooks>";

/// Name of the never-gated readiness query.
pub const READINESS_QUERY: &str = "hooks_readiness";
/// Name of the error-log query.
pub const RECENT_ERRORS_QUERY: &str = "hooks_recent_errors";
/// Name of the status query.
pub const STATUS_QUERY: &str = "hooks_status";
/// Name of the controller-only update that sets the monitors.
pub const SET_MONITORS_UPDATE: &str = "hooks_set_monitors";
/// Name of the update that enters maintenance (monitors and controllers).
pub const ENTER_MAINTENANCE_UPDATE: &str = "hooks_enter_maintenance";
/// Name of the update that leaves maintenance (monitors and controllers).
pub const LEAVE_MAINTENANCE_UPDATE: &str = "hooks_leave_maintenance";

/// Whether `method` is one of the three hook endpoints.
pub fn is_hook_endpoint(method: &str) -> bool {
    matches!(
        method,
        endpoint::ON_LOW_CYCLES | endpoint::ON_LOW_MEMORY | endpoint::ON_ERROR
    )
}

/// Allows a hook endpoint call from a configured monitor or the canister itself.
pub fn check_hook_caller(
    caller: Principal,
    canister: Principal,
    monitors: &[Principal],
) -> Result<(), String> {
    if caller == canister || monitors.contains(&caller) {
        return Ok(());
    }
    let who = if monitors.is_empty() {
        "no monitor is configured, so only the canister itself (set one with hooks_set_monitors)"
            .to_string()
    } else {
        let list: Vec<String> = monitors.iter().map(|p| p.to_text()).collect();
        format!(
            "only the monitor(s) {} or the canister itself",
            list.join(", ")
        )
    };
    Err(format!(
        "caller {caller} may not call hook endpoints: {who} may call them"
    ))
}

/// Facts about an ingress message that [`inspect_ingress`] decides on.
#[derive(Clone, Copy, Debug)]
pub struct IngressFacts<'a> {
    /// The method called.
    pub method: &'a str,
    /// Whether the canister is ready.
    pub ready: bool,
    /// Whether the sender controls the canister.
    pub caller_is_controller: bool,
    /// Whether the sender is a configured monitor.
    pub caller_is_monitor: bool,
    /// The maintenance the canister is in, if any.
    pub maintenance: Option<&'a Maintenance>,
    /// IC time (ns), for the maintenance message.
    pub now_ns: u64,
}

/// Decides whether to accept an ingress update message before it is charged to the canister.
///
/// Hook endpoints accept ingress only from a configured monitor (a monitor may be an operator's
/// identity); internal methods never; the monitor setter needs a controller, the maintenance
/// endpoints a monitor or a controller; in maintenance everything else is refused unless listed
/// in `open_in_maintenance`; then it waits for readiness unless listed in `ungated`.
pub fn inspect_ingress(
    facts: IngressFacts<'_>,
    ungated: &[&str],
    open_in_maintenance: &[&str],
    not_ready_message: impl FnOnce() -> String,
) -> Result<(), String> {
    let method = facts.method;
    if method.starts_with(INTERNAL_PREFIX) {
        return Err(format!("{method} is internal to canister-hooks"));
    }
    if is_hook_endpoint(method) {
        return if facts.caller_is_monitor {
            Ok(())
        } else {
            Err(format!(
                "{method} may only be called by the configured monitor(s) or the canister itself"
            ))
        };
    }
    if method == SET_MONITORS_UPDATE {
        return if facts.caller_is_controller {
            Ok(())
        } else {
            Err(format!("{SET_MONITORS_UPDATE} is for controllers only"))
        };
    }
    if matches!(method, ENTER_MAINTENANCE_UPDATE | LEAVE_MAINTENANCE_UPDATE) {
        return if facts.caller_is_controller || facts.caller_is_monitor {
            Ok(())
        } else {
            Err(format!(
                "{method} is for the monitor(s) and controllers only"
            ))
        };
    }
    if matches!(method, READINESS_QUERY | RECENT_ERRORS_QUERY | STATUS_QUERY) {
        return Ok(());
    }
    maintenance::check_update(facts.maintenance, method, open_in_maintenance, facts.now_ns)?;
    if facts.ready || ungated.contains(&method) {
        return Ok(());
    }
    Err(not_ready_message())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: u8) -> Principal {
        Principal::from_slice(&[b; 10])
    }

    #[test]
    fn monitor_and_self_may_call_hooks_strangers_may_not() {
        let (me, monitor, stranger) = (p(1), p(2), p(3));
        assert!(check_hook_caller(monitor, me, &[monitor]).is_ok());
        assert!(check_hook_caller(me, me, &[monitor]).is_ok());
        let err = check_hook_caller(stranger, me, &[monitor]).unwrap_err();
        assert!(err.contains(&stranger.to_text()), "{err}");
        assert!(
            err.contains(&monitor.to_text()),
            "message says who may call: {err}"
        );
    }

    #[test]
    fn without_monitor_only_self_and_the_message_says_how_to_fix() {
        let err = check_hook_caller(p(3), p(1), &[]).unwrap_err();
        assert!(err.contains("hooks_set_monitors"), "{err}");
        assert!(check_hook_caller(Principal::anonymous(), p(1), &[]).is_err());
    }

    fn facts(method: &str, ready: bool) -> IngressFacts<'_> {
        IngressFacts {
            method,
            ready,
            caller_is_controller: false,
            caller_is_monitor: false,
            maintenance: None,
            now_ns: 0,
        }
    }

    #[test]
    fn ingress_is_gated_until_ready() {
        let msg = || "initializing: step 1/2".to_string();
        assert_eq!(
            inspect_ingress(facts("transfer", false), &[], &[], msg),
            Err("initializing: step 1/2".into())
        );
        assert!(inspect_ingress(facts("transfer", true), &[], &[], msg).is_ok());
        assert!(inspect_ingress(facts("ping", false), &["ping"], &[], msg).is_ok());
        assert!(inspect_ingress(facts(READINESS_QUERY, false), &[], &[], msg).is_ok());
    }

    #[test]
    fn hook_ingress_only_from_a_monitor_internals_never() {
        let msg = String::new;
        let controller = IngressFacts {
            caller_is_controller: true,
            ..facts("on_error", true)
        };
        assert!(inspect_ingress(controller, &[], &[], msg).is_err());
        let monitor = IngressFacts {
            caller_is_monitor: true,
            ..facts("on_error", false)
        };
        assert!(inspect_ingress(monitor, &[], &[], msg).is_ok());
        let internal = IngressFacts {
            caller_is_controller: true,
            caller_is_monitor: true,
            ..facts("<canister-hooks> timer", true)
        };
        assert!(inspect_ingress(internal, &[], &[], msg).is_err());
    }

    #[test]
    fn monitor_setter_needs_a_controller_even_before_ready() {
        let msg = String::new;
        let controller = IngressFacts {
            caller_is_controller: true,
            ..facts(SET_MONITORS_UPDATE, false)
        };
        assert!(inspect_ingress(controller, &[], &[], msg).is_ok());
        assert!(inspect_ingress(facts(SET_MONITORS_UPDATE, true), &[], &[], msg).is_err());
    }

    fn in_maintenance() -> Maintenance {
        Maintenance {
            reason: "upgrade to v2".into(),
            until_ns: 240 * canister_hooks_types::NS,
            since_ns: 0,
            entered_by: p(9),
        }
    }

    #[test]
    fn in_maintenance_ingress_to_updates_is_refused_except_open_and_sdk_methods() {
        let m = in_maintenance();
        let during = |method| IngressFacts {
            maintenance: Some(&m),
            ..facts(method, true)
        };
        let msg = String::new;
        let refused = inspect_ingress(during("transfer"), &["transfer"], &["ping"], msg);
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("upgrade to v2")),
            "ungated is about readiness, not maintenance: {refused:?}"
        );
        assert!(inspect_ingress(during("ping"), &[], &["ping"], msg).is_ok());
        assert!(inspect_ingress(during(STATUS_QUERY), &[], &[], msg).is_ok());
        let monitor = IngressFacts {
            caller_is_monitor: true,
            ..during(LEAVE_MAINTENANCE_UPDATE)
        };
        assert!(inspect_ingress(monitor, &[], &[], msg).is_ok());
        let hook = IngressFacts {
            caller_is_monitor: true,
            ..during("on_error")
        };
        assert!(
            inspect_ingress(hook, &[], &[], msg).is_ok(),
            "hooks still land"
        );
    }

    #[test]
    fn only_monitors_and_controllers_may_send_maintenance_ingress() {
        let msg = String::new;
        for method in [ENTER_MAINTENANCE_UPDATE, LEAVE_MAINTENANCE_UPDATE] {
            assert!(inspect_ingress(facts(method, true), &[], &[], msg).is_err());
            let controller = IngressFacts {
                caller_is_controller: true,
                ..facts(method, false)
            };
            assert!(inspect_ingress(controller, &[], &[], msg).is_ok());
        }
    }
}
