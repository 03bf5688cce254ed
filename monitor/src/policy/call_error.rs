//! What the monitor makes of a failed inter-canister call.

use crate::state::outbox::Failure;

/// Reject code of a call to a canister that does not exist (or, on older replicas, lacks the
/// method).
pub const DESTINATION_INVALID: u32 = 3;
/// Reject code of a call whose callee trapped (or, on today's replicas, lacks the method).
pub const CANISTER_ERROR: u32 = 5;
#[cfg(test)]
/// Reject code of a bounded-wait call that timed out or whose outcome is unknown.
pub const SYS_UNKNOWN: u32 = 6;

/// A failed call, reduced to what policy needs (built from ic-cdk's `CallFailed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// The IC reject code, when the call was rejected.
    pub reject_code: Option<u32>,
    pub message: String,
    /// True when the callee certainly did not process the call (ic-cdk `is_clean_reject`).
    pub clean: bool,
    /// True when the failure is transient (ic-cdk `is_immediately_retryable`).
    pub transient: bool,
}

impl CallError {
    #[cfg(test)]
    /// A rejected call with `code` and `message`, classified like ic-cdk classifies `CallRejected`.
    pub fn rejected(code: u32, message: impl Into<String>) -> Self {
        Self {
            reject_code: Some(code),
            message: message.into(),
            clean: matches!(code, 1..=3),
            transient: matches!(code, 2 | SYS_UNKNOWN),
        }
    }

    /// The call may have taken effect or not (a bounded-wait call that timed out).
    pub fn outcome_unknown(&self) -> bool {
        self.transient && !self.clean
    }

    /// The call certainly had no effect and may be made again at once (for example a full queue).
    pub fn retry_at_once(&self) -> bool {
        self.transient && self.clean
    }

    /// One-line description.
    pub fn describe(&self) -> String {
        match self.reject_code {
            Some(c) => format!("reject {c}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// True when the reject code is one the IC gives a call to a method the callee does not
    /// export: CANISTER_ERROR (5, error IC0536 on today's replicas; a trap gives the same code)
    /// or DESTINATION_INVALID (3, older replicas). Only then is it worth asking the callee's
    /// interface whether the method is there. The message is never read.
    pub fn may_be_missing_method(&self) -> bool {
        matches!(self.reject_code, Some(DESTINATION_INVALID | CANISTER_ERROR))
    }

    /// How a hook delivery failure is handled. `hook_missing` says whether the canister's
    /// interface (its `candid:service`), read after this failure, lacks the hook: `Some(true)`
    /// makes the failure permanent, anything else (a trap, a reject, an unknown interface) is
    /// retried.
    pub fn delivery_failure(&self, endpoint: &str, hook_missing: Option<bool>) -> Failure {
        if hook_missing == Some(true) && self.may_be_missing_method() {
            Failure::Permanent(format!(
                "the canister does not export the hook `{endpoint}` it was registered with \
                 (export it with the canister-hooks SDK, or update the registration's hooks); {}",
                self.describe()
            ))
        } else {
            Failure::Retryable(self.describe())
        }
    }

    /// What an operator should do when `canister_status` fails this way.
    pub fn status_fix(&self, monitor: &str) -> String {
        let m = self.message.to_lowercase();
        if m.contains("controller") || m.contains("not authorized") || m.contains("ic0512") {
            format!(
                "add the monitor ({monitor}) as a controller of the canister, or set its \
                 status_visibility to allowed_viewers including the monitor"
            )
        } else if self.reject_code == Some(DESTINATION_INVALID) || m.contains("not found") {
            "check the canister id: the canister does not exist (or was deleted)".into()
        } else if self.transient {
            "the subnet was busy or the call timed out; retry in a moment".into()
        } else {
            "check that the canister exists and the monitor may read its status".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_ic_cdk_reject_code_rules() {
        let timeout = CallError::rejected(SYS_UNKNOWN, "deadline expired");
        assert!(timeout.transient && !timeout.clean);
        let invalid = CallError::rejected(3, "canister not found");
        assert!(invalid.clean && !invalid.transient);
        let trap = CallError::rejected(5, "canister trapped");
        assert!(!trap.clean && !trap.transient);
    }

    #[test]
    fn a_missing_hook_is_permanent_and_says_how_to_fix_it() {
        let e = CallError::rejected(
            CANISTER_ERROR,
            "IC0536: Canister abc has no update method 'on_low_cycles'",
        );
        match e.delivery_failure("on_low_cycles", Some(true)) {
            Failure::Permanent(r) => {
                assert!(r.contains("does not export the hook `on_low_cycles`"))
            }
            other => panic!("{other:?}"),
        }
        // The same reject is retried when the interface has the hook or cannot be read.
        for hook_missing in [Some(false), None] {
            assert!(matches!(
                e.delivery_failure("on_low_cycles", hook_missing),
                Failure::Retryable(_)
            ));
        }
        // Older replicas reject a missing method with DESTINATION_INVALID.
        assert!(matches!(
            CallError::rejected(DESTINATION_INVALID, "x").delivery_failure("on_error", Some(true)),
            Failure::Permanent(_)
        ));
    }

    #[test]
    fn the_message_never_decides_that_a_hook_is_missing() {
        // A handler that trapped after a failed call of its own, quoting that call's reject.
        let quoting = "config fetch failed: Canister aaaaa-aa has no update method 'get_config' \
                       (CanisterMethodNotFound, IC0536, method not found)";
        let cases = [
            // (reject code, what the interface says of the hook, permanent?)
            (CANISTER_ERROR, Some(false), false),
            (CANISTER_ERROR, None, false),
            (CANISTER_ERROR, Some(true), true),
            // Timeouts and canister rejects are never a missing hook.
            (2, Some(true), false),
            (4, Some(true), false),
            (SYS_UNKNOWN, Some(true), false),
        ];
        for (code, hook_missing, permanent) in cases {
            let failure =
                CallError::rejected(code, quoting).delivery_failure("on_error", hook_missing);
            assert_eq!(
                matches!(failure, Failure::Permanent(_)),
                permanent,
                "{code} {hook_missing:?}"
            );
        }
    }

    #[test]
    fn status_failures_come_with_a_fix() {
        let e = CallError::rejected(
            4,
            "Only the controllers of the canister can call canister_status",
        );
        assert!(e.status_fix("m").contains("controller"));
        assert!(CallError::rejected(3, "x")
            .status_fix("m")
            .contains("does not exist"));
    }
}
