//! The local replica a dfx user talks to, played by a PocketIC instance (`POCKET_IC_BIN`, our
//! emulator in CI) driven through the test kit. One identity, the operator, creates, controls and
//! calls everything, as the default dfx identity does. Time moves only in whole rounds of one
//! second, as on a replica.

use candid::Principal;
use canister_hooks_testkit::Ic;
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterStatusResult, CanisterStatusType,
    InstallCodeArgs,
};
use pocket_ic::common::rest::RawMessageId;
use pocket_ic::{PocketIc, RejectResponse};
use std::time::Duration;

/// Rounds an update call may take before it counts as stuck.
const MAX_CALL_ROUNDS: usize = 100;
/// How long `dfx canister stop` waits for a canister's open calls.
const MAX_STOP_SECONDS: u64 = 600;

/// A PocketIC instance and the operator's identity.
pub struct Replica {
    pic: PocketIc,
    operator: Principal,
    started_ns: u64,
}

/// A reject as dfx reports it.
fn rejected(r: RejectResponse) -> String {
    format!(
        "the replica returned a rejection error: reject code {:?}, reject message {}, error code {}",
        r.reject_code, r.reject_message, r.error_code
    )
}

impl Replica {
    /// A fresh instance.
    pub fn start() -> Replica {
        let pic = PocketIc::new();
        let started_ns = pic.time_ns();
        Replica {
            pic,
            operator: Principal::self_authenticating(b"dfx walkthrough operator"),
            started_ns,
        }
    }

    /// Seconds of IC time since the start.
    pub fn elapsed_secs(&self) -> u64 {
        (self.pic.time_ns() - self.started_ns) / 1_000_000_000
    }

    /// Creates an empty canister with `cycles`, controlled by the operator.
    pub fn create(&self, cycles: u128) -> Principal {
        self.pic
            .create_canister_with_controllers(self.operator, vec![self.operator], cycles)
    }

    /// SHA-256 of the installed module, `None` while the canister is empty.
    pub fn module_hash(&self, canister: Principal) -> Result<Option<Vec<u8>>, String> {
        self.pic
            .canister_status(canister, Some(self.operator))
            .map(|s| s.module_hash)
            .map_err(rejected)
    }

    /// `install_code` in `mode`.
    pub fn install(
        &self,
        canister: Principal,
        mode: CanisterInstallMode,
        wasm_module: Vec<u8>,
        arg: Vec<u8>,
    ) -> Result<(), String> {
        let args = InstallCodeArgs {
            mode,
            canister_id: canister,
            wasm_module,
            arg,
            sender_canister_version: None,
        };
        let payload = candid::encode_one(args).expect("install_code arguments encode");
        let pending = self
            .pic
            .submit_management_call(self.operator, "install_code", canister, payload)
            .map_err(rejected)?;
        self.await_rounds(pending).map(|_| ())
    }

    /// Adds `controller` to the canister's controllers.
    pub fn add_controller(&self, canister: Principal, controller: Principal) -> Result<(), String> {
        let mut controllers = self.pic.get_controllers(canister);
        if !controllers.contains(&controller) {
            controllers.push(controller);
        }
        self.pic
            .set_controllers(canister, Some(self.operator), controllers)
            .map_err(rejected)
    }

    /// Stops the canister, running rounds a second apart until the stop completes (it waits for
    /// the canister's open calls); returns the seconds waited.
    pub fn stop(&self, canister: Principal) -> Result<u64, String> {
        let pending = self.submit(canister, "stop_canister")?;
        for waited in 0..=MAX_STOP_SECONDS {
            self.pic.tick();
            if let Some(result) = self.pic.ingress_status(pending.clone()) {
                return result.map(|_| waited).map_err(rejected);
            }
            self.pic.advance_time(Duration::from_secs(1));
        }
        Err(format!(
            "the canister did not stop within {MAX_STOP_SECONDS} s"
        ))
    }

    /// Starts a stopped canister.
    pub fn start_canister(&self, canister: Principal) -> Result<(), String> {
        let pending = self.submit(canister, "start_canister")?;
        self.await_rounds(pending).map(|_| ())
    }

    /// An update call as the operator, executed to completion.
    pub fn update(
        &self,
        canister: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let pending = self
            .pic
            .submit_call(canister, self.operator, method, arg)
            .map_err(rejected)?;
        self.await_rounds(pending)
    }

    /// A query call as the operator.
    pub fn query(
        &self,
        canister: Principal,
        method: &str,
        arg: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        self.pic
            .query_call(canister, self.operator, method, arg)
            .map_err(rejected)
    }

    /// A call to the management canister's `method` about `canister` (its effective canister
    /// id) as the operator, executed to completion.
    pub fn management(
        &self,
        canister: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let pending = self
            .pic
            .submit_management_call(self.operator, method, canister, payload)
            .map_err(rejected)?;
        self.await_rounds(pending)
    }

    /// Whether the canister is stopped.
    pub fn is_stopped(&self, canister: Principal) -> Result<bool, String> {
        let payload = candid::encode_one(CanisterIdRecord {
            canister_id: canister,
        })
        .expect("a canister id record encodes");
        let reply = self.management(canister, "canister_status", payload)?;
        let status: CanisterStatusResult =
            candid::decode_one(&reply).map_err(|e| format!("canister_status reply: {e}"))?;
        Ok(status.status == CanisterStatusType::Stopped)
    }

    /// Lets `seconds` pass, one round per second.
    pub fn sleep(&self, seconds: u64) {
        self.pic.run_for(seconds, 1, 1);
    }

    /// Submits the management canister's `method` about `canister` as the operator.
    fn submit(&self, canister: Principal, method: &str) -> Result<RawMessageId, String> {
        self.pic
            .submit_canister_id_call(self.operator, method, canister)
            .map_err(rejected)
    }

    /// Runs rounds (without moving time) until the call completes.
    fn await_rounds(&self, pending: RawMessageId) -> Result<Vec<u8>, String> {
        for _ in 0..MAX_CALL_ROUNDS {
            self.pic.tick();
            if let Some(result) = self.pic.ingress_status(pending.clone()) {
                return result.map_err(rejected);
            }
        }
        Err(format!(
            "the call did not complete within {MAX_CALL_ROUNDS} rounds"
        ))
    }
}
