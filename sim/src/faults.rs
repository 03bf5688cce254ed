//! Fault injection for tests: injected rejects and silenced canisters.

use crate::error::{ErrorCode, RejectCode, UserError};
use candid::Principal;
use std::collections::BTreeSet;

/// The error code the engine reports with an injected reject code.
pub fn error_code_for(code: RejectCode) -> ErrorCode {
    match code {
        RejectCode::SysFatal => ErrorCode::SubnetOversubscribed,
        RejectCode::SysTransient => ErrorCode::CanisterQueueFull,
        RejectCode::DestinationInvalid => ErrorCode::CanisterNotFound,
        RejectCode::CanisterReject => ErrorCode::CanisterRejectedMessage,
        RejectCode::CanisterError => ErrorCode::CanisterCalledTrap,
        RejectCode::SysUnknown => ErrorCode::DeadlineExpired,
    }
}

#[derive(Debug, Clone)]
struct RejectFault {
    canister: Principal,
    method: Option<String>,
    remaining: u64,
    error: UserError,
}

/// The faults currently armed.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rejects: Vec<RejectFault>,
    silenced: BTreeSet<Principal>,
}

impl Faults {
    /// Arms: the next `count` calls to `canister` (or only its `method`) reject with `code`.
    pub fn reject_next(
        &mut self,
        canister: Principal,
        method: Option<String>,
        count: u64,
        code: RejectCode,
        message: String,
    ) {
        self.rejects.push(RejectFault {
            canister,
            method,
            remaining: count,
            error: UserError {
                reject_code: code,
                error_code: error_code_for(code),
                message,
            },
        });
    }

    /// Consumes one armed reject matching this call, if any.
    pub fn take_reject(&mut self, canister: Principal, method: &str) -> Option<UserError> {
        let i = self.rejects.iter().position(|f| {
            f.canister == canister
                && f.remaining > 0
                && f.method.as_deref().is_none_or(|m| m == method)
        })?;
        let fault = &mut self.rejects[i];
        fault.remaining -= 1;
        let error = fault.error.clone();
        if fault.remaining == 0 {
            self.rejects.remove(i);
        }
        Some(error)
    }

    /// Silences (or un-silences) a canister: its responses to calls never arrive.
    pub fn set_silenced(&mut self, canister: Principal, silenced: bool) {
        if silenced {
            self.silenced.insert(canister);
        } else {
            self.silenced.remove(&canister);
        }
    }

    /// Whether responses from `canister` are dropped.
    pub fn is_silenced(&self, canister: &Principal) -> bool {
        self.silenced.contains(canister)
    }
}
