//! ic-sim's stand-in for the cycles minting canister (`rkp4c-7iaaa-aaaaa-aaaca-cai`):
//! `get_default_subnets` names ic-sim's one subnet, `get_icp_xdr_conversion_rate` answers a fixed
//! rate, and `notify_mint_cycles` reads the caller's ICP transfer from the ICP ledger
//! (`query_blocks`), checks it went to the CMC's subaccount of the caller with the `MINT` memo,
//! and deposits the cycles it buys on the cycles ledger (`deposit`). The real CMC creates those
//! cycles (`ic0.mint_cycles`); the stand-in spends its own balance, given at install. A block is
//! minted once: notifying it again (as its sender) answers the first result. State is on the heap.

use candid::{Nat, Principal};
use ic_cdk::call::Call;
use ic_cdk::{init, query, update};
use icrc_ledger_types::icrc1::account::Account;
use sim_ledgers::cmc::{
    conversion_rate, cycles_to_mint, CmcInit, IcpXdrConversionRateResponse, NotifyError,
    NotifyMintCyclesArg, NotifyMintCyclesSuccess,
};
use sim_ledgers::cycles::{subaccount, DepositArgs, DepositResult};
use sim_ledgers::icp::{GetBlocksArgs, QueryBlocksResponse};
use sim_ledgers::ids::{CYCLES_LEDGER, ICP_LEDGER};
use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    static SUBNET: RefCell<Principal> = const { RefCell::new(Principal::anonymous()) };
    /// The result of each block already minted, by ICP ledger block index.
    static MINTED: RefCell<BTreeMap<u64, NotifyMintCyclesSuccess>> = const { RefCell::new(BTreeMap::new()) };
}

#[init]
fn init(arg: CmcInit) {
    SUBNET.set(arg.subnet);
}

#[query]
fn get_default_subnets() -> Vec<Principal> {
    vec![SUBNET.with_borrow(|subnet| *subnet)]
}

#[query]
fn get_icp_xdr_conversion_rate() -> IcpXdrConversionRateResponse {
    conversion_rate()
}

fn other(error_message: String) -> NotifyError {
    NotifyError::Other {
        error_code: 0,
        error_message,
    }
}

#[update]
async fn notify_mint_cycles(
    arg: NotifyMintCyclesArg,
) -> Result<NotifyMintCyclesSuccess, NotifyError> {
    let caller = ic_cdk::api::msg_caller();
    let to_subaccount =
        subaccount(arg.to_subaccount.as_ref()).map_err(NotifyError::InvalidTransaction)?;
    let query = GetBlocksArgs {
        start: arg.block_index,
        length: 1,
    };
    let blocks: QueryBlocksResponse = Call::unbounded_wait(ICP_LEDGER, "query_blocks")
        .with_arg(query)
        .await
        .map_err(|e| other(format!("query_blocks: {e}")))?
        .candid()
        .map_err(|e| other(format!("query_blocks: {e}")))?;
    let Some(block) = blocks.blocks.first() else {
        return Err(NotifyError::InvalidTransaction(format!(
            "the ICP ledger has no block {} (its chain has {} blocks)",
            arg.block_index, blocks.chain_length
        )));
    };
    let cycles = cycles_to_mint(block, ic_cdk::api::canister_self(), caller)?;
    // Minted already (by an earlier or a concurrent notification): the same answer.
    if let Some(done) = MINTED.with_borrow(|minted| minted.get(&arg.block_index).cloned()) {
        return Ok(done);
    }
    let deposit = DepositArgs {
        to: Account {
            owner: caller,
            subaccount: to_subaccount,
        },
        memo: None,
    };
    // Recorded before the deposit so that a concurrent notification cannot mint it twice; a
    // failed deposit forgets it again.
    let pending = NotifyMintCyclesSuccess {
        block_index: Nat::from(0u8),
        minted: Nat::from(0u8),
        balance: Nat::from(0u8),
    };
    MINTED.with_borrow_mut(|minted| minted.insert(arg.block_index, pending));
    let deposited = Call::unbounded_wait(CYCLES_LEDGER, "deposit")
        .with_arg(deposit)
        .with_cycles(cycles)
        .await
        .map_err(|e| other(format!("deposit: {e}")))
        .and_then(|reply| {
            reply
                .candid::<DepositResult>()
                .map_err(|e| other(format!("deposit: {e}")))
        });
    match deposited {
        Ok(result) => {
            let done = NotifyMintCyclesSuccess {
                block_index: result.block_index,
                minted: Nat::from(cycles),
                balance: result.balance,
            };
            MINTED.with_borrow_mut(|minted| minted.insert(arg.block_index, done.clone()));
            Ok(done)
        }
        Err(error) => {
            MINTED.with_borrow_mut(|minted| minted.remove(&arg.block_index));
            Err(error)
        }
    }
}
