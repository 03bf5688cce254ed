//! The effective canister id rules (spec "Effective canister id"): which `<effective_canister_id>`
//! in the URL a call or query must name.

use candid::types::value::{IDLField, IDLValue};
use candid::{IDLArgs, Principal};

/// Management methods that create a canister: any effective canister id will do.
const CREATION_METHODS: [&str; 2] = ["create_canister", "provisional_create_canister_with_cycles"];

/// Checks `effective` against the call (`update` true) or query to `canister_id`.
pub fn check(
    canister_id: Principal,
    method: &str,
    arg: &[u8],
    update: bool,
    effective: Principal,
) -> Result<(), String> {
    if canister_id != Principal::management_canister() {
        return matches(canister_id, effective);
    }
    let any_will_do = if update {
        CREATION_METHODS.contains(&method)
    } else {
        method == "list_canisters"
    };
    if any_will_do {
        return Ok(());
    }
    let field = if update && method == "install_chunked_code" {
        "target_canister"
    } else {
        "canister_id"
    };
    match principal_field(arg, field) {
        Some(named) => matches(named, effective),
        None => Err(format!(
            "the management canister method {method} is called with no `{field}` principal in its argument, so no effective canister id fits"
        )),
    }
}

fn matches(expected: Principal, effective: Principal) -> Result<(), String> {
    if expected == effective {
        Ok(())
    } else {
        Err(format!(
            "Specified CanisterId {expected} does not match effective canister id in URL {effective}"
        ))
    }
}

/// The principal in field `name` of the Candid record that is the first argument.
fn principal_field(arg: &[u8], name: &str) -> Option<Principal> {
    let args = IDLArgs::from_bytes(arg).ok()?;
    let IDLValue::Record(fields) = args.args.first()? else {
        return None;
    };
    let id = candid::idl_hash(name);
    fields
        .iter()
        .find_map(|IDLField { id: label, val }| match val {
            IDLValue::Principal(p) if label.get_id() == id => Some(*p),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candid::{CandidType, Encode};

    #[derive(CandidType)]
    struct CanisterIdRecord {
        canister_id: Principal,
    }

    #[derive(CandidType)]
    struct ChunkedArgs {
        target_canister: Principal,
        store_canister: Option<Principal>,
    }

    fn id(n: u8) -> Principal {
        Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, n, 1, 1])
    }

    #[test]
    fn canister_calls_name_the_canister() {
        assert_eq!(check(id(1), "m", &[], true, id(1)), Ok(()));
        let error = check(id(1), "m", &[], false, id(2)).unwrap_err();
        assert!(
            error.contains("does not match effective canister id"),
            "{error}"
        );
    }

    #[test]
    fn management_calls_name_the_canister_in_their_argument() {
        let ic = Principal::management_canister();
        let arg = Encode!(&CanisterIdRecord { canister_id: id(3) }).unwrap();
        assert_eq!(check(ic, "canister_status", &arg, true, id(3)), Ok(()));
        assert!(check(ic, "canister_status", &arg, true, id(4)).is_err());
        let chunked = Encode!(&ChunkedArgs {
            target_canister: id(5),
            store_canister: Some(id(6))
        })
        .unwrap();
        assert_eq!(
            check(ic, "install_chunked_code", &chunked, true, id(5)),
            Ok(())
        );
        assert!(check(ic, "install_chunked_code", &chunked, true, id(6)).is_err());
        assert!(check(ic, "raw_rand", &Encode!().unwrap(), true, id(1))
            .unwrap_err()
            .contains("no `canister_id`"));
    }

    #[test]
    fn creation_takes_any_effective_canister_id() {
        let ic = Principal::management_canister();
        assert_eq!(
            check(
                ic,
                "provisional_create_canister_with_cycles",
                &[],
                true,
                id(9)
            ),
            Ok(())
        );
        assert_eq!(check(ic, "list_canisters", &[], false, id(9)), Ok(()));
        assert!(check(ic, "create_canister", &[], false, id(9)).is_err());
    }
}
