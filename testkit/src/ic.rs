//! [`Ic`]: an IC with our canisters on it, in pocket-ic's words. Implementations provide the raw
//! operations; typed calls, management shortcuts and time stepping are written here once.

use candid::utils::{ArgumentDecoder, ArgumentEncoder};
use candid::Principal;
use ic_management_canister_types::{CanisterIdRecord, CanisterStatusResult};
use pocket_ic::common::rest::RawEffectivePrincipal;
use pocket_ic::{CanisterSettings, CreateCanisterParams, RejectResponse, Time};
use std::time::Duration;

/// Rounds run after each emulated time step: one for a due timer and the calls it makes, one for
/// the timer the monitor re-arms when that work produced more (a poll's event is delivered next).
pub const ROUNDS_PER_STEP: usize = 2;

/// An HTTPS outcall a canister made, waiting for its answer: what a receiver gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcall {
    /// The id the answer names.
    pub id: u64,
    /// Where the request goes.
    pub url: String,
    /// Its headers, as `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
}

impl Outcall {
    /// The value of header `name` (case-insensitive), if the request has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An IC with canisters on it: `pocket_ic::PocketIc` or the embedded emulator ([`crate::SimIc`]).
/// Methods are named, typed and fail as pocket-ic's.
pub trait Ic {
    /// A submitted call, awaited with [`Ic::await_call`] or polled with [`Ic::ingress_status`].
    type MessageId: Clone;

    /// Creates a canister as `sender` with the given cycles and settings.
    fn create_canister_with_params(
        &self,
        sender: Option<Principal>,
        params: CreateCanisterParams,
    ) -> Result<Principal, String>;
    /// Installs `wasm_module` on an empty canister; panics if it fails.
    fn install_canister(
        &self,
        canister_id: Principal,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    );
    /// Upgrades the canister to `wasm_module`.
    fn upgrade_canister(
        &self,
        canister_id: Principal,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
        sender: Option<Principal>,
    ) -> Result<(), RejectResponse>;
    /// Submits an update call without executing it.
    fn submit_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Self::MessageId, RejectResponse>;
    /// Submits a call routed by `effective_principal` (management canister calls).
    fn submit_call_with_effective_principal(
        &self,
        canister_id: Principal,
        effective_principal: RawEffectivePrincipal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Self::MessageId, RejectResponse>;
    /// Runs rounds until a submitted call completes.
    fn await_call(&self, message_id: Self::MessageId) -> Result<Vec<u8>, RejectResponse>;
    /// The result of a submitted call, `None` while it is still running.
    fn ingress_status(
        &self,
        message_id: Self::MessageId,
    ) -> Option<Result<Vec<u8>, RejectResponse>>;
    /// An update call, executed to completion.
    fn update_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse>;
    /// A query call.
    fn query_call(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, RejectResponse>;
    /// Executes one round.
    fn tick(&self);
    /// Moves IC time forward.
    fn advance_time(&self, duration: Duration);
    /// IC time.
    fn get_time(&self) -> Time;
    /// The canister's cycle balance.
    fn cycle_balance(&self, canister_id: Principal) -> u128;
    /// Adds cycles to the canister; returns its new balance.
    fn add_cycles(&self, canister_id: Principal, amount: u128) -> u128;
    /// `canister_status`, called as `sender`.
    fn canister_status(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
    ) -> Result<CanisterStatusResult, RejectResponse>;
    /// The canister's controllers.
    fn get_controllers(&self, canister_id: Principal) -> Vec<Principal>;
    /// Replaces the canister's controllers, as `sender`.
    fn set_controllers(
        &self,
        canister_id: Principal,
        sender: Option<Principal>,
        new_controllers: Vec<Principal>,
    ) -> Result<(), RejectResponse>;
    /// The HTTPS outcalls waiting for an answer, oldest first (pocket-ic's `get_canister_http`).
    fn pending_outcalls(&self) -> Vec<Outcall>;
    /// Answers pending outcall `id` with an HTTP reply of `status` and no body (pocket-ic's
    /// `mock_canister_http_response`); the caller sees it after the next round.
    fn answer_outcall(&self, id: u64, status: u16);

    // ---- written once, on the operations above ----

    /// An update call as `sender` with Candid arguments and results (`pocket_ic::update_candid_as`).
    fn update_candid_as<Input, Output>(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        input: Input,
    ) -> Result<Output, RejectResponse>
    where
        Input: ArgumentEncoder,
        Output: for<'a> ArgumentDecoder<'a>,
    {
        pocket_ic::with_candid(input, |bytes| {
            self.update_call(canister_id, sender, method, bytes)
        })
    }

    /// A query as `sender` with Candid arguments and results (`pocket_ic::query_candid_as`).
    fn query_candid_as<Input, Output>(
        &self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        input: Input,
    ) -> Result<Output, RejectResponse>
    where
        Input: ArgumentEncoder,
        Output: for<'a> ArgumentDecoder<'a>,
    {
        pocket_ic::with_candid(input, |bytes| {
            self.query_call(canister_id, sender, method, bytes)
        })
    }

    /// Creates a canister as `sender` with `cycles`, controlled by `controllers`.
    fn create_canister_with_controllers(
        &self,
        sender: Principal,
        controllers: Vec<Principal>,
        cycles: u128,
    ) -> Principal {
        self.create_canister_with_params(
            Some(sender),
            CreateCanisterParams {
                cycles: Some(cycles),
                settings: Some(CanisterSettings {
                    controllers: Some(controllers),
                    ..Default::default()
                }),
                placement: None,
            },
        )
        .unwrap_or_else(|e| panic!("canister creation failed: {e}"))
    }

    /// Submits a management canister call about `canister_id` as `sender`, without executing it.
    fn submit_management_call(
        &self,
        sender: Principal,
        method: &str,
        canister_id: Principal,
        payload: Vec<u8>,
    ) -> Result<Self::MessageId, RejectResponse> {
        self.submit_call_with_effective_principal(
            Principal::management_canister(),
            RawEffectivePrincipal::CanisterId(canister_id.as_slice().to_vec()),
            sender,
            method,
            payload,
        )
    }

    /// Submits a management canister call whose argument is `canister_id` alone
    /// (`stop_canister`, `start_canister`, ...), without executing it.
    fn submit_canister_id_call(
        &self,
        sender: Principal,
        method: &str,
        canister_id: Principal,
    ) -> Result<Self::MessageId, RejectResponse> {
        let payload = candid::encode_one(CanisterIdRecord { canister_id })
            .expect("a canister id record encodes");
        self.submit_management_call(sender, method, canister_id, payload)
    }

    /// IC time, nanoseconds since the epoch.
    fn time_ns(&self) -> u64 {
        self.get_time().as_nanos_since_unix_epoch()
    }

    /// One emulated time step: moves time forward by `duration` (if not zero), then runs
    /// `rounds` rounds.
    fn step(&self, duration: Duration, rounds: usize) {
        if !duration.is_zero() {
            self.advance_time(duration);
        }
        for _ in 0..rounds {
            self.tick();
        }
    }

    /// Runs `seconds` of emulated time in steps of at most `step_seconds`, `rounds` rounds after
    /// each step.
    fn run_for(&self, seconds: u64, step_seconds: u64, rounds: usize) {
        let mut left = seconds;
        while left > 0 {
            let step = step_seconds.min(left);
            self.step(Duration::from_secs(step), rounds);
            left -= step;
        }
    }
}
