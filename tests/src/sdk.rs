//! Helpers of the SDK's end-to-end tests (`tests/tests/sdk_*.rs`): the example canisters (built by
//! `scripts/build-canisters.sh`) on the server `POCKET_IC_BIN` names (sim, or a real PocketIC),
//! called through the test kit.

use std::time::Duration;

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Deserialize, Principal};
use canister_hooks::events::{EventOrigin, LowCyclesEvent};
use canister_hooks::types::{ErrorRecord, HooksStatus, Maintenance, MaintenanceError, Readiness};
use canister_hooks_testkit::examples::{worker_init, HookMode, LoadClient};
use canister_hooks_testkit::sdk::SdkClient;
use canister_hooks_testkit::{canister_wasm, Client, Ic};
use ic_management_canister_types::{CanisterInstallMode, InstallCodeArgs, UpgradeFlags};
use pocket_ic::{PocketIc, RejectResponse};

/// Cycles each canister starts with.
pub const CYCLES: u128 = 10_000_000_000_000;

/// Creates a canister (controller: anonymous) and installs `package` with `arg`.
pub fn install(pic: &PocketIc, package: &str, arg: Vec<u8>) -> Principal {
    let id = pic.create_canister();
    pic.add_cycles(id, CYCLES);
    pic.install_canister(id, canister_wasm(package), arg, None);
    id
}

/// Installs the worker example (`example-worker`), its hooks callable by `monitor`, and waits
/// until it is ready.
pub fn install_ready_worker(pic: &PocketIc, monitor: Option<Principal>) -> Principal {
    let worker = install(pic, "example-worker", worker_init(monitor, None));
    wait_ready(pic, worker, 60);
    worker
}

/// Installs a relay (`sim-test-probe`, whose `call` makes a bounded-wait call as a canister):
/// a canister standing in for a monitor or a stranger, whose calls skip the callee's
/// `inspect_message`, so the callee's own checks are what is tested.
pub fn install_relay(pic: &PocketIc) -> Principal {
    install(pic, "sim-test-probe", candid::encode_args(()).unwrap())
}

/// Has `relay` call `target.method` with the Candid-encoded `arg`; the reply bytes or
/// `(reject code, message)`.
pub fn relay_call(
    pic: &PocketIc,
    relay: Principal,
    target: Principal,
    method: &str,
    arg: Vec<u8>,
) -> Result<Vec<u8>, (u32, String)> {
    let sender = Principal::anonymous();
    update(
        pic,
        relay,
        sender,
        "call",
        (target, method, arg, Some(60u32)),
    )
    .expect("the relay itself answers")
}

/// A low-cycles event from `monitor`; its figures are placeholders no handler reads.
pub fn low_cycles_event(id: u64, monitor: Principal) -> LowCyclesEvent {
    LowCyclesEvent {
        id,
        origin: EventOrigin::Monitor(monitor),
        balance: 1,
        threshold: 2,
        burn_rate_per_day: 3,
        seconds_to_freeze: Some(4),
        observed_at_ns: 5,
    }
}

/// Sets how the load example `load` handles hooks, as `caller`.
pub fn set_hook_mode(pic: &PocketIc, load: Principal, caller: Principal, mode: HookMode) {
    LoadClient::new(pic, load, caller)
        .set_hook_mode(mode)
        .expect("set_hook_mode");
}

/// Advances time by `step` and executes a round, `rounds` times.
pub fn settle(pic: &PocketIc, rounds: usize, step: Duration) {
    for _ in 0..rounds {
        pic.step(step, 1);
    }
}

/// The SDK endpoints of `canister`, called as the anonymous principal.
fn sdk(pic: &PocketIc, canister: Principal) -> SdkClient<'_, PocketIc> {
    Client::new(pic, canister, Principal::anonymous())
}

/// Ticks (one second per round) until `hooks_readiness` reports Ready; panics after `max` rounds.
pub fn wait_ready(pic: &PocketIc, canister: Principal, max: usize) -> Readiness {
    match sdk(pic, canister).wait_ready(max as u32, Duration::from_secs(1)) {
        Ok(_) => readiness(pic, canister),
        Err(last) => panic!("not ready after {max} rounds: {last:?}"),
    }
}

/// The `hooks_readiness` query.
pub fn readiness(pic: &PocketIc, canister: Principal) -> Readiness {
    sdk(pic, canister)
        .readiness()
        .expect("hooks_readiness is never gated")
}

/// The `hooks_recent_errors` query (newest first).
pub fn recent_errors(pic: &PocketIc, canister: Principal) -> Vec<ErrorRecord> {
    sdk(pic, canister).recent_errors().unwrap()
}

/// The `hooks_status` query.
pub fn status(pic: &PocketIc, canister: Principal) -> HooksStatus {
    sdk(pic, canister).status().unwrap()
}

/// A query as the anonymous principal, its reply decoded.
pub fn query<T: CandidType + for<'a> Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    method: &str,
    args: impl ArgumentEncoder,
) -> Result<T, RejectResponse> {
    Client::<_, ()>::new(pic, canister, Principal::anonymous()).query(method, args)
}

/// An update call as `sender`, its reply decoded.
pub fn update<T: CandidType + for<'a> Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    sender: Principal,
    method: &str,
    args: impl ArgumentEncoder,
) -> Result<T, RejectResponse> {
    Client::<_, ()>::new(pic, canister, sender).update(method, args)
}

/// `hooks_enter_maintenance(reason, until_ns)` as `sender`.
pub fn enter_maintenance(
    pic: &PocketIc,
    canister: Principal,
    sender: Principal,
    reason: &str,
    until_ns: u64,
) -> Result<Result<Maintenance, MaintenanceError>, RejectResponse> {
    update(
        pic,
        canister,
        sender,
        "hooks_enter_maintenance",
        (reason, until_ns),
    )
}

/// `hooks_leave_maintenance()` as `sender`: the maintenance that ended, if any.
pub fn leave_maintenance(
    pic: &PocketIc,
    canister: Principal,
    sender: Principal,
) -> Result<Result<Option<Maintenance>, MaintenanceError>, RejectResponse> {
    update(pic, canister, sender, "hooks_leave_maintenance", ())
}

/// Upgrades `canister` to `package` as `sender` (a controller), with `pre_upgrade` run, or
/// skipped (`skip_pre_upgrade`, the way past a refusing upgrade guard).
pub fn upgrade(
    pic: &PocketIc,
    canister: Principal,
    package: &str,
    arg: Vec<u8>,
    sender: Principal,
    skip_pre_upgrade: bool,
) -> Result<(), RejectResponse> {
    let flags = UpgradeFlags {
        skip_pre_upgrade: Some(skip_pre_upgrade),
        wasm_memory_persistence: None,
    };
    let install = InstallCodeArgs {
        mode: CanisterInstallMode::Upgrade(Some(flags)),
        canister_id: canister,
        wasm_module: canister_wasm(package),
        arg,
        sender_canister_version: None,
    };
    let payload = candid::encode_one(install).expect("install_code arguments encode");
    let message = pic.submit_management_call(sender, "install_code", canister, payload)?;
    pic.await_call(message).map(|_| ())
}
