//! ic-sim's stand-in for the ICP ledger (`ryjl3-tyaaa-aaaaa-aaaba-cai`): balances by account
//! identifier on the heap (lost on upgrade; the launcher never upgrades it), the legacy
//! `transfer` and `account_balance`, ICRC-1 transfers and metadata, and `query_blocks` for the
//! cycles minting canister. The logic is `sim_ledgers::icp`.

use candid::Nat;
use ic_cdk::{init, query, update};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError as Icrc1TransferError};
use sim_ledgers::account_id::AccountIdentifier;
use sim_ledgers::icp::{
    AccountBalanceArgs, GetBlocksArgs, IcpLedger, IcpLedgerInit, QueryBlocksResponse, Tokens,
    TransferArgs, TransferResult,
};
use sim_ledgers::ids::ICP_FEE_E8S;
use std::cell::RefCell;

thread_local! {
    static LEDGER: RefCell<Option<IcpLedger>> = const { RefCell::new(None) };
}

fn with_ledger<R>(f: impl FnOnce(&mut IcpLedger) -> R) -> R {
    LEDGER.with_borrow_mut(|ledger| f(ledger.as_mut().expect("initialised by init")))
}

#[init]
fn init(arg: IcpLedgerInit) {
    let ledger = IcpLedger::new(&arg, ic_cdk::api::time());
    LEDGER.set(Some(ledger));
}

#[update]
fn transfer(args: TransferArgs) -> TransferResult {
    let caller = ic_cdk::api::msg_caller();
    with_ledger(|ledger| ledger.transfer(caller, args, ic_cdk::api::time()))
}

#[update]
fn icrc1_transfer(arg: TransferArg) -> Result<Nat, Icrc1TransferError> {
    let caller = ic_cdk::api::msg_caller();
    with_ledger(|ledger| ledger.icrc1_transfer(caller, arg, ic_cdk::api::time()))
}

#[query]
fn account_balance(args: AccountBalanceArgs) -> Tokens {
    Tokens {
        e8s: with_ledger(|ledger| ledger.balance(&args.account)),
    }
}

#[query]
fn icrc1_balance_of(account: Account) -> Nat {
    Nat::from(with_ledger(|ledger| {
        ledger.balance(&AccountIdentifier::from(&account))
    }))
}

#[query]
fn icrc1_fee() -> Nat {
    Nat::from(ICP_FEE_E8S)
}

#[query]
fn icrc1_decimals() -> u8 {
    8
}

#[query]
fn icrc1_symbol() -> String {
    "ICP".to_string()
}

#[query]
fn icrc1_name() -> String {
    "Internet Computer".to_string()
}

#[query]
fn query_blocks(args: GetBlocksArgs) -> QueryBlocksResponse {
    with_ledger(|ledger| ledger.query_blocks(&args))
}
