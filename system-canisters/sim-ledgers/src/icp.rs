//! The ICP ledger stand-in's state and Candid types: balances by account identifier, the legacy
//! `transfer` and ICRC-1 `icrc1_transfer`, and a block log the CMC reads with `query_blocks`.

use crate::account_id::{AccountIdentifier, Subaccount};
use crate::book::{Book, BookError};
use crate::ids::ICP_FEE_E8S;
use candid::{CandidType, Nat, Principal};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError as Icrc1TransferError};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// An amount of ICP in e8s (10^-8 ICP).
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// The amount.
    pub e8s: u64,
}

/// A transfer's memo (a number).
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memo(pub u64);

/// Nanoseconds since the epoch.
#[derive(CandidType, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// The time.
    pub timestamp_nanos: u64,
}

/// The argument of the legacy `transfer`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct TransferArgs {
    /// The memo, recorded in the block.
    pub memo: Memo,
    /// The amount to move.
    pub amount: Tokens,
    /// The fee the caller agrees to pay; must be the ledger's.
    pub fee: Tokens,
    /// The caller's subaccount to pay from (default: all zeros).
    pub from_subaccount: Option<Subaccount>,
    /// The receiving account.
    pub to: AccountIdentifier,
    /// The caller's time of creation (recorded, not used for deduplication).
    pub created_at_time: Option<Timestamp>,
}

/// Why the legacy `transfer` refused.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum TransferError {
    /// The fee named is not the ledger's.
    BadFee {
        /// The ledger's fee.
        expected_fee: Tokens,
    },
    /// The balance does not cover the amount plus the fee.
    InsufficientFunds {
        /// The payer's balance.
        balance: Tokens,
    },
}

/// The legacy `transfer`'s result: the block index.
pub type TransferResult = Result<u64, TransferError>;

/// The argument of the legacy `account_balance`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct AccountBalanceArgs {
    /// The account.
    pub account: AccountIdentifier,
}

/// The argument of `query_blocks`.
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct GetBlocksArgs {
    /// The first block index.
    pub start: u64,
    /// How many blocks.
    pub length: u64,
}

/// What a block did.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Tokens created (the initial balances).
    Mint {
        /// The receiver.
        to: AccountIdentifier,
        /// The amount.
        amount: Tokens,
    },
    /// Tokens moved.
    Transfer {
        /// The payer.
        from: AccountIdentifier,
        /// The receiver.
        to: AccountIdentifier,
        /// The amount moved.
        amount: Tokens,
        /// The fee charged to the payer.
        fee: Tokens,
    },
}

/// A block's transaction.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The legacy memo (0 for ICRC-1 transfers).
    pub memo: Memo,
    /// The ICRC-1 memo, if any.
    pub icrc1_memo: Option<ByteBuf>,
    /// What happened.
    pub operation: Option<Operation>,
    /// When the caller said it created the transaction (else the block's time).
    pub created_at_time: Timestamp,
}

/// A block (no parent hashes: the stand-in keeps no hash chain).
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Always `None`.
    pub parent_hash: Option<ByteBuf>,
    /// The transaction.
    pub transaction: Transaction,
    /// When the ledger recorded it.
    pub timestamp: Timestamp,
}

/// The reply of `query_blocks` (no archives, no certificate).
#[derive(CandidType, Deserialize, Clone, Debug)]
pub struct QueryBlocksResponse {
    /// Number of blocks.
    pub chain_length: u64,
    /// Always `None`.
    pub certificate: Option<ByteBuf>,
    /// The blocks asked for that exist.
    pub blocks: Vec<Block>,
    /// The index of `blocks[0]`.
    pub first_block_index: u64,
}

/// The ICP ledger stand-in's init argument.
#[derive(CandidType, Deserialize, Clone, Debug, Default)]
pub struct IcpLedgerInit {
    /// Accounts funded at start, in e8s.
    pub initial_balances: Vec<(Account, u64)>,
}

/// The ICP ledger's state.
#[derive(Debug, Clone)]
pub struct IcpLedger {
    book: Book<AccountIdentifier>,
    blocks: Vec<Block>,
}

impl IcpLedger {
    /// A ledger holding `init`'s balances (one mint block each), at time `now` (ns).
    pub fn new(init: &IcpLedgerInit, now: u64) -> Self {
        let mut ledger = IcpLedger {
            book: Book::new(ICP_FEE_E8S.into()),
            blocks: Vec::new(),
        };
        for (account, e8s) in &init.initial_balances {
            let to = AccountIdentifier::from(account);
            ledger.book.mint(to, (*e8s).into());
            let operation = Operation::Mint {
                to,
                amount: Tokens { e8s: *e8s },
            };
            ledger.record(operation, Memo(0), None, None, now);
        }
        ledger
    }

    /// An account's balance in e8s.
    pub fn balance(&self, account: &AccountIdentifier) -> u64 {
        e8s(self.book.balance(account))
    }

    /// The legacy `transfer` from `caller`'s subaccount.
    pub fn transfer(&mut self, caller: Principal, args: TransferArgs, now: u64) -> TransferResult {
        let subaccount = args.from_subaccount.unwrap_or(Subaccount::DEFAULT);
        let from = AccountIdentifier::new(&caller, &subaccount);
        let fee = Some(args.fee.e8s.into());
        self.book
            .transfer(&from, args.to, args.amount.e8s.into(), fee)
            .map_err(|error| match error {
                BookError::BadFee { expected_fee } => TransferError::BadFee {
                    expected_fee: Tokens {
                        e8s: e8s(expected_fee),
                    },
                },
                BookError::InsufficientFunds { balance } => TransferError::InsufficientFunds {
                    balance: Tokens { e8s: e8s(balance) },
                },
            })?;
        let operation = Operation::Transfer {
            from,
            to: args.to,
            amount: args.amount,
            fee: Tokens { e8s: ICP_FEE_E8S },
        };
        let created = args.created_at_time.map(|t| t.timestamp_nanos);
        Ok(self.record(operation, args.memo, None, created, now))
    }

    /// The ICRC-1 `icrc1_transfer` from `caller`'s subaccount.
    pub fn icrc1_transfer(
        &mut self,
        caller: Principal,
        arg: TransferArg,
        now: u64,
    ) -> Result<Nat, Icrc1TransferError> {
        let from = AccountIdentifier::from(&Account {
            owner: caller,
            subaccount: arg.from_subaccount,
        });
        let to = AccountIdentifier::from(&arg.to);
        // More than any balance when it does not fit (all the ICP there is fits in a u64).
        let amount = u64::try_from(arg.amount.0).unwrap_or(u64::MAX);
        let fee = match arg.fee {
            None => None,
            Some(fee) => Some(u128::try_from(fee.0).unwrap_or(u128::MAX)),
        };
        self.book
            .transfer(&from, to, amount.into(), fee)
            .map_err(icrc1_error)?;
        let operation = Operation::Transfer {
            from,
            to,
            amount: Tokens { e8s: amount },
            fee: Tokens { e8s: ICP_FEE_E8S },
        };
        let memo = arg.memo.map(|m| m.0.into_vec().into());
        let index = self.record(operation, Memo(0), memo, arg.created_at_time, now);
        Ok(Nat::from(index))
    }

    /// The blocks `[start, start + length)` that exist.
    pub fn query_blocks(&self, args: &GetBlocksArgs) -> QueryBlocksResponse {
        let start = args.start.min(self.blocks.len() as u64);
        let end = args
            .start
            .saturating_add(args.length)
            .min(self.blocks.len() as u64);
        QueryBlocksResponse {
            chain_length: self.blocks.len() as u64,
            certificate: None,
            blocks: self.blocks[start as usize..end as usize].to_vec(),
            first_block_index: start,
        }
    }

    fn record(
        &mut self,
        operation: Operation,
        memo: Memo,
        icrc1_memo: Option<ByteBuf>,
        created_at_time: Option<u64>,
        now: u64,
    ) -> u64 {
        self.blocks.push(Block {
            parent_hash: None,
            transaction: Transaction {
                memo,
                icrc1_memo,
                operation: Some(operation),
                created_at_time: Timestamp {
                    timestamp_nanos: created_at_time.unwrap_or(now),
                },
            },
            timestamp: Timestamp {
                timestamp_nanos: now,
            },
        });
        self.blocks.len() as u64 - 1
    }
}

/// A balance in e8s (balances never exceed `u64::MAX`: amounts are `u64`).
fn e8s(amount: u128) -> u64 {
    u64::try_from(amount).unwrap_or(u64::MAX)
}

/// A book's refusal as ICRC-1's error.
pub fn icrc1_error(error: BookError) -> Icrc1TransferError {
    match error {
        BookError::BadFee { expected_fee } => Icrc1TransferError::BadFee {
            expected_fee: Nat::from(expected_fee),
        },
        BookError::InsufficientFunds { balance } => Icrc1TransferError::InsufficientFunds {
            balance: Nat::from(balance),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(owner: Principal) -> Account {
        Account {
            owner,
            subaccount: None,
        }
    }

    fn ledger_with(owner: Principal, e8s: u64) -> IcpLedger {
        let init = IcpLedgerInit {
            initial_balances: vec![(account(owner), e8s)],
        };
        IcpLedger::new(&init, 5)
    }

    #[test]
    fn legacy_and_icrc1_transfers_record_blocks() {
        let alice = Principal::from_slice(&[1]);
        let bob = Principal::from_slice(&[2]);
        let mut ledger = ledger_with(alice, 1_000_000);
        let bob_id = AccountIdentifier::from(&account(bob));
        let args = TransferArgs {
            memo: Memo(7),
            amount: Tokens { e8s: 100_000 },
            fee: Tokens { e8s: ICP_FEE_E8S },
            from_subaccount: None,
            to: bob_id,
            created_at_time: None,
        };
        assert_eq!(ledger.transfer(alice, args, 9), Ok(1));
        let arg = TransferArg {
            from_subaccount: None,
            to: account(bob),
            fee: None,
            created_at_time: None,
            memo: None,
            amount: Nat::from(50_000u64),
        };
        assert_eq!(ledger.icrc1_transfer(alice, arg, 10), Ok(Nat::from(2u64)));
        let alice_id = AccountIdentifier::from(&account(alice));
        assert_eq!(
            ledger.balance(&alice_id),
            1_000_000 - 150_000 - 2 * ICP_FEE_E8S
        );
        assert_eq!(ledger.balance(&bob_id), 150_000);

        let blocks = ledger.query_blocks(&GetBlocksArgs {
            start: 1,
            length: 5,
        });
        assert_eq!((blocks.chain_length, blocks.first_block_index), (3, 1));
        assert_eq!(blocks.blocks.len(), 2);
        assert_eq!(blocks.blocks[0].transaction.memo, Memo(7));
        assert_eq!(blocks.blocks[0].timestamp.timestamp_nanos, 9);
        assert_eq!(
            blocks.blocks[1].transaction.operation,
            Some(Operation::Transfer {
                from: alice_id,
                to: bob_id,
                amount: Tokens { e8s: 50_000 },
                fee: Tokens { e8s: ICP_FEE_E8S }
            })
        );
        let past_the_end = ledger.query_blocks(&GetBlocksArgs {
            start: 9,
            length: 1,
        });
        assert!(past_the_end.blocks.is_empty());
    }

    #[test]
    fn transfers_are_refused_with_the_ledgers_errors() {
        let alice = Principal::from_slice(&[1]);
        let mut ledger = ledger_with(alice, 20_000);
        let to = AccountIdentifier::from(&account(Principal::anonymous()));
        let args = |e8s, fee| TransferArgs {
            memo: Memo(0),
            amount: Tokens { e8s },
            fee: Tokens { e8s: fee },
            from_subaccount: None,
            to,
            created_at_time: None,
        };
        assert_eq!(
            ledger.transfer(alice, args(10_001, ICP_FEE_E8S), 0),
            Err(TransferError::InsufficientFunds {
                balance: Tokens { e8s: 20_000 }
            })
        );
        assert_eq!(
            ledger.transfer(alice, args(1, 0), 0),
            Err(TransferError::BadFee {
                expected_fee: Tokens { e8s: ICP_FEE_E8S }
            })
        );
        let too_much = TransferArg {
            from_subaccount: None,
            to: account(Principal::anonymous()),
            fee: Some(Nat::from(ICP_FEE_E8S)),
            created_at_time: None,
            memo: None,
            amount: Nat::from(u128::MAX),
        };
        assert_eq!(
            ledger.icrc1_transfer(alice, too_much, 0),
            Err(Icrc1TransferError::InsufficientFunds {
                balance: Nat::from(20_000u64)
            })
        );
        assert_eq!(
            ledger
                .query_blocks(&GetBlocksArgs {
                    start: 0,
                    length: 9
                })
                .chain_length,
            1
        );
    }
}
