//! The cycles minting canister stand-in's Candid types and its minting rule: an ICP transfer to
//! the CMC's subaccount of the caller, with the `MINT` memo, becomes cycles at a fixed rate.

use crate::account_id::{AccountIdentifier, Subaccount};
use crate::icp::{Block, Operation};
use crate::ids::XDR_PERMYRIAD_PER_ICP;
use candid::{CandidType, Nat, Principal};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// The memo of a transfer to be minted into cycles: `MINT`.
pub const MEMO_MINT_CYCLES: u64 = 0x544e494d;

/// The CMC stand-in's init argument.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct CmcInit {
    /// The subnet `get_default_subnets` names.
    pub subnet: Principal,
}

/// The argument of `notify_mint_cycles`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct NotifyMintCyclesArg {
    /// The ICP ledger block of the transfer to the CMC.
    pub block_index: u64,
    /// The caller's cycles ledger subaccount to credit.
    pub to_subaccount: Option<ByteBuf>,
    /// A memo for the deposit (unused).
    pub deposit_memo: Option<ByteBuf>,
}

/// What `notify_mint_cycles` did.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NotifyMintCyclesSuccess {
    /// The cycles ledger block of the deposit.
    pub block_index: Nat,
    /// Cycles minted (the cycles ledger keeps its fee out of them).
    pub minted: Nat,
    /// The caller's cycles ledger balance afterwards.
    pub balance: Nat,
}

/// Why a `notify_*` call refused.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum NotifyError {
    /// The block is not a transfer this call can mint.
    InvalidTransaction(String),
    /// Anything else (e.g. the cycles ledger refused the deposit).
    Other {
        /// A code.
        error_code: u64,
        /// Why.
        error_message: String,
    },
}

/// The reply of `get_icp_xdr_conversion_rate` (the certificate and tree are empty).
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct IcpXdrConversionRateResponse {
    /// The rate.
    pub data: IcpXdrConversionRate,
    /// Empty.
    pub hash_tree: ByteBuf,
    /// Empty.
    pub certificate: ByteBuf,
}

/// The ICP/XDR rate.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct IcpXdrConversionRate {
    /// When it was set (the stand-in's rate is fixed: 0).
    pub timestamp_seconds: u64,
    /// XDR per ICP, in ten-thousandths.
    pub xdr_permyriad_per_icp: u64,
}

/// The fixed rate, as `get_icp_xdr_conversion_rate` answers it.
pub fn conversion_rate() -> IcpXdrConversionRateResponse {
    IcpXdrConversionRateResponse {
        data: IcpXdrConversionRate {
            timestamp_seconds: 0,
            xdr_permyriad_per_icp: XDR_PERMYRIAD_PER_ICP,
        },
        hash_tree: ByteBuf::new(),
        certificate: ByteBuf::new(),
    }
}

/// Cycles bought by `e8s` at the fixed rate.
pub fn cycles_for_e8s(e8s: u64) -> u128 {
    u128::from(e8s) * u128::from(XDR_PERMYRIAD_PER_ICP)
}

/// The cycles `caller` may mint from `block`: it must be a transfer to the CMC's (`cmc`)
/// subaccount of the caller with the `MINT` memo.
pub fn cycles_to_mint(
    block: &Block,
    cmc: Principal,
    caller: Principal,
) -> Result<u128, NotifyError> {
    let Some(Operation::Transfer { to, amount, .. }) = &block.transaction.operation else {
        return Err(NotifyError::InvalidTransaction(
            "the block is not a transfer".into(),
        ));
    };
    if *to != AccountIdentifier::new(&cmc, &Subaccount::from(caller)) {
        return Err(NotifyError::InvalidTransaction(format!(
            "the transfer is not to the cycles minting canister's subaccount of {caller}"
        )));
    }
    if block.transaction.memo.0 != MEMO_MINT_CYCLES {
        return Err(NotifyError::InvalidTransaction(format!(
            "the transfer's memo is {}, not MINT ({MEMO_MINT_CYCLES})",
            block.transaction.memo.0
        )));
    }
    Ok(cycles_for_e8s(amount.e8s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::icp::{Memo, Timestamp, Tokens, Transaction};
    use crate::ids::CYCLES_MINTING_CANISTER as CMC;

    fn transfer(to: AccountIdentifier, memo: u64, e8s: u64) -> Block {
        let at = Timestamp { timestamp_nanos: 0 };
        Block {
            parent_hash: None,
            transaction: Transaction {
                memo: Memo(memo),
                icrc1_memo: None,
                operation: Some(Operation::Transfer {
                    from: to,
                    to,
                    amount: Tokens { e8s },
                    fee: Tokens { e8s: 0 },
                }),
                created_at_time: at,
            },
            timestamp: at,
        }
    }

    #[test]
    fn one_icp_buys_four_trillion_cycles() {
        assert_eq!(cycles_for_e8s(100_000_000), 4_000_000_000_000);
        assert_eq!(
            conversion_rate().data.xdr_permyriad_per_icp as u128,
            cycles_for_e8s(1)
        );
    }

    #[test]
    fn only_mint_transfers_to_the_callers_subaccount_are_minted() {
        let caller = Principal::from_slice(&[3, 4]);
        let mine = AccountIdentifier::new(&CMC, &Subaccount::from(caller));
        let block = transfer(mine, MEMO_MINT_CYCLES, 50_000_000);
        assert_eq!(cycles_to_mint(&block, CMC, caller), Ok(2_000_000_000_000));
        let someone_else = Principal::from_slice(&[5]);
        assert!(matches!(
            cycles_to_mint(&block, CMC, someone_else),
            Err(NotifyError::InvalidTransaction(m)) if m.contains("subaccount")
        ));
        let other_memo = transfer(mine, 1, 50_000_000);
        assert!(matches!(
            cycles_to_mint(&other_memo, CMC, caller),
            Err(NotifyError::InvalidTransaction(m)) if m.contains("memo")
        ));
        let mut mint = block.clone();
        mint.transaction.operation = Some(Operation::Mint {
            to: mine,
            amount: Tokens { e8s: 1 },
        });
        assert!(matches!(
            cycles_to_mint(&mint, CMC, caller),
            Err(NotifyError::InvalidTransaction(_))
        ));
    }
}
