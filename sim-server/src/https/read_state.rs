//! Which paths a `read_state` request may ask for (spec "Request: Read state"): `/time`,
//! `/api_boundary_nodes` and `/subnet` always; `/canister_ranges` only at subnet endpoints;
//! `/canister/<id>` only for the effective canister; `/request_status/<id>` only for one request
//! id, and only the sender of that call at the call's own effective canister or subnet.

use super::call_log::CallLog;
use super::error::Refusal;
use candid::Principal;

/// Most paths in one request.
const MAX_PATHS: usize = 1000;
/// Most labels in one path.
const MAX_LABELS: usize = 127;

/// Where a `read_state` request was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `/api/v{2,3}/canister/<effective canister id>/read_state`.
    Canister(Principal),
    /// `/api/v{2,3}/subnet/<effective subnet id>/read_state`.
    Subnet(Principal),
}

/// Checks that `sender` may read `paths` at `scope`.
pub fn check_paths(
    paths: &[Vec<Vec<u8>>],
    scope: Scope,
    sender: Principal,
    calls: &CallLog,
) -> Result<(), Refusal> {
    if paths.len() > MAX_PATHS {
        return Err(Refusal::bad_request(format!(
            "{} paths requested, at most {MAX_PATHS} are allowed",
            paths.len()
        )));
    }
    let mut request_id: Option<&[u8]> = None;
    for path in paths {
        if path.len() > MAX_LABELS {
            return Err(Refusal::bad_request(format!(
                "a path of {} labels, at most {MAX_LABELS} are allowed",
                path.len()
            )));
        }
        let labels: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
        match labels.as_slice() {
            [b"time"] | [b"api_boundary_nodes", ..] | [b"subnet", ..] => {}
            [b"canister_ranges", ..] => {
                if !matches!(scope, Scope::Subnet(_)) {
                    return Err(Refusal::forbidden(
                        "/canister_ranges can only be read at a subnet's read_state endpoint",
                    ));
                }
            }
            [b"canister", canister, ..] => match scope {
                Scope::Canister(effective) if effective.as_slice() == *canister => {}
                _ => {
                    return Err(Refusal::forbidden(format!(
                        "canister {} is not the effective canister id of this read_state request",
                        principal_text(canister)
                    )))
                }
            },
            [b"request_status", id, ..] => {
                if request_id.is_some_and(|first| first != *id) {
                    return Err(Refusal::bad_request(
                        "all /request_status paths of a read_state request must name the same request id",
                    ));
                }
                request_id = Some(id);
                check_request_status(id, scope, sender, calls)?;
            }
            _ => {
                return Err(Refusal::not_found(format!(
                    "Invalid path requested: /{}",
                    path.iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect::<Vec<_>>()
                        .join("/")
                )))
            }
        }
    }
    Ok(())
}

fn principal_text(bytes: &[u8]) -> String {
    Principal::try_from_slice(bytes).map_or_else(|_| hex::encode(bytes), |p| p.to_text())
}

fn check_request_status(
    id: &[u8],
    scope: Scope,
    sender: Principal,
    calls: &CallLog,
) -> Result<(), Refusal> {
    let Some(call) = <[u8; 32]>::try_from(id).ok().and_then(|id| calls.get(&id)) else {
        // Unknown requests can be asked about by anyone: the answer is their absence.
        return Ok(());
    };
    if call.sender != sender {
        return Err(Refusal::forbidden(format!(
            "request 0x{} was sent by {}, not by {sender}",
            hex::encode(id),
            call.sender
        )));
    }
    let same_place = match scope {
        Scope::Canister(effective) => call.effective_canister == Some(effective),
        Scope::Subnet(_) => call.effective_canister.is_none(),
    };
    if !same_place {
        return Err(Refusal::forbidden(format!(
            "request 0x{} was not sent to this read_state endpoint's effective canister or subnet",
            hex::encode(id)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::call_log::CallRecord;
    use super::*;
    use axum::http::StatusCode;

    fn path(labels: &[&[u8]]) -> Vec<Vec<u8>> {
        labels.iter().map(|l| l.to_vec()).collect()
    }

    fn log_with_call(sender: Principal, effective: Principal) -> CallLog {
        let message = super::super::call_log::test_message(&mut ic_sim::Sim::default());
        let mut log = CallLog::default();
        log.insert(
            [7; 32],
            CallRecord {
                message,
                sender,
                effective_canister: Some(effective),
                expiry_ns: u64::MAX,
            },
        );
        log
    }

    #[test]
    fn request_status_is_for_the_sender_at_the_calls_effective_canister() {
        let alice = Principal::from_slice(&[1, 2, 3]);
        let canister = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
        let log = log_with_call(alice, canister);
        let status = [path(&[b"request_status", &[7; 32], b"status"])];
        assert_eq!(
            check_paths(&status, Scope::Canister(canister), alice, &log),
            Ok(())
        );
        let other = Principal::anonymous();
        let refused = check_paths(&status, Scope::Canister(canister), other, &log).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let elsewhere = Scope::Canister(Principal::from_slice(&[9]));
        assert!(check_paths(&status, elsewhere, alice, &log).is_err());
        let two = [
            path(&[b"request_status", &[7; 32]]),
            path(&[b"request_status", &[8; 32]]),
        ];
        assert!(check_paths(&two, Scope::Canister(canister), alice, &log).is_err());
    }

    #[test]
    fn canister_paths_are_for_the_effective_canister_and_ranges_for_subnets() {
        let log = CallLog::default();
        let me = Principal::anonymous();
        let canister = Principal::from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
        let module = [path(&[b"canister", canister.as_slice(), b"module_hash"])];
        assert_eq!(
            check_paths(&module, Scope::Canister(canister), me, &log),
            Ok(())
        );
        assert!(check_paths(&module, Scope::Canister(me), me, &log).is_err());
        let ranges = [path(&[b"canister_ranges"])];
        assert!(check_paths(&ranges, Scope::Canister(canister), me, &log).is_err());
        assert_eq!(check_paths(&ranges, Scope::Subnet(me), me, &log), Ok(()));
        let unknown = check_paths(&[path(&[b"nope"])], Scope::Subnet(me), me, &log).unwrap_err();
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(
            check_paths(
                &[path(&[b"time"]), path(&[b"subnet"])],
                Scope::Canister(canister),
                me,
                &log
            ),
            Ok(())
        );
    }
}
