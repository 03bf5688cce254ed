//! Helpers of the SDK's end-to-end tests (`tests/tests/sdk_*.rs`): the example canisters (built by
//! `scripts/build-canisters.sh`) on the server `POCKET_IC_BIN` names (sim, or a real PocketIC).

use std::time::Duration;

use candid::utils::ArgumentEncoder;
use candid::{decode_one, encode_args, CandidType, Deserialize, Principal};
use canister_hooks::types::{ErrorRecord, HooksStatus, Phase, Readiness};
use pocket_ic::{PocketIc, RejectResponse};

use crate::canister_wasm;

/// Cycles each canister starts with.
pub const CYCLES: u128 = 10_000_000_000_000;

/// Creates a canister (controller: anonymous) and installs `package` with `arg`.
pub fn install(pic: &PocketIc, package: &str, arg: Vec<u8>) -> Principal {
    let id = pic.create_canister();
    pic.add_cycles(id, CYCLES);
    pic.install_canister(id, canister_wasm(package), arg, None);
    id
}

/// Advances time by `step` and executes a round, `rounds` times.
pub fn settle(pic: &PocketIc, rounds: usize, step: Duration) {
    for _ in 0..rounds {
        pic.advance_time(step);
        pic.tick();
    }
}

/// Ticks (one second per round) until `hooks_readiness` reports Ready; panics after `max` rounds.
pub fn wait_ready(pic: &PocketIc, canister: Principal, max: usize) -> Readiness {
    for _ in 0..max {
        let r = readiness(pic, canister);
        if r.phase == Phase::Ready {
            return r;
        }
        settle(pic, 1, Duration::from_secs(1));
    }
    panic!(
        "not ready after {max} rounds: {:?}",
        readiness(pic, canister)
    );
}

/// The `hooks_readiness` query.
pub fn readiness(pic: &PocketIc, canister: Principal) -> Readiness {
    query(pic, canister, "hooks_readiness", ()).expect("hooks_readiness is never gated")
}

/// The `hooks_recent_errors` query (newest first).
pub fn recent_errors(pic: &PocketIc, canister: Principal) -> Vec<ErrorRecord> {
    query(pic, canister, "hooks_recent_errors", ()).unwrap()
}

/// The `hooks_status` query.
pub fn status(pic: &PocketIc, canister: Principal) -> HooksStatus {
    query(pic, canister, "hooks_status", ()).unwrap()
}

/// A query as the anonymous principal, its reply decoded.
pub fn query<T: CandidType + for<'a> Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    method: &str,
    args: impl ArgumentEncoder,
) -> Result<T, RejectResponse> {
    pic.query_call(
        canister,
        Principal::anonymous(),
        method,
        encode_args(args).unwrap(),
    )
    .map(|bytes| decode_one(&bytes).unwrap())
}

/// An update call as `sender`, its reply decoded.
pub fn update<T: CandidType + for<'a> Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    sender: Principal,
    method: &str,
    args: impl ArgumentEncoder,
) -> Result<T, RejectResponse> {
    pic.update_call(canister, sender, method, encode_args(args).unwrap())
        .map(|bytes| decode_one(&bytes).unwrap())
}
