//! ic-sim's stand-in for the cycles ledger (`um5iw-rqaaa-aaaaq-qaaba-cai`): cycle balances by
//! ICRC-1 account on the heap (lost on upgrade; the launcher never upgrades it), backed by the
//! canister's own cycles. `icrc1_transfer` moves them, `deposit` credits the cycles attached to
//! the call (the CMC mints this way), `withdraw` sends cycles to a canister with the management
//! canister's `deposit_cycles`, and `create_canister` creates a canister through the management
//! canister's `create_canister` with the cycles attached. Each operation charges the ledger's
//! fee (100 M cycles); a failed management call refunds the amount, not the fee.

use candid::{Nat, Principal};
use ic_cdk::call::{Call, CallFailed};
use ic_cdk::{init, query, update};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterSettings, CreateCanisterArgs as MgmtCreateCanisterArgs,
};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError};
use sim_ledgers::cycles::{
    subaccount, CreateCanisterArgs, CreateCanisterError, CreateCanisterSuccess, CyclesLedgerInit,
    DepositArgs, DepositResult, RejectionCode, SubnetSelection, WithdrawArgs, WithdrawError,
};
use sim_ledgers::icp::icrc1_error;
use sim_ledgers::ids::CYCLES_FEE;
use sim_ledgers::Book;
use std::cell::RefCell;

thread_local! {
    static BOOK: RefCell<Book<Account>> = RefCell::new(Book::new(CYCLES_FEE));
    static SUBNET: RefCell<Principal> = const { RefCell::new(Principal::anonymous()) };
}

fn with_book<R>(f: impl FnOnce(&mut Book<Account>) -> R) -> R {
    BOOK.with_borrow_mut(f)
}

fn caller_account(subaccount: Option<[u8; 32]>) -> Account {
    Account {
        owner: ic_cdk::api::msg_caller(),
        subaccount,
    }
}

/// A `nat` amount of cycles; more than any balance (`u128::MAX`) when it does not fit.
fn cycles(amount: &Nat) -> u128 {
    u128::try_from(amount.0.clone()).unwrap_or(u128::MAX)
}

#[init]
fn init(arg: CyclesLedgerInit) {
    SUBNET.set(arg.subnet);
    with_book(|book| {
        for (account, amount) in arg.initial_balances {
            book.mint(account, cycles(&amount));
        }
    });
}

#[query]
fn icrc1_balance_of(account: Account) -> Nat {
    Nat::from(with_book(|book| book.balance(&account)))
}

#[query]
fn icrc1_fee() -> Nat {
    Nat::from(CYCLES_FEE)
}

#[query]
fn icrc1_decimals() -> u8 {
    12
}

#[query]
fn icrc1_symbol() -> String {
    "TCYCLES".to_string()
}

#[query]
fn icrc1_name() -> String {
    "Trillion Cycles".to_string()
}

#[update]
fn icrc1_transfer(arg: TransferArg) -> Result<Nat, TransferError> {
    let from = caller_account(arg.from_subaccount);
    let amount = cycles(&arg.amount);
    let fee = arg.fee.as_ref().map(cycles);
    with_book(|book| book.transfer(&from, arg.to, amount, fee))
        .map(Nat::from)
        .map_err(icrc1_error)
}

#[update]
fn deposit(arg: DepositArgs) -> DepositResult {
    let attached = ic_cdk::api::msg_cycles_available();
    if attached <= CYCLES_FEE {
        ic_cdk::trap(format!(
            "deposit: {attached} cycles attached, more than the fee ({CYCLES_FEE}) are needed"
        ));
    }
    let accepted = ic_cdk::api::msg_cycles_accept(attached);
    let credited = accepted - CYCLES_FEE;
    with_book(|book| {
        let block = book.mint(arg.to, credited);
        DepositResult {
            block_index: block.into(),
            balance: book.balance(&arg.to).into(),
        }
    })
}

#[update]
async fn withdraw(arg: WithdrawArgs) -> Result<Nat, WithdrawError> {
    let generic = |message: String| WithdrawError::GenericError {
        message,
        error_code: Nat::from(0u8),
    };
    let from = caller_account(subaccount(arg.from_subaccount.as_ref()).map_err(generic)?);
    let amount = cycles(&arg.amount);
    let fee_block = with_book(|book| book.burn(&from, amount)).map_err(|balance| {
        WithdrawError::InsufficientFunds {
            balance: balance.into(),
        }
    })?;
    let deposit = Call::unbounded_wait(Principal::management_canister(), "deposit_cycles")
        .with_arg(CanisterIdRecord {
            canister_id: arg.to,
        })
        .with_cycles(amount)
        .await;
    match deposit {
        Ok(_) => Ok(fee_block.into()),
        Err(failure) => {
            with_book(|book| book.mint(from, amount));
            let (rejection_code, rejection_reason) = rejection(&failure);
            Err(WithdrawError::FailedToWithdraw {
                fee_block: Some(fee_block.into()),
                rejection_code,
                rejection_reason,
            })
        }
    }
}

#[update]
async fn create_canister(
    arg: CreateCanisterArgs,
) -> Result<CreateCanisterSuccess, CreateCanisterError> {
    let generic = |message: String| CreateCanisterError::GenericError {
        message,
        error_code: Nat::from(0u8),
    };
    let from = caller_account(subaccount(arg.from_subaccount.as_ref()).map_err(generic)?);
    let creation = arg.creation_args.unwrap_or_default();
    let subnet = SUBNET.with_borrow(|subnet| *subnet);
    match creation.subnet_selection {
        None | Some(SubnetSelection::Filter { subnet_type: None }) => {}
        Some(SubnetSelection::Subnet { subnet: asked }) if asked == subnet => {}
        Some(other) => {
            return Err(generic(format!(
                "ic-sim has one subnet, {subnet}; cannot create on {other:?}"
            )))
        }
    }
    let amount = cycles(&arg.amount);
    let mut settings = creation.settings.unwrap_or_default();
    if settings.controllers.is_none() {
        settings.controllers = Some(vec![from.owner]);
    }
    let fee_block = with_book(|book| book.burn(&from, amount)).map_err(|balance| {
        CreateCanisterError::InsufficientFunds {
            balance: balance.into(),
        }
    })?;
    let created = create_through_management(settings, amount).await;
    match created {
        Ok(canister_id) => Ok(CreateCanisterSuccess {
            block_id: fee_block.into(),
            canister_id,
        }),
        Err(error) => {
            let refund_block = with_book(|book| book.mint(from, amount));
            Err(CreateCanisterError::FailedToCreate {
                fee_block: Some(fee_block.into()),
                refund_block: Some(refund_block.into()),
                error,
            })
        }
    }
}

/// The management canister's `create_canister` with `amount` cycles attached.
async fn create_through_management(
    settings: CanisterSettings,
    amount: u128,
) -> Result<Principal, String> {
    let args = MgmtCreateCanisterArgs {
        settings: Some(settings),
        sender_canister_version: Some(ic_cdk::api::canister_version()),
    };
    let reply = Call::unbounded_wait(Principal::management_canister(), "create_canister")
        .with_arg(args)
        .with_cycles(amount)
        .await
        .map_err(|failure| rejection(&failure).1)?;
    reply
        .candid::<CanisterIdRecord>()
        .map(|record| record.canister_id)
        .map_err(|e| e.to_string())
}

/// A failed call's reject code and message.
fn rejection(failure: &CallFailed) -> (RejectionCode, String) {
    match failure {
        CallFailed::CallRejected(rejected) => (
            RejectionCode::from_code(rejected.raw_reject_code()),
            rejected.reject_message().to_string(),
        ),
        other => (RejectionCode::SysTransient, other.to_string()),
    }
}
