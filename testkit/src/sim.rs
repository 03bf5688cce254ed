//! [`Ic`] for the embedded emulator: [`SimIc`] wraps an `ic_sim::Sim` so it can be driven through
//! `&self` like a `PocketIc`, and turns its errors into pocket-ic's reject type.

use crate::ic::{Ic, Outcall};
use candid::Principal;
use ic_management_canister_types::CanisterStatusResult;
use ic_sim::{Ingress, MessageId, OutcallResponse, Sim, UserError};
use pocket_ic::common::rest::RawEffectivePrincipal;
use pocket_ic::{CreateCanisterParams, ErrorCode, RejectCode, RejectResponse, Time};
use std::cell::RefCell;
use std::time::Duration;

/// The embedded emulator behind [`Ic`].
pub struct SimIc(RefCell<Sim>);

impl SimIc {
    /// Wraps `sim`.
    pub fn new(sim: Sim) -> SimIc {
        SimIc(RefCell::new(sim))
    }

    /// Runs `f` on the emulator itself, for what only it offers (fault injection, ...).
    pub fn with_sim<R>(&self, f: impl FnOnce(&mut Sim) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

/// The emulator's error as pocket-ic reports it (both use the IC's codes).
fn rejected(e: UserError) -> RejectResponse {
    RejectResponse {
        reject_code: RejectCode::try_from(e.reject_code as u64)
            .expect("the emulator uses the IC's reject codes"),
        reject_message: e.message,
        error_code: ErrorCode::try_from(e.error_code as u64)
            .expect("the emulator uses the IC's error codes"),
        certified: true,
    }
}

/// Implements each listed [`Ic`] operation as the emulator's method of the same name, its error
/// turned into a [`RejectResponse`].
macro_rules! same_name {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) -> Result<$ret, RejectResponse> {
            self.with_sim(|s| s.$name($($arg),*)).map_err(rejected)
        })*
    };
}

impl Ic for SimIc {
    type MessageId = MessageId;

    same_name! {
        fn upgrade_canister(&self, canister_id: Principal, wasm_module: Vec<u8>, arg: Vec<u8>, sender: Option<Principal>) -> ();
        fn submit_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> MessageId;
        fn update_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> Vec<u8>;
        fn query_call(&self, canister_id: Principal, sender: Principal, method: &str, payload: Vec<u8>) -> Vec<u8>;
        fn canister_status(&self, canister_id: Principal, sender: Option<Principal>) -> CanisterStatusResult;
        fn set_controllers(&self, canister_id: Principal, sender: Option<Principal>, new_controllers: Vec<Principal>) -> ();
    }

    fn create_canister_with_params(
        &self,
        sender: Option<Principal>,
        params: CreateCanisterParams,
    ) -> Result<Principal, String> {
        // pocket-ic's settings are an older release of the same Candid record (all fields opt).
        let settings = params.settings.map(|settings| {
            candid::decode_one(&candid::encode_one(settings).expect("encodes"))
                .expect("the engine's settings record extends pocket-ic's")
        });
        self.with_sim(|s| s.try_create_canister(sender, settings, params.cycles, None))
            .map_err(|e| e.message)
    }

    fn install_canister(
        &self,
        canister_id: Principal,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) {
        self.with_sim(|s| s.install_canister(canister_id, wasm_module, arg, sender))
            .unwrap_or_else(|e| panic!("installing {canister_id} failed: {}", e.message))
    }

    fn submit_call_with_effective_principal(
        &self,
        canister_id: Principal,
        effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<MessageId, RejectResponse> {
        let effective_canister_id = match effective_principal {
            RawEffectivePrincipal::CanisterId(bytes) => Some(Principal::from_slice(&bytes)),
            RawEffectivePrincipal::SubnetId(_) | RawEffectivePrincipal::None => None,
        };
        let ingress = Ingress {
            sender,
            canister_id,
            method: method.to_string(),
            payload,
            effective_canister_id,
        };
        self.with_sim(|s| s.submit_ingress(ingress))
            .map_err(rejected)
    }

    fn await_call(&self, message_id: MessageId) -> Result<Vec<u8>, RejectResponse> {
        self.with_sim(|s| s.await_call(&message_id))
            .map_err(rejected)
    }

    fn ingress_status(&self, message_id: MessageId) -> Option<Result<Vec<u8>, RejectResponse>> {
        self.with_sim(|s| s.ingress_status(&message_id))
            .map(|r| r.map_err(rejected))
    }

    fn tick(&self) {
        self.with_sim(Sim::tick)
    }

    fn advance_time(&self, duration: Duration) {
        self.with_sim(|s| s.advance_time(duration))
    }

    fn get_time(&self) -> Time {
        Time::from_nanos_since_unix_epoch(self.with_sim(|s| s.time_ns()))
    }

    fn cycle_balance(&self, canister_id: Principal) -> u128 {
        self.with_sim(|s| s.cycle_balance(canister_id))
            .unwrap_or_else(|e| panic!("cycle_balance: {e}"))
    }

    fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128 {
        self.with_sim(|s| s.add_cycles(canister_id, amount))
            .unwrap_or_else(|e| panic!("add_cycles: {e}"))
    }

    fn get_controllers(&self, canister_id: Principal) -> Vec<Principal> {
        self.with_sim(|s| s.controllers(canister_id))
            .unwrap_or_else(|e| panic!("controllers: {e}"))
    }

    fn pending_outcalls(&self) -> Vec<Outcall> {
        self.with_sim(|s| s.pending_outcalls())
            .into_iter()
            .map(|outcall| Outcall {
                id: outcall.id,
                url: outcall.url,
                headers: outcall
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: outcall.body,
            })
            .collect()
    }

    fn answer_outcall(&self, id: u64, status: u16) {
        let response = OutcallResponse::reply(status, vec![], vec![]);
        self.with_sim(|s| s.answer_outcall(id, response))
            .unwrap_or_else(|e| panic!("answer_outcall: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_sim::SimConfig;

    fn sim() -> SimIc {
        SimIc::new(Sim::new(SimConfig::default()))
    }

    #[test]
    fn the_emulators_rejects_carry_pocket_ics_codes() {
        let ic = sim();
        let missing = Principal::from_slice(&[0xAB; 10]);
        let reject = ic
            .update_call(missing, Principal::anonymous(), "anything", vec![])
            .unwrap_err();
        assert_eq!(reject.reject_code, RejectCode::DestinationInvalid);
        assert_eq!(reject.error_code, ErrorCode::CanisterNotFound);
    }

    #[test]
    fn run_for_moves_time_in_steps_the_last_one_cut_short() {
        let ic = sim();
        // Each round itself moves time a little (well under a millisecond).
        const MS: u64 = 1_000_000;
        let start = ic.time_ns();
        ic.step(Duration::ZERO, 3);
        assert!(ic.time_ns() - start < MS, "a zero step only runs rounds");
        let start = ic.time_ns();
        ic.run_for(25, 10, 1);
        let elapsed = ic.time_ns() - start;
        assert!(
            (25_000 * MS..25_001 * MS).contains(&elapsed),
            "10 s, 10 s, then 5 s: {elapsed} ns"
        );
    }
}
