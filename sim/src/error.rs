//! Errors: the IC's reject and error codes for message outcomes, and `SimError` for misuse of the
//! library API.

use candid::Principal;
use serde::Serialize;

/// The IC's reject codes (interface specification, "Reject codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RejectCode {
    /// Fatal system error, retry unlikely to be useful.
    SysFatal = 1,
    /// Transient system error, retry might be possible.
    SysTransient = 2,
    /// Invalid destination (e.g. canister/account does not exist).
    DestinationInvalid = 3,
    /// Explicit reject by the canister.
    CanisterReject = 4,
    /// Canister error (e.g., trap, no response).
    CanisterError = 5,
    /// Response unknown; the call may or may not have been executed.
    SysUnknown = 6,
}

impl RejectCode {
    /// The code for a numeric value, if it is one of the IC's.
    pub fn from_u32(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::SysFatal,
            2 => Self::SysTransient,
            3 => Self::DestinationInvalid,
            4 => Self::CanisterReject,
            5 => Self::CanisterError,
            6 => Self::SysUnknown,
            _ => return None,
        })
    }
}

macro_rules! error_codes {
    ($($name:ident = $value:literal,)*) => {
        /// The IC's user error codes, named and numbered as `pocket_ic::ErrorCode`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[allow(missing_docs)]
        pub enum ErrorCode { $($name = $value,)* }

        impl ErrorCode {
            /// The code for a numeric value.
            pub fn from_u32(code: u32) -> Option<Self> {
                match code { $($value => Some(Self::$name),)* _ => None }
            }
        }
    };
}

error_codes! {
    SubnetOversubscribed = 101,
    MaxNumberOfCanistersReached = 102,
    CanisterQueueFull = 201,
    IngressMessageTimeout = 202,
    CanisterQueueNotEmpty = 203,
    IngressHistoryFull = 204,
    CanisterIdAlreadyExists = 205,
    StopCanisterRequestTimeout = 206,
    CanisterOutOfCycles = 207,
    CertifiedStateUnavailable = 208,
    CanisterInstallCodeRateLimited = 209,
    CanisterHeapDeltaRateLimited = 210,
    SubnetCoolingDown = 211,
    CanisterNotFound = 301,
    CanisterSnapshotNotFound = 305,
    InsufficientMemoryAllocation = 402,
    InsufficientCyclesForCreateCanister = 403,
    SubnetNotFound = 404,
    CanisterNotHostedBySubnet = 405,
    CanisterRejectedMessage = 406,
    UnknownManagementMessage = 407,
    InvalidManagementPayload = 408,
    CanisterSnapshotImmutable = 409,
    InvalidSubnetAdmin = 410,
    CanisterTrapped = 502,
    CanisterCalledTrap = 503,
    CanisterContractViolation = 504,
    CanisterInvalidWasm = 505,
    CanisterDidNotReply = 506,
    CanisterOutOfMemory = 507,
    CanisterStopped = 508,
    CanisterStopping = 509,
    CanisterNotStopped = 510,
    CanisterStoppingCancelled = 511,
    CanisterInvalidController = 512,
    CanisterFunctionNotFound = 513,
    CanisterNonEmpty = 514,
    QueryCallGraphLoopDetected = 517,
    InsufficientCyclesInCall = 520,
    CanisterWasmEngineError = 521,
    CanisterInstructionLimitExceeded = 522,
    CanisterMemoryAccessLimitExceeded = 524,
    QueryCallGraphTooDeep = 525,
    QueryCallGraphTotalInstructionLimitExceeded = 526,
    CompositeQueryCalledInReplicatedMode = 527,
    QueryTimeLimitExceeded = 528,
    QueryCallGraphInternal = 529,
    InsufficientCyclesInComputeAllocation = 530,
    InsufficientCyclesInMemoryAllocation = 531,
    InsufficientCyclesInMemoryGrow = 532,
    ReservedCyclesLimitExceededInMemoryAllocation = 533,
    ReservedCyclesLimitExceededInMemoryGrow = 534,
    InsufficientCyclesInMessageMemoryGrow = 535,
    CanisterMethodNotFound = 536,
    CanisterWasmModuleNotFound = 537,
    CanisterAlreadyInstalled = 538,
    CanisterWasmMemoryLimitExceeded = 539,
    ReservedCyclesLimitIsTooLow = 540,
    CanisterInvalidControllerOrSubnetAdmin = 541,
    CanisterStatusAccessDenied = 542,
    DeadlineExpired = 601,
    ResponseDropped = 602,
}

impl ErrorCode {
    /// The reject code the IC derives from an error code (its hundreds digit).
    pub fn reject_code(self) -> RejectCode {
        RejectCode::from_u32(self as u32 / 100).unwrap_or(RejectCode::SysFatal)
    }
}

/// A call's failure as the IC reports it to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserError {
    /// The reject code.
    pub reject_code: RejectCode,
    /// The detailed error code.
    pub error_code: ErrorCode,
    /// The reject message.
    pub message: String,
}

impl UserError {
    /// An error whose reject code is derived from `error_code`.
    pub fn new(error_code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            reject_code: error_code.reject_code(),
            error_code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (reject code {:?}, error code {:?})",
            self.message, self.reject_code, self.error_code
        )
    }
}

impl std::error::Error for UserError {}

/// Misuse of the library API (as opposed to a message the IC rejects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No canister has this id.
    #[error("canister {0} does not exist; create it first (create_canister)")]
    CanisterNotFound(Principal),
    /// The canister has no code installed.
    #[error("canister {0} has no wasm module; install code first (install_canister)")]
    CanisterEmpty(Principal),
    /// Time may not go backwards.
    #[error("cannot set the time to {requested} ns: it is before the current time {current} ns")]
    TimeGoesBackwards {
        /// Requested time.
        requested: u64,
        /// Current time.
        current: u64,
    },
    /// A canister balance would overflow.
    #[error("adding {0} cycles would overflow the balance of canister {1}")]
    CyclesOverflow(u128, Principal),
}
