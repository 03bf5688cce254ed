//! Each [`Action`] as the Candid call it makes, and what each call's result means for the step:
//! pure, so the wire side of every step is tested natively.

use super::{Action, ReadyCheck, Reply, SnapshotInfo};
use crate::policy::call_error::CallError;
use candid::{CandidType, Deserialize, Principal};
use canister_hooks_types::sdk::{HooksStatus, Maintenance, MaintenanceError, Phase, Readiness};
use ic_management_canister_types::{
    CanisterIdRecord, CanisterInstallMode, CanisterStatusType, ChunkHash,
    DeleteCanisterSnapshotArgs, InstallChunkedCodeArgs, LoadCanisterSnapshotArgs, Snapshot,
    TakeCanisterSnapshotArgs, UninstallCodeArgs, UpgradeFlags,
};

/// The SDK's maintenance endpoints and queries the pipeline calls.
pub const ENTER_MAINTENANCE: &str = "hooks_enter_maintenance";
/// Leaves maintenance.
pub const LEAVE_MAINTENANCE: &str = "hooks_leave_maintenance";
/// Readiness of an SDK canister.
pub const READINESS: &str = "hooks_readiness";
/// Calls in flight of an SDK canister.
pub const STATUS: &str = "hooks_status";

/// A call to make: callee, method, Candid-encoded argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSpec {
    /// The canister called (the management canister for management calls).
    pub callee: Principal,
    /// The method.
    pub method: String,
    /// The Candid-encoded argument.
    pub arg: Vec<u8>,
}

/// The call of management method `method` with `arg`.
pub fn management(method: &str, arg: Vec<u8>) -> CallSpec {
    CallSpec {
        callee: Principal::management_canister(),
        method: method.into(),
        arg,
    }
}

fn encode<T: CandidType>(value: &T) -> Vec<u8> {
    candid::encode_one(value).expect("management arguments encode")
}

fn id_record(canister: Principal) -> Vec<u8> {
    encode(&CanisterIdRecord {
        canister_id: canister,
    })
}

/// The call `action` makes.
pub fn call_for(action: &Action) -> CallSpec {
    let on = |canister: Principal, method: &str, arg: Vec<u8>| CallSpec {
        callee: canister,
        method: method.into(),
        arg,
    };
    match action {
        Action::EnterMaintenance {
            canister,
            reason,
            until_ns,
        } => on(
            *canister,
            ENTER_MAINTENANCE,
            candid::encode_args((reason, until_ns)).expect("text and nat64 encode"),
        ),
        Action::ReadInFlight { canister } => {
            on(*canister, STATUS, candid::encode_args(()).unwrap())
        }
        Action::Stop { canister } => management("stop_canister", id_record(*canister)),
        Action::ListSnapshots { canister } => {
            management("list_canister_snapshots", id_record(*canister))
        }
        Action::TakeSnapshot { canister, replace } => management(
            "take_canister_snapshot",
            encode(&TakeCanisterSnapshotArgs {
                canister_id: *canister,
                replace_snapshot: replace.clone(),
                uninstall_code: None,
                sender_canister_version: None,
            }),
        ),
        Action::LoadSnapshot { canister, snapshot } => management(
            "load_canister_snapshot",
            encode(&LoadCanisterSnapshotArgs {
                canister_id: *canister,
                snapshot_id: snapshot.clone(),
                sender_canister_version: None,
            }),
        ),
        Action::DeleteSnapshot { canister, snapshot } => management(
            "delete_canister_snapshot",
            encode(&DeleteCanisterSnapshotArgs {
                canister_id: *canister,
                snapshot_id: snapshot.clone(),
            }),
        ),
        Action::Install {
            canister,
            store,
            module,
        } => management(
            "install_chunked_code",
            encode(&InstallChunkedCodeArgs {
                mode: CanisterInstallMode::Upgrade(Some(UpgradeFlags {
                    skip_pre_upgrade: Some(module.skip_pre_upgrade),
                    wasm_memory_persistence: None,
                })),
                target_canister: *canister,
                store_canister: (store != canister).then_some(*store),
                chunk_hashes_list: module
                    .chunk_hashes
                    .iter()
                    .map(|h| ChunkHash { hash: h.clone() })
                    .collect(),
                wasm_module_hash: module.hash.clone(),
                arg: module.arg.clone(),
                sender_canister_version: None,
            }),
        ),
        Action::ReadModuleHash { canister }
        | Action::CheckReady {
            canister,
            check: ReadyCheck::Running,
        } => management("canister_status", id_record(*canister)),
        Action::Start { canister } => management("start_canister", id_record(*canister)),
        Action::CheckReady {
            canister,
            check: ReadyCheck::Sdk,
        } => on(*canister, READINESS, candid::encode_args(()).unwrap()),
        Action::CheckReady {
            canister,
            check: ReadyCheck::Query(method),
        } => on(*canister, method, candid::encode_args(()).unwrap()),
        Action::LeaveMaintenance { canister } => on(
            *canister,
            LEAVE_MAINTENANCE,
            candid::encode_args(()).unwrap(),
        ),
        Action::Uninstall { canister } => management(
            "uninstall_code",
            encode(&UninstallCodeArgs {
                canister_id: *canister,
                sender_canister_version: None,
            }),
        ),
    }
}

/// The parts of a `canister_status` reply the pipeline reads (other fields are skipped).
#[derive(CandidType, Deserialize)]
pub struct StatusFields {
    /// `running`, `stopping` or `stopped`.
    pub status: CanisterStatusType,
    /// SHA-256 of the installed module.
    pub module_hash: Option<Vec<u8>>,
    /// The settings' controllers.
    pub settings: ControllerFields,
}

/// The controllers of a `canister_status` reply's settings.
#[derive(CandidType, Deserialize)]
pub struct ControllerFields {
    /// The canister's controllers.
    pub controllers: Vec<Principal>,
}

fn decode<T: for<'a> Deserialize<'a> + CandidType>(bytes: &[u8], what: &str) -> Result<T, String> {
    candid::decode_one(bytes).map_err(|e| format!("unexpected reply to {what}: {e}"))
}

/// What the result of `action`'s call means for its step.
pub fn reply_to(action: &Action, result: Result<Vec<u8>, CallError>) -> Reply {
    let bytes = match (action, result) {
        (_, Ok(bytes)) => bytes,
        // A canister starting or just installed may not answer yet: keep looking.
        (Action::CheckReady { .. } | Action::ReadInFlight { .. }, Err(e)) => {
            return Reply::NotYet(e.describe())
        }
        (_, Err(e)) if e.retry_at_once() => return Reply::NotYet(e.describe()),
        (_, Err(e)) if e.outcome_unknown() => return Reply::Unknown(e.describe()),
        (_, Err(e)) => return Reply::Refused(e.describe()),
    };
    let decoded = match action {
        Action::EnterMaintenance { .. } => {
            decode::<Result<Maintenance, MaintenanceError>>(&bytes, ENTER_MAINTENANCE).map(|r| {
                r.map_or_else(
                    |e| Reply::Refused(format!("maintenance refused: {e}")),
                    |_| Reply::Done,
                )
            })
        }
        Action::LeaveMaintenance { .. } => {
            decode::<Result<Option<Maintenance>, MaintenanceError>>(&bytes, LEAVE_MAINTENANCE).map(
                |r| {
                    r.map_or_else(
                        |e| Reply::Refused(format!("maintenance refused: {e}")),
                        |_| Reply::Done,
                    )
                },
            )
        }
        Action::ReadInFlight { .. } => decode::<HooksStatus>(&bytes, STATUS).map(|s| in_flight(&s)),
        Action::ListSnapshots { .. } => decode::<Vec<Snapshot>>(&bytes, "list_canister_snapshots")
            .map(|list| Reply::Snapshots(list.into_iter().map(snapshot_info).collect())),
        Action::TakeSnapshot { .. } => decode::<Snapshot>(&bytes, "take_canister_snapshot")
            .map(|s| Reply::Taken(snapshot_info(s))),
        Action::ReadModuleHash { .. } => decode::<StatusFields>(&bytes, "canister_status")
            .map(|s| Reply::ModuleHash(s.module_hash)),
        Action::CheckReady { check, .. } => match check {
            ReadyCheck::Sdk => decode::<Readiness>(&bytes, READINESS).map(|r| readiness(&r)),
            ReadyCheck::Query(_) => Ok(Reply::Done),
            ReadyCheck::Running => {
                decode::<StatusFields>(&bytes, "canister_status").map(|s| match s.status {
                    CanisterStatusType::Running => Reply::Done,
                    other => Reply::NotYet(format!("the canister is {other:?}")),
                })
            }
        },
        Action::Stop { .. }
        | Action::LoadSnapshot { .. }
        | Action::DeleteSnapshot { .. }
        | Action::Install { .. }
        | Action::Start { .. }
        | Action::Uninstall { .. } => Ok(Reply::Done),
    };
    decoded.unwrap_or_else(Reply::Refused)
}

fn snapshot_info(s: Snapshot) -> SnapshotInfo {
    SnapshotInfo {
        id: s.id,
        taken_at_ns: s.taken_at_timestamp,
        bytes: s.total_size,
    }
}

/// Drained when no tracked call awaits a response.
fn in_flight(status: &HooksStatus) -> Reply {
    if status.calls_in_flight.is_empty() {
        return Reply::Done;
    }
    let total: u32 = status.calls_in_flight.iter().map(|c| c.count).sum();
    let each: Vec<String> = status
        .calls_in_flight
        .iter()
        .map(|c| format!("{} to {}.{}", c.count, c.callee, c.method))
        .collect();
    Reply::NotYet(format!(
        "{total} call(s) await responses: {}",
        each.join(", ")
    ))
}

fn readiness(r: &Readiness) -> Reply {
    match &r.phase {
        Phase::Ready => Reply::Done,
        Phase::NotStarted => Reply::NotYet("initialization has not started".into()),
        Phase::Initializing { step } => {
            let error = r
                .steps
                .iter()
                .find(|s| &s.name == step)
                .and_then(|s| s.last_error.clone())
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default();
            Reply::NotYet(format!("initializing: {step}{error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::call_error::SYS_UNKNOWN;
    use crate::policy::pipeline::Module;
    use canister_hooks_types::sdk::CallsInFlight;

    fn canister() -> Principal {
        Principal::from_slice(&[1; 10])
    }

    #[test]
    fn an_install_from_the_targets_store_names_no_store_and_a_rehearsal_names_the_target() {
        let module = Module {
            hash: vec![7; 32],
            chunk_hashes: vec![vec![1; 32], vec![2; 32]],
            arg: vec![9],
            skip_pre_upgrade: true,
        };
        let scratch = Principal::from_slice(&[2; 10]);
        for (on, store) in [(canister(), None), (scratch, Some(canister()))] {
            let call = call_for(&Action::Install {
                canister: on,
                store: canister(),
                module: module.clone(),
            });
            assert_eq!(call.callee, Principal::management_canister());
            assert_eq!(call.method, "install_chunked_code");
            let args: InstallChunkedCodeArgs = candid::decode_one(&call.arg).unwrap();
            assert_eq!((args.target_canister, args.store_canister), (on, store));
            assert_eq!(args.chunk_hashes_list.len(), 2);
            assert_eq!(args.arg, [9]);
            let CanisterInstallMode::Upgrade(Some(flags)) = args.mode else {
                panic!("{:?}", args.mode)
            };
            assert_eq!(flags.skip_pre_upgrade, Some(true));
        }
    }

    #[test]
    fn failed_calls_are_refused_unknown_or_retried_by_what_the_ic_says() {
        let stop = Action::Stop {
            canister: canister(),
        };
        let not_controller = CallError::rejected(4, "Only controllers of canister may call stop");
        assert!(
            matches!(reply_to(&stop, Err(not_controller)), Reply::Refused(m) if m.contains("controllers"))
        );
        let timed_out = CallError::rejected(SYS_UNKNOWN, "deadline expired");
        assert!(matches!(reply_to(&stop, Err(timed_out)), Reply::Unknown(_)));
        let queue_full = CallError::rejected(2, "queue full");
        assert!(matches!(reply_to(&stop, Err(queue_full)), Reply::NotYet(_)));
        // A canister that does not answer its readiness query yet is not ready yet.
        let ready = Action::CheckReady {
            canister: canister(),
            check: ReadyCheck::Sdk,
        };
        let stopped = CallError::rejected(5, "canister is stopped");
        assert!(matches!(reply_to(&ready, Err(stopped)), Reply::NotYet(_)));
    }

    #[test]
    fn drains_until_no_tracked_call_is_in_flight_and_names_the_calls() {
        let read = Action::ReadInFlight {
            canister: canister(),
        };
        let mut status = HooksStatus {
            sdk_version: "0.1.0".into(),
            ready: true,
            monitors: vec![],
            errors_logged: 0,
            events_remembered: 0,
            hooks_handled: 0,
            duplicates_dropped: 0,
            timers_scheduled: 0,
            heartbeat_in_flight: false,
            calls_in_flight: vec![CallsInFlight {
                callee: canister(),
                method: "transfer".into(),
                count: 2,
            }],
            one_way_calls_sent: 0,
            maintenance: None,
        };
        let Reply::NotYet(seen) = reply_to(&read, Ok(candid::encode_one(&status).unwrap())) else {
            panic!()
        };
        assert!(
            seen.contains("2 call(s)") && seen.contains(".transfer"),
            "{seen}"
        );
        status.calls_in_flight.clear();
        assert_eq!(
            reply_to(&read, Ok(candid::encode_one(&status).unwrap())),
            Reply::Done
        );
    }

    #[test]
    fn readiness_names_the_step_it_waits_for_and_its_last_error() {
        let check = Action::CheckReady {
            canister: canister(),
            check: ReadyCheck::Sdk,
        };
        let waiting = Readiness {
            phase: Phase::Initializing {
                step: "load_config".into(),
            },
            steps: vec![canister_hooks_types::sdk::StepView {
                name: "load_config".into(),
                state: canister_hooks_types::sdk::StepState::RetryAt(5),
                attempts: 3,
                last_error: Some("config source unreachable".into()),
            }],
            started_at_ns: Some(1),
            ready_at_ns: None,
            maintenance: None,
        };
        let Reply::NotYet(seen) = reply_to(&check, Ok(candid::encode_one(&waiting).unwrap()))
        else {
            panic!()
        };
        assert_eq!(
            seen,
            "initializing: load_config (last error: config source unreachable)"
        );
        let ready = Readiness {
            phase: Phase::Ready,
            ..waiting
        };
        assert_eq!(
            reply_to(&check, Ok(candid::encode_one(&ready).unwrap())),
            Reply::Done
        );
    }

    #[test]
    fn a_refused_maintenance_is_a_refusal_and_an_unreadable_reply_too() {
        let enter = Action::EnterMaintenance {
            canister: canister(),
            reason: "upgrade".into(),
            until_ns: 5,
        };
        let refused: Result<Maintenance, MaintenanceError> =
            Err(MaintenanceError::NotAllowed { caller: canister() });
        let Reply::Refused(why) = reply_to(&enter, Ok(candid::encode_one(&refused).unwrap()))
        else {
            panic!()
        };
        assert!(why.contains("may not change the maintenance mode"), "{why}");
        let Reply::Refused(why) = reply_to(&enter, Ok(vec![1, 2, 3])) else {
            panic!()
        };
        assert!(
            why.contains("unexpected reply to hooks_enter_maintenance"),
            "{why}"
        );
    }
}
