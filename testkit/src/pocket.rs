//! [`Ic`] for `pocket_ic::PocketIc`: each operation is the client's method of the same name.

use crate::ic::Ic;
use candid::Principal;
use ic_management_canister_types::CanisterStatusResult;
use pocket_ic::common::rest::{RawEffectivePrincipal, RawMessageId};
use pocket_ic::{CreateCanisterParams, PocketIc, RejectResponse, Time};
use std::time::Duration;

impl Ic for PocketIc {
    type MessageId = RawMessageId;

    fn create_canister_with_params(
        &self,
        sender: Option<Principal>,
        params: CreateCanisterParams,
    ) -> Result<Principal, String> {
        PocketIc::create_canister_with_params(self, sender, params)
    }

    fn install_canister(
        &self,
        canister_id: Principal,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) {
        PocketIc::install_canister(self, canister_id, wasm_module, arg, sender)
    }

    fn upgrade_canister(
        &self,
        canister_id: Principal,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::upgrade_canister(self, canister_id, wasm_module, arg, sender)
    }

    fn submit_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        PocketIc::submit_call(self, canister_id, sender, method, payload)
    }

    fn submit_call_with_effective_principal(
        &self,
        canister_id: Principal,
        effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<RawMessageId, RejectResponse> {
        PocketIc::submit_call_with_effective_principal(
            self,
            canister_id,
            effective_principal,
            sender,
            method,
            payload,
        )
    }

    fn await_call(&self, message_id: RawMessageId) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::await_call(self, message_id)
    }

    fn ingress_status(&self, message_id: RawMessageId) -> Option<Result<Vec<u8>, RejectResponse>> {
        PocketIc::ingress_status(self, message_id)
    }

    fn update_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::update_call(self, canister_id, sender, method, payload)
    }

    fn query_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse> {
        PocketIc::query_call(self, canister_id, sender, method, payload)
    }

    fn tick(&self) {
        PocketIc::tick(self)
    }

    fn advance_time(&self, duration: Duration) {
        PocketIc::advance_time(self, duration)
    }

    fn get_time(&self) -> Time {
        PocketIc::get_time(self)
    }

    fn cycle_balance(&self, canister_id: Principal) -> u128 {
        PocketIc::cycle_balance(self, canister_id)
    }

    fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128 {
        PocketIc::add_cycles(self, canister_id, amount)
    }

    fn canister_status(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse> {
        PocketIc::canister_status(self, canister_id, sender)
    }

    fn get_controllers(&self, canister_id: Principal) -> Vec<Principal> {
        PocketIc::get_controllers(self, canister_id)
    }

    fn set_controllers(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
        new_controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse> {
        PocketIc::set_controllers(self, canister_id, sender, new_controllers)
    }
}
