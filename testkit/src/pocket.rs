//! [`Ic`] for `pocket_ic::PocketIc`: each operation is the client's method of the same name.

use crate::ic::Ic;
use candid::Principal;
use ic_management_canister_types::CanisterStatusResult;
use pocket_ic::common::rest::{RawEffectivePrincipal, RawMessageId};
use pocket_ic::{CreateCanisterParams, PocketIc, RejectResponse, Time};
use std::time::Duration;

/// Implements each listed [`Ic`] operation as the `PocketIc` method of the same name.
macro_rules! same_name {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) $(-> $ret)? { PocketIc::$name(self $(, $arg)*) })*
    };
}

impl Ic for PocketIc {
    type MessageId = RawMessageId;

    same_name! {
        fn create_canister_with_params(&self, sender: Option<Principal>, params: CreateCanisterParams) -> Result<Principal, String>;
        fn install_canister(&self, canister_id: Principal, wasm_module: Vec<u8>, arg: Vec<u8>, sender: Option<Principal>);
        fn upgrade_canister(&self, canister_id: Principal, wasm_module: Vec<u8>, arg: Vec<u8>, sender: Option<Principal>) -> Result<(), RejectResponse>;
        fn submit_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> Result<RawMessageId, RejectResponse>;
        fn submit_call_with_effective_principal(&self, canister_id: Principal, effective_principal: RawEffectivePrincipal, sender: Principal, method: &str, payload: Vec<u8>) -> Result<RawMessageId, RejectResponse>;
        fn await_call(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse>;
        fn ingress_status(&self, message_id: RawMessageId) -> Option<Result<Vec<u8>, RejectResponse>>;
        fn update_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> Result<Vec<u8>, RejectResponse>;
        fn query_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> Result<Vec<u8>, RejectResponse>;
        fn tick(&self);
        fn advance_time(&self, duration: Duration);
        fn get_time(&self) -> Time;
        fn cycle_balance(&self, canister_id: Principal) -> u128;
        fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128;
        fn canister_status(&self, canister_id: Principal, sender: Option<Principal>) -> Result<CanisterStatusResult, RejectResponse>;
        fn get_controllers(&self, canister_id: Principal) -> Vec<Principal>;
        fn set_controllers(&self, canister_id: Principal, sender: Option<Principal>, new_controllers: Vec<Principal>) -> Result<(), RejectResponse>;
    }
}
