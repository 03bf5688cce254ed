//! What the monitor makes of a failed inter-canister call.

use crate::outbox::Failure;

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
    /// A rejected call with `code` and `message`, classified like ic-cdk classifies `CallRejected`.
    pub fn rejected(code: u32, message: impl Into<String>) -> Self {
        Self {
            reject_code: Some(code),
            message: message.into(),
            clean: matches!(code, 1..=3),
            transient: matches!(code, 2 | SYS_UNKNOWN),
        }
    }

    /// One-line description.
    pub fn describe(&self) -> String {
        match self.reject_code {
            Some(c) => format!("reject {c}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// True when the message says the callee has no such method.
    pub fn is_missing_method(&self) -> bool {
        let m = &self.message;
        m.contains("has no update method")
            || m.contains("CanisterMethodNotFound")
            || m.contains("IC0536")
            || m.contains("method not found")
    }

    /// How a hook delivery failure is handled: a missing hook is permanent, all else is retried.
    pub fn delivery_failure(&self, endpoint: &str) -> Failure {
        if self.is_missing_method() {
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
        } else if self.reject_code == Some(3) || m.contains("not found") {
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
            5,
            "IC0536: Canister abc has no update method 'on_low_cycles'",
        );
        match e.delivery_failure("on_low_cycles") {
            Failure::Permanent(r) => {
                assert!(r.contains("does not export the hook `on_low_cycles`"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            CallError::rejected(5, "trapped").delivery_failure("on_error"),
            Failure::Retryable(_)
        ));
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
