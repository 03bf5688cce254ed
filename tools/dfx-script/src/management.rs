//! `dfx canister call aaaaa-aa METHOD`: calls to the management canister. dfx has no interface of
//! it, so the call is typed with the one `--candid` names (required here: without it dfx guesses
//! the argument's types and prints the reply's fields as numbers), and goes to the canister the
//! argument's `canister_id` names, the effective canister id dfx derives the same way.

use super::dfx::{present, Output};
use super::project::Interface;
use super::{Fatal, Session};
use candid::Principal;

/// The part of a management method's argument that names the canister it is about.
#[derive(candid::CandidType, candid::Deserialize)]
struct Target {
    canister_id: Principal,
}

impl Session {
    /// Calls management method `method_name` with Candid text `arg`, typed with `candid`.
    pub(super) fn call_management(
        &self,
        candid: Option<&Interface>,
        method_name: &str,
        arg: Option<&str>,
        output: Output,
    ) -> Result<String, Fatal> {
        let interface = candid.ok_or_else(|| {
            Fatal::script(
                "a call to the management canister (aaaaa-aa) needs `--candid FILE`: dfx has no \
                 interface of it to type the argument and name the reply's fields",
            )
        })?;
        let method = interface.method(method_name).map_err(Fatal::Script)?;
        let bytes = interface
            .encode_args(&method, arg)
            .map_err(|e| Fatal::script(format!("aaaaa-aa.{method_name}: {e}")))?;
        let target: Target = candid::decode_one(&bytes).map_err(|e| {
            Fatal::script(format!(
                "aaaaa-aa.{method_name}: only methods whose argument is a record with the \
                 `canister_id` they are about are supported: {e}"
            ))
        })?;
        let Some(replica) = self.replica()? else {
            return Ok(String::new());
        };
        let reply = replica
            .management(target.canister_id, method_name, bytes)
            .map_err(Fatal::Failed)?;
        present(interface, &method, &reply, output)
    }
}
