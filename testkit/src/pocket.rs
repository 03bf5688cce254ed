//! [`Ic`] for `pocket_ic::PocketIc`: each operation is the client's method of the same name.

use crate::ic::{Ic, Outcall};
use candid::Principal;
use ic_management_canister_types::{CanisterIdRecord, CanisterStatusResult};
use pocket_ic::common::rest::{
    CanisterHttpReply, CanisterHttpResponse, MockCanisterHttpResponse, RawEffectivePrincipal,
    RawMessageId,
};
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
        fn get_controllers(&self, canister_id: Principal) -> Vec<Principal>;
        fn set_controllers(&self, canister_id: Principal, sender: Option<Principal>, new_controllers: Vec<Principal>) -> Result<(), RejectResponse>;
    }

    /// By a raw call: the client's own `canister_status` decodes the reply with its older
    /// management types; this decodes it with the workspace's (the newest published) ones.
    fn canister_status(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse> {
        let reply = self.update_call_with_effective_principal(
            Principal::management_canister(),
            RawEffectivePrincipal::CanisterId(canister_id.as_slice().to_vec()),
            sender.unwrap_or_else(Principal::anonymous),
            "canister_status",
            candid::encode_one(CanisterIdRecord { canister_id }).expect("encodes"),
        )?;
        Ok(candid::decode_one(&reply).expect("canister_status replies with the management types"))
    }

    fn pending_outcalls(&self) -> Vec<Outcall> {
        self.get_canister_http()
            .into_iter()
            .map(|request| Outcall {
                id: request.request_id,
                url: request.url,
                headers: request
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: request.body,
            })
            .collect()
    }

    fn answer_outcall(&self, id: u64, status: u16) {
        let request = self
            .get_canister_http()
            .into_iter()
            .find(|r| r.request_id == id)
            .unwrap_or_else(|| panic!("outcall {id} is not pending"));
        self.mock_canister_http_response(MockCanisterHttpResponse {
            subnet_id: request.subnet_id,
            request_id: id,
            response: CanisterHttpResponse::CanisterHttpReply(CanisterHttpReply {
                status,
                headers: vec![],
                body: vec![],
            }),
            additional_responses: vec![],
        });
    }
}
