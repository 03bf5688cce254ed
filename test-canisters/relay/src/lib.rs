//! Forwards one call to another canister. The integration tests use it to call a method as a
//! canister rather than as a user: an inter-canister call skips the callee's `inspect_message`,
//! so what is tested is the method's own caller check.

use candid::Principal;
use ic_cdk::call::Call;

/// Calls `method` of `target` with the Candid-encoded `arg` (bounded-wait) and returns the reply
/// bytes, or the reject (its code and message).
#[ic_cdk::update]
async fn forward(target: Principal, method: String, arg: Vec<u8>) -> Result<Vec<u8>, String> {
    Call::bounded_wait(target, &method)
        .take_raw_args(arg)
        .await
        .map(|reply| reply.into_bytes())
        .map_err(|e| e.to_string())
}

ic_cdk::export_candid!();

/// The checked-in `relay.did` describes exactly the service the code exports.
#[cfg(test)]
#[test]
fn did_file_matches_code() {
    did_check::assert_did_matches!("relay.did");
}
