//! The ICP ledger stand-in's state: balances by account identifier, the legacy `transfer` and
//! ICRC-1 `icrc1_transfer`, and a block log the CMC reads with `query_blocks`. The legacy
//! interface's types are `ic-ledger-types`' (those icp-cli uses).

use crate::book::{Book, BookError};
use crate::ids::ICP_FEE_E8S;
use candid::{CandidType, Nat, Principal};
use ic_ledger_types::{
    AccountIdentifier, Block, GetBlocksArgs, Memo, Operation, QueryBlocksResponse, Subaccount,
    Timestamp, Tokens, Transaction, TransferArgs, TransferError, TransferResult,
    DEFAULT_SUBACCOUNT,
};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError as Icrc1TransferError};
use serde::Deserialize;
use serde_bytes::ByteBuf;

/// The ICP ledger account identifier of an ICRC-1 account.
pub fn account_identifier(account: &Account) -> AccountIdentifier {
    let subaccount = account.subaccount.map_or(DEFAULT_SUBACCOUNT, Subaccount);
    AccountIdentifier::new(&account.owner, &subaccount)
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
            let to = account_identifier(account);
            ledger.book.mint(to, (*e8s).into());
            let operation = Operation::Mint {
                to,
                amount: Tokens::from_e8s(*e8s),
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
        let subaccount = args.from_subaccount.unwrap_or(DEFAULT_SUBACCOUNT);
        let from = AccountIdentifier::new(&caller, &subaccount);
        let fee = Some(args.fee.e8s().into());
        self.book
            .transfer(&from, args.to, args.amount.e8s().into(), fee)
            .map_err(|error| match error {
                BookError::BadFee { expected_fee } => TransferError::BadFee {
                    expected_fee: Tokens::from_e8s(e8s(expected_fee)),
                },
                BookError::InsufficientFunds { balance } => TransferError::InsufficientFunds {
                    balance: Tokens::from_e8s(e8s(balance)),
                },
            })?;
        let operation = Operation::Transfer {
            from,
            to: args.to,
            amount: args.amount,
            fee: Tokens::from_e8s(ICP_FEE_E8S),
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
        let from = account_identifier(&Account {
            owner: caller,
            subaccount: arg.from_subaccount,
        });
        let to = account_identifier(&arg.to);
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
            amount: Tokens::from_e8s(amount),
            fee: Tokens::from_e8s(ICP_FEE_E8S),
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
            archived_blocks: Vec::new(),
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

    #[test]
    fn the_anonymous_default_account_has_its_known_identifier() {
        // The anonymous principal's default account, as the ICP ledger and dfx print it.
        let account = Account {
            owner: Principal::anonymous(),
            subaccount: None,
        };
        assert_eq!(
            account_identifier(&account).to_hex(),
            "1c7a48ba6a562aa9eaa2481a9049cdf0433b9738c992d698c31d8abf89cadc79"
        );
        let mut named = account;
        named.subaccount = Some([1; 32]);
        let expected = AccountIdentifier::new(&Principal::anonymous(), &Subaccount([1; 32]));
        assert_eq!(account_identifier(&named), expected);
    }

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
        let bob_id = account_identifier(&account(bob));
        let args = TransferArgs {
            memo: Memo(7),
            amount: Tokens::from_e8s(100_000),
            fee: Tokens::from_e8s(ICP_FEE_E8S),
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
        let alice_id = account_identifier(&account(alice));
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
                amount: Tokens::from_e8s(50_000),
                fee: Tokens::from_e8s(ICP_FEE_E8S)
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
        let to = account_identifier(&account(Principal::anonymous()));
        let args = |e8s, fee| TransferArgs {
            memo: Memo(0),
            amount: Tokens::from_e8s(e8s),
            fee: Tokens::from_e8s(fee),
            from_subaccount: None,
            to,
            created_at_time: None,
        };
        assert_eq!(
            ledger.transfer(alice, args(10_001, ICP_FEE_E8S), 0),
            Err(TransferError::InsufficientFunds {
                balance: Tokens::from_e8s(20_000)
            })
        );
        assert_eq!(
            ledger.transfer(alice, args(1, 0), 0),
            Err(TransferError::BadFee {
                expected_fee: Tokens::from_e8s(ICP_FEE_E8S)
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
