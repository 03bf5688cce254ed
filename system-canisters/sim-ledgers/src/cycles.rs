//! The cycles ledger stand-in's Candid types (as icp-cli encodes and decodes them) and the
//! mapping of the book's refusals to its error variants.

use candid::{CandidType, Nat, Principal};
use ic_management_canister_types::CanisterSettings;
use icrc_ledger_types::icrc1::account::Account;
use serde::Deserialize;

/// The cycles ledger stand-in's init argument.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CyclesLedgerInit {
    /// The subnet it creates canisters on (the only one it accepts in a subnet selection).
    pub subnet: Principal,
    /// Accounts funded at start. Their sum must not exceed the canister's own cycles, which
    /// back every balance.
    pub initial_balances: Vec<(Account, Nat)>,
}

/// Where `create_canister` should create the canister.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub enum SubnetSelection {
    /// A subnet of a type (only the default, `None`, is served).
    Filter {
        /// The subnet type.
        subnet_type: Option<String>,
    },
    /// A given subnet.
    Subnet {
        /// The subnet.
        subnet: Principal,
    },
}

/// How to create the canister.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct CreationArgs {
    /// The subnet.
    pub subnet_selection: Option<SubnetSelection>,
    /// The new canister's settings (controllers default to the caller).
    pub settings: Option<CanisterSettings>,
}

/// The argument of `create_canister`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CreateCanisterArgs {
    /// The caller's subaccount to pay from.
    pub from_subaccount: Option<serde_bytes::ByteBuf>,
    /// Recorded, not used for deduplication.
    pub created_at_time: Option<u64>,
    /// Cycles to give the canister (the creation fee is taken from them); the caller also pays
    /// the ledger's fee.
    pub amount: Nat,
    /// Subnet and settings.
    pub creation_args: Option<CreationArgs>,
}

/// Why `create_canister` refused.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum CreateCanisterError {
    /// The balance does not cover the amount plus the fee.
    InsufficientFunds {
        /// The payer's balance.
        balance: Nat,
    },
    /// The management canister refused; the amount was refunded (the fee was not).
    FailedToCreate {
        /// The fee's block.
        fee_block: Option<Nat>,
        /// The refund's block.
        refund_block: Option<Nat>,
        /// Why.
        error: String,
    },
    /// Anything else, e.g. a subnet selection the ledger cannot serve.
    GenericError {
        /// Why.
        message: String,
        /// A code.
        error_code: Nat,
    },
}

/// A created canister.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CreateCanisterSuccess {
    /// The block that paid for it.
    pub block_id: Nat,
    /// The canister.
    pub canister_id: Principal,
}

/// The argument of `withdraw`: cycles sent to a canister (`deposit_cycles`).
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct WithdrawArgs {
    /// Cycles to send (the caller also pays the ledger's fee).
    pub amount: Nat,
    /// The caller's subaccount to pay from.
    pub from_subaccount: Option<serde_bytes::ByteBuf>,
    /// The canister that receives them.
    pub to: Principal,
    /// Recorded, not used for deduplication.
    pub created_at_time: Option<u64>,
}

/// The reject code of a failed `deposit_cycles`.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionCode {
    /// No error.
    NoError,
    /// Fatal system error.
    SysFatal,
    /// Transient system error.
    SysTransient,
    /// No such canister.
    DestinationInvalid,
    /// Explicit reject.
    CanisterReject,
    /// Trap.
    CanisterError,
    /// Unknown.
    Unknown,
}

impl RejectionCode {
    /// The IC's numeric reject code as this variant.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => RejectionCode::NoError,
            1 => RejectionCode::SysFatal,
            2 => RejectionCode::SysTransient,
            3 => RejectionCode::DestinationInvalid,
            4 => RejectionCode::CanisterReject,
            5 => RejectionCode::CanisterError,
            _ => RejectionCode::Unknown,
        }
    }
}

/// Why `withdraw` refused.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum WithdrawError {
    /// The balance does not cover the amount plus the fee.
    InsufficientFunds {
        /// The payer's balance.
        balance: Nat,
    },
    /// `deposit_cycles` failed; the amount was refunded (the fee was not).
    FailedToWithdraw {
        /// The fee's block.
        fee_block: Option<Nat>,
        /// The management canister's reject code.
        rejection_code: RejectionCode,
        /// Its message.
        rejection_reason: String,
    },
    /// Anything else.
    GenericError {
        /// Why.
        message: String,
        /// A code.
        error_code: Nat,
    },
}

/// The argument of `deposit`: the cycles attached to the call are credited to `to`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct DepositArgs {
    /// The receiving account.
    pub to: Account,
    /// A memo (recorded nowhere).
    pub memo: Option<serde_bytes::ByteBuf>,
}

/// The reply of `deposit`.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DepositResult {
    /// The block.
    pub block_index: Nat,
    /// The account's balance after the deposit.
    pub balance: Nat,
}

/// A subaccount argument as ICRC-1's 32 bytes; `None` when it is not 32 bytes long.
pub fn subaccount(bytes: Option<&serde_bytes::ByteBuf>) -> Result<Option<[u8; 32]>, String> {
    match bytes {
        None => Ok(None),
        Some(bytes) => bytes
            .as_slice()
            .try_into()
            .map(Some)
            .map_err(|_| format!("a subaccount has 32 bytes, not {}", bytes.len())),
    }
}
