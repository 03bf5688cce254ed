//! Where the story runs: the embedded emulator (`ic_sim::Sim`, what the demo command uses) or
//! any PocketIC-protocol server through the `pocket-ic` client (what the end-to-end tests use,
//! against our `ic-sim-server` or a real PocketIC). The story only needs what both offer.

use candid::Principal;
use ic_sim::management_types::{CanisterIdRecord, CanisterSettings, CanisterStatusResult};
use pocket_ic::common::rest::RawEffectivePrincipal;
use pocket_ic::{PocketIc, RejectResponse};
use std::time::Duration;

/// Cycles every canister is created with (PocketIC's fixed amount, matched in the emulator).
pub const CREATE_CYCLES: u128 = 100_000_000_000_000;

/// The measures of a canister the demo charts, from `canister_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meter {
    pub cycles: u128,
    pub heap_bytes: u64,
    pub stable_bytes: u64,
}

/// What the story does to an IC: create and install canisters, call them, move time.
///
/// Errors are the reject or error message, as a user would read it.
pub trait Backend {
    /// A submitted call whose result is fetched later with [`Backend::call_result`].
    type Pending;

    /// Creates a canister with `controllers` and [`CREATE_CYCLES`] cycles.
    fn create_canister(
        &mut self,
        sender: Principal,
        controllers: Vec<Principal>,
    ) -> Result<Principal, String>;
    /// Installs `wasm` on an empty canister.
    fn install(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String>;
    /// Upgrades the canister to `wasm`.
    fn upgrade(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String>;
    /// An update call, executed to completion.
    fn update(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String>;
    /// A query call.
    fn query(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String>;
    /// Submits a management canister call about `canister` without executing it.
    fn submit_management(
        &mut self,
        sender: Principal,
        method: &str,
        canister: Principal,
    ) -> Result<Self::Pending, String>;
    /// The result of a submitted call, `None` while it is still running.
    fn call_result(&mut self, pending: &Self::Pending) -> Option<Result<Vec<u8>, String>>;
    /// Moves IC time forward.
    fn advance_time(&mut self, by: Duration);
    /// Executes one round.
    fn tick(&mut self);
    /// IC time, nanoseconds since the epoch.
    fn time_ns(&mut self) -> u64;
    /// The canister's balance and memory, read with `canister_status` as `sender`.
    fn meter(&mut self, canister: Principal, sender: Principal) -> Result<Meter, String>;
}

fn meter_of(status: &CanisterStatusResult) -> Meter {
    let to_u64 = |n: &candid::Nat| u64::try_from(n.0.clone()).unwrap_or(u64::MAX);
    Meter {
        cycles: u128::try_from(status.cycles.0.clone()).unwrap_or(u128::MAX),
        heap_bytes: to_u64(&status.memory_metrics.wasm_memory_size),
        stable_bytes: to_u64(&status.memory_metrics.stable_memory_size),
    }
}

fn management_arg(canister: Principal) -> Vec<u8> {
    candid::encode_one(CanisterIdRecord {
        canister_id: canister,
    })
    .expect("a canister id record encodes")
}

impl Backend for ic_sim::Sim {
    type Pending = ic_sim::MessageId;

    fn create_canister(
        &mut self,
        sender: Principal,
        controllers: Vec<Principal>,
    ) -> Result<Principal, String> {
        let settings = CanisterSettings {
            controllers: Some(controllers),
            ..Default::default()
        };
        self.try_create_canister(Some(sender), Some(settings), Some(CREATE_CYCLES), None)
            .map_err(|e| e.message)
    }

    fn install(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String> {
        self.install_canister(canister, wasm, arg, Some(sender))
            .map_err(|e| e.message)
    }

    fn upgrade(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String> {
        self.upgrade_canister(canister, wasm, arg, Some(sender))
            .map_err(|e| e.message)
    }

    fn update(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.update_call(canister, sender, method, arg)
            .map_err(|e| e.message)
    }

    fn query(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.query_call(canister, sender, method, arg)
            .map_err(|e| e.message)
    }

    fn submit_management(
        &mut self,
        sender: Principal,
        method: &str,
        canister: Principal,
    ) -> Result<Self::Pending, String> {
        self.submit_ingress(ic_sim::Ingress {
            sender,
            canister_id: Principal::management_canister(),
            method: method.to_string(),
            payload: management_arg(canister),
            effective_canister_id: Some(canister),
        })
        .map_err(|e| e.message)
    }

    fn call_result(&mut self, pending: &Self::Pending) -> Option<Result<Vec<u8>, String>> {
        self.ingress_status(pending)
            .map(|r| r.map_err(|e| e.message))
    }

    fn advance_time(&mut self, by: Duration) {
        ic_sim::Sim::advance_time(self, by)
    }

    fn tick(&mut self) {
        ic_sim::Sim::tick(self)
    }

    fn time_ns(&mut self) -> u64 {
        ic_sim::Sim::time_ns(self)
    }

    fn meter(&mut self, canister: Principal, sender: Principal) -> Result<Meter, String> {
        self.canister_status(canister, Some(sender))
            .map(|s| meter_of(&s))
            .map_err(|e| e.message)
    }
}

fn reject_message(reject: RejectResponse) -> String {
    reject.reject_message
}

impl Backend for PocketIc {
    type Pending = pocket_ic::common::rest::RawMessageId;

    fn create_canister(
        &mut self,
        sender: Principal,
        controllers: Vec<Principal>,
    ) -> Result<Principal, String> {
        let settings = CanisterSettings {
            controllers: Some(controllers),
            ..Default::default()
        };
        Ok(self.create_canister_with_settings(Some(sender), Some(settings)))
    }

    fn install(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String> {
        self.install_canister(canister, wasm, arg, Some(sender));
        Ok(())
    }

    fn upgrade(
        &mut self,
        canister: Principal,
        wasm: Vec<u8>,
        arg: Vec<u8>,
        sender: Principal,
    ) -> Result<(), String> {
        self.upgrade_canister(canister, wasm, arg, Some(sender))
            .map_err(reject_message)
    }

    fn update(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.update_call(canister, sender, method, arg)
            .map_err(reject_message)
    }

    fn query(
        &mut self,
        canister: Principal,
        sender: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.query_call(canister, sender, method, arg)
            .map_err(reject_message)
    }

    fn submit_management(
        &mut self,
        sender: Principal,
        method: &str,
        canister: Principal,
    ) -> Result<Self::Pending, String> {
        self.submit_call_with_effective_principal(
            Principal::management_canister(),
            RawEffectivePrincipal::CanisterId(canister.as_slice().to_vec()),
            sender,
            method,
            management_arg(canister),
        )
        .map_err(reject_message)
    }

    fn call_result(&mut self, pending: &Self::Pending) -> Option<Result<Vec<u8>, String>> {
        self.ingress_status(pending.clone())
            .map(|r| r.map_err(reject_message))
    }

    fn advance_time(&mut self, by: Duration) {
        PocketIc::advance_time(self, by)
    }

    fn tick(&mut self) {
        PocketIc::tick(self)
    }

    fn time_ns(&mut self) -> u64 {
        self.get_time().as_nanos_since_unix_epoch()
    }

    fn meter(&mut self, canister: Principal, sender: Principal) -> Result<Meter, String> {
        self.canister_status(canister, Some(sender))
            .map(|s| meter_of(&s))
            .map_err(reject_message)
    }
}
