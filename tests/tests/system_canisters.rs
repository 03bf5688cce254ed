//! The stand-ins of the ICP ledger, the cycles ledger and the cycles minting canister that
//! ic-sim's icp-cli launcher installs, called through the `pocket-ic` client with the Candid types
//! icp-cli uses: transfers and balances, canister creation and withdrawals through the management
//! canister, minting from an ICP transfer read back from the ICP ledger, and the refusals with
//! the ledgers' own error variants.

use candid::{Nat, Principal};
use icrc_ledger_types::icrc1::account::Account;
use icrc_ledger_types::icrc1::transfer::{TransferArg, TransferError as Icrc1TransferError};
use integration_tests::sdk::{query, update};
use integration_tests::system_canisters::install_stand_ins;
use pocket_ic::{PocketIc, PocketIcBuilder};
use sim_ledgers::account_id::{AccountIdentifier, Subaccount};
use sim_ledgers::cmc::{
    IcpXdrConversionRateResponse, NotifyError, NotifyMintCyclesArg, NotifyMintCyclesSuccess,
    MEMO_MINT_CYCLES,
};
use sim_ledgers::cycles::{
    CreateCanisterArgs, CreateCanisterError, CreateCanisterSuccess, CreationArgs, RejectionCode,
    SubnetSelection, WithdrawArgs, WithdrawError,
};
use sim_ledgers::icp::{Memo, Tokens, TransferArgs, TransferError, TransferResult};
use sim_ledgers::ids::{
    CYCLES_FEE, CYCLES_LEDGER, CYCLES_MINTING_CANISTER, ICP_FEE_E8S, ICP_LEDGER,
};
use sim_ledgers::network::{ANONYMOUS_CYCLES, ANONYMOUS_ICP_E8S};

const T: u128 = 1_000_000_000_000;

fn network() -> (PocketIc, Principal) {
    let pic = PocketIcBuilder::new().with_application_subnet().build();
    let subnet = install_stand_ins(&pic);
    (pic, subnet)
}

fn user(n: u8) -> Principal {
    Principal::self_authenticating([n; 32])
}

fn account(owner: Principal) -> Account {
    Account {
        owner,
        subaccount: None,
    }
}

fn balance(pic: &PocketIc, ledger: Principal, owner: Principal) -> u128 {
    let balance: Nat = query(pic, ledger, "icrc1_balance_of", (account(owner),)).unwrap();
    u128::try_from(balance.0).unwrap()
}

fn icp_transfer(
    pic: &PocketIc,
    from: Principal,
    to: AccountIdentifier,
    e8s: u64,
    memo: u64,
) -> TransferResult {
    let args = TransferArgs {
        memo: Memo(memo),
        amount: Tokens { e8s },
        fee: Tokens { e8s: ICP_FEE_E8S },
        from_subaccount: None,
        to,
        created_at_time: None,
    };
    update(pic, ICP_LEDGER, from, "transfer", (args,)).unwrap()
}

fn cycles_transfer(
    pic: &PocketIc,
    from: Principal,
    to: Principal,
    amount: u128,
) -> Result<Nat, Icrc1TransferError> {
    let arg = TransferArg {
        from_subaccount: None,
        to: account(to),
        fee: None,
        created_at_time: None,
        memo: None,
        amount: Nat::from(amount),
    };
    update(pic, CYCLES_LEDGER, from, "icrc1_transfer", (arg,)).unwrap()
}

#[test]
fn the_icp_ledger_moves_icp_and_refuses_bad_transfers() {
    let (pic, _) = network();
    let anonymous = Principal::anonymous();
    assert_eq!(
        balance(&pic, ICP_LEDGER, anonymous),
        u128::from(ANONYMOUS_ICP_E8S)
    );
    let alice = user(1);
    let alice_id = AccountIdentifier::new(&alice, &Subaccount::DEFAULT);
    assert_eq!(
        icp_transfer(&pic, anonymous, alice_id, 5_0000_0000, 0),
        Ok(1)
    );
    assert_eq!(balance(&pic, ICP_LEDGER, alice), 5_0000_0000);
    let legacy: Tokens = query(
        &pic,
        ICP_LEDGER,
        "account_balance",
        (sim_ledgers::icp::AccountBalanceArgs { account: alice_id },),
    )
    .unwrap();
    assert_eq!(legacy, Tokens { e8s: 5_0000_0000 });

    // ICRC-1 from alice to bob; the fee comes out of alice's balance.
    let bob = user(2);
    let arg = TransferArg {
        from_subaccount: None,
        to: account(bob),
        fee: Some(Nat::from(ICP_FEE_E8S)),
        created_at_time: None,
        memo: None,
        amount: Nat::from(1_0000_0000u64),
    };
    let sent: Result<Nat, Icrc1TransferError> =
        update(&pic, ICP_LEDGER, alice, "icrc1_transfer", (arg,)).unwrap();
    assert_eq!(sent, Ok(Nat::from(2u64)));
    assert_eq!(balance(&pic, ICP_LEDGER, bob), 1_0000_0000);
    assert_eq!(
        balance(&pic, ICP_LEDGER, alice),
        4_0000_0000 - u128::from(ICP_FEE_E8S)
    );

    // Refusals: more than the balance, a fee other than the ledger's.
    let anon_id = AccountIdentifier::new(&anonymous, &Subaccount::DEFAULT);
    assert_eq!(
        icp_transfer(&pic, bob, anon_id, 1_0000_0000, 0),
        Err(TransferError::InsufficientFunds {
            balance: Tokens { e8s: 1_0000_0000 }
        })
    );
    let mut bad_fee = TransferArgs {
        memo: Memo(0),
        amount: Tokens { e8s: 1 },
        fee: Tokens { e8s: 1 },
        from_subaccount: None,
        to: anon_id,
        created_at_time: None,
    };
    let refused: TransferResult =
        update(&pic, ICP_LEDGER, bob, "transfer", (bad_fee.clone(),)).unwrap();
    assert_eq!(
        refused,
        Err(TransferError::BadFee {
            expected_fee: Tokens { e8s: ICP_FEE_E8S }
        })
    );
    bad_fee.fee = Tokens { e8s: ICP_FEE_E8S };
    let accepted: TransferResult = update(&pic, ICP_LEDGER, bob, "transfer", (bad_fee,)).unwrap();
    assert_eq!(accepted, Ok(3));
    let fee: Nat = query(&pic, ICP_LEDGER, "icrc1_fee", ()).unwrap();
    let decimals: u8 = query(&pic, ICP_LEDGER, "icrc1_decimals", ()).unwrap();
    let symbol: String = query(&pic, ICP_LEDGER, "icrc1_symbol", ()).unwrap();
    assert_eq!(
        (fee, decimals, symbol.as_str()),
        (Nat::from(ICP_FEE_E8S), 8, "ICP")
    );
}

#[test]
fn the_cycles_ledger_creates_canisters_and_withdraws_through_the_management_canister() {
    let (pic, subnet) = network();
    let anonymous = Principal::anonymous();
    assert_eq!(balance(&pic, CYCLES_LEDGER, anonymous), ANONYMOUS_CYCLES);
    let alice = user(1);
    assert_eq!(
        cycles_transfer(&pic, anonymous, alice, 100 * T),
        Ok(Nat::from(1u64))
    );
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), 100 * T);
    assert_eq!(
        cycles_transfer(&pic, user(9), alice, 1),
        Err(Icrc1TransferError::InsufficientFunds {
            balance: Nat::from(0u8)
        })
    );

    // create_canister: controllers default to the caller, the cycles go to the new canister.
    let create = |amount: u128, selection: Option<SubnetSelection>| CreateCanisterArgs {
        from_subaccount: None,
        created_at_time: None,
        amount: Nat::from(amount),
        creation_args: Some(CreationArgs {
            subnet_selection: selection,
            settings: None,
        }),
    };
    let here = Some(SubnetSelection::Subnet { subnet });
    let created: Result<CreateCanisterSuccess, CreateCanisterError> = update(
        &pic,
        CYCLES_LEDGER,
        alice,
        "create_canister",
        (create(10 * T, here),),
    )
    .unwrap();
    let canister = created.unwrap().canister_id;
    assert_eq!(pic.get_controllers(canister), vec![alice]);
    let cycles = pic.cycle_balance(canister);
    assert!(cycles > 9 * T && cycles <= 10 * T, "{cycles}");
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), 90 * T - CYCLES_FEE);

    let elsewhere = Some(SubnetSelection::Subnet { subnet: alice });
    let refused: Result<CreateCanisterSuccess, CreateCanisterError> = update(
        &pic,
        CYCLES_LEDGER,
        alice,
        "create_canister",
        (create(T, elsewhere),),
    )
    .unwrap();
    assert!(
        matches!(refused, Err(CreateCanisterError::GenericError { ref message, .. }) if message.contains("one subnet")),
        "{refused:?}"
    );
    let too_much: Result<CreateCanisterSuccess, CreateCanisterError> = update(
        &pic,
        CYCLES_LEDGER,
        alice,
        "create_canister",
        (create(100 * T, None),),
    )
    .unwrap();
    assert_eq!(
        too_much,
        Err(CreateCanisterError::InsufficientFunds {
            balance: Nat::from(90 * T - CYCLES_FEE)
        })
    );

    // withdraw: deposit_cycles to the canister.
    let withdraw = |to: Principal, amount: u128| WithdrawArgs {
        amount: Nat::from(amount),
        from_subaccount: None,
        to,
        created_at_time: None,
    };
    let withdrawn: Result<Nat, WithdrawError> = update(
        &pic,
        CYCLES_LEDGER,
        alice,
        "withdraw",
        (withdraw(canister, 5 * T),),
    )
    .unwrap();
    assert!(withdrawn.is_ok(), "{withdrawn:?}");
    assert!(pic.cycle_balance(canister) >= cycles + 5 * T - T / 100);
    let left = 85 * T - 2 * CYCLES_FEE;
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), left);

    // To a canister that does not exist: refunded, but the fee is kept.
    let failed: Result<Nat, WithdrawError> = update(
        &pic,
        CYCLES_LEDGER,
        alice,
        "withdraw",
        (withdraw(user(7), T),),
    )
    .unwrap();
    assert!(
        matches!(failed, Err(WithdrawError::FailedToWithdraw { rejection_code, .. }) if rejection_code != RejectionCode::NoError),
        "{failed:?}"
    );
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), left - CYCLES_FEE);
    let broke: Result<Nat, WithdrawError> = update(
        &pic,
        CYCLES_LEDGER,
        user(3),
        "withdraw",
        (withdraw(canister, 1),),
    )
    .unwrap();
    assert_eq!(
        broke,
        Err(WithdrawError::InsufficientFunds {
            balance: Nat::from(0u8)
        })
    );
}

#[test]
fn the_cmc_mints_cycles_from_an_icp_transfer_once() {
    let (pic, subnet) = network();
    let subnets: Vec<Principal> =
        query(&pic, CYCLES_MINTING_CANISTER, "get_default_subnets", ()).unwrap();
    assert_eq!(subnets, vec![subnet]);
    let rate: IcpXdrConversionRateResponse = query(
        &pic,
        CYCLES_MINTING_CANISTER,
        "get_icp_xdr_conversion_rate",
        (),
    )
    .unwrap();
    let cycles_per_e8 = u128::from(rate.data.xdr_permyriad_per_icp);

    let alice = user(1);
    let anonymous = Principal::anonymous();
    let alice_id = AccountIdentifier::new(&alice, &Subaccount::DEFAULT);
    icp_transfer(&pic, anonymous, alice_id, 10_0000_0000, 0).unwrap();
    let cmc_account = AccountIdentifier::new(&CYCLES_MINTING_CANISTER, &Subaccount::from(alice));
    let block = icp_transfer(&pic, alice, cmc_account, 2_0000_0000, MEMO_MINT_CYCLES).unwrap();
    let notify =
        |caller: Principal, block_index: u64| -> Result<NotifyMintCyclesSuccess, NotifyError> {
            let arg = NotifyMintCyclesArg {
                block_index,
                to_subaccount: None,
                deposit_memo: None,
            };
            update(
                &pic,
                CYCLES_MINTING_CANISTER,
                caller,
                "notify_mint_cycles",
                (arg,),
            )
            .unwrap()
        };
    let minted = notify(alice, block).unwrap();
    let expected = 2_0000_0000 * cycles_per_e8;
    assert_eq!(minted.minted, Nat::from(expected));
    assert_eq!(minted.balance, Nat::from(expected - CYCLES_FEE));
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), expected - CYCLES_FEE);

    // Notified again: the same answer, nothing minted twice.
    assert_eq!(notify(alice, block), Ok(minted));
    assert_eq!(balance(&pic, CYCLES_LEDGER, alice), expected - CYCLES_FEE);

    // Someone else's transfer, a transfer without the MINT memo, a block that does not exist.
    let bob = user(2);
    assert!(matches!(
        notify(bob, block),
        Err(NotifyError::InvalidTransaction(_))
    ));
    let plain = icp_transfer(&pic, alice, cmc_account, 1_0000_0000, 0).unwrap();
    assert!(
        matches!(notify(alice, plain), Err(NotifyError::InvalidTransaction(m)) if m.contains("memo"))
    );
    assert!(
        matches!(notify(alice, 999), Err(NotifyError::InvalidTransaction(m)) if m.contains("no block 999"))
    );
    assert_eq!(balance(&pic, CYCLES_LEDGER, bob), 0);
}
