//! Who may call what: the hook endpoints' caller rule and the `inspect_message` decision.
//!
//! Pure functions of the caller, the configured monitors and the readiness flag; the canister
//! layer feeds them from the IC.

use candid::Principal;

use crate::events::endpoint;

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
}

/// Decides whether to accept an ingress update message before it is charged to the canister.
///
/// Hook endpoints accept ingress only from a configured monitor (a monitor may be an operator's
/// identity); internal methods never; the monitor setter needs a controller; everything else
/// waits for readiness unless listed in `ungated`.
pub fn inspect_ingress(
    facts: IngressFacts<'_>,
    ungated: &[&str],
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
    if facts.ready
        || ungated.contains(&method)
        || matches!(method, READINESS_QUERY | RECENT_ERRORS_QUERY | STATUS_QUERY)
    {
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
        }
    }

    #[test]
    fn ingress_is_gated_until_ready() {
        let msg = || "initializing: step 1/2".to_string();
        assert_eq!(
            inspect_ingress(facts("transfer", false), &[], msg),
            Err("initializing: step 1/2".into())
        );
        assert!(inspect_ingress(facts("transfer", true), &[], msg).is_ok());
        assert!(inspect_ingress(facts("ping", false), &["ping"], msg).is_ok());
        assert!(inspect_ingress(facts(READINESS_QUERY, false), &[], msg).is_ok());
    }

    #[test]
    fn hook_ingress_only_from_a_monitor_internals_never() {
        let msg = String::new;
        let controller = IngressFacts {
            caller_is_controller: true,
            ..facts("on_error", true)
        };
        assert!(inspect_ingress(controller, &[], msg).is_err());
        let monitor = IngressFacts {
            caller_is_monitor: true,
            ..facts("on_error", false)
        };
        assert!(inspect_ingress(monitor, &[], msg).is_ok());
        let internal = IngressFacts {
            caller_is_controller: true,
            caller_is_monitor: true,
            ..facts("<canister-hooks> timer", true)
        };
        assert!(inspect_ingress(internal, &[], msg).is_err());
    }

    #[test]
    fn monitor_setter_needs_a_controller_even_before_ready() {
        let msg = String::new;
        let controller = IngressFacts {
            caller_is_controller: true,
            ..facts(SET_MONITORS_UPDATE, false)
        };
        assert!(inspect_ingress(controller, &[], msg).is_ok());
        assert!(inspect_ingress(facts(SET_MONITORS_UPDATE, true), &[], msg).is_err());
    }
}
