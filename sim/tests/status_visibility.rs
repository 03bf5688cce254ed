//! `status_visibility` (IC interface specification 0.65, `canister_settings` and
//! `canister_status`): who may read a canister's status, its limits, and its value in the status.

mod common;

use candid::Principal;
use common::*;
use ic_sim::management_types::{
    CanisterIdRecord, CanisterSettings, CanisterStatusResult, StatusVisibility,
};
use ic_sim::{ErrorCode, RejectCode, Sim};

fn stranger() -> Principal {
    Principal::from_slice(&[0x5e, 0x02])
}

fn viewer() -> Principal {
    Principal::from_slice(&[0x5e, 0x03])
}

/// Sets the canister's `status_visibility` as `admin()`.
fn set_visibility(
    sim: &mut Sim,
    id: Principal,
    visibility: StatusVisibility,
) -> Result<(), ic_sim::UserError> {
    let settings = CanisterSettings {
        status_visibility: Some(visibility),
        ..Default::default()
    };
    sim.update_canister_settings(id, Some(admin()), settings)
}

/// What the probe canister `probe` got calling `canister_status` of `target`.
fn status_by_probe(sim: &mut Sim, probe: Principal, target: Principal) -> CallResult {
    probe_call(
        sim,
        probe,
        Principal::management_canister(),
        "canister_status",
        enc(CanisterIdRecord {
            canister_id: target,
        }),
    )
}

#[test]
fn by_default_only_controllers_and_the_canister_itself_read_the_status() {
    // Spec: default `controllers`; "regardless of this setting, the canister itself ... can
    // always request the canister's status".
    let (mut sim, id) = sim_with_probe();
    let status = sim.canister_status(id, Some(admin())).unwrap();
    assert_eq!(
        status.settings.status_visibility,
        StatusVisibility::Controllers
    );
    let err = sim.canister_status(id, Some(stranger())).unwrap_err();
    assert_eq!(
        (err.reject_code, err.error_code),
        (
            RejectCode::CanisterError,
            ErrorCode::CanisterStatusAccessDenied
        )
    );
    assert_mentions(&err, "Only the controllers of the canister");
    let own = status_by_probe(&mut sim, id, id).expect("a canister reads its own status");
    let own: CanisterStatusResult = dec(&own);
    assert_eq!(own.settings.controllers, vec![admin()]);
}

#[test]
fn public_status_is_readable_by_anyone() {
    let (mut sim, id) = sim_with_probe();
    set_visibility(&mut sim, id, StatusVisibility::Public).unwrap();
    let status = sim.canister_status(id, Some(stranger())).unwrap();
    assert_eq!(status.settings.status_visibility, StatusVisibility::Public);
    // Reading the status does not grant control.
    assert_eq!(
        sim.stop_canister(id, Some(stranger()))
            .unwrap_err()
            .error_code,
        ErrorCode::CanisterInvalidController
    );
}

#[test]
fn allowed_viewers_and_controllers_read_the_status_others_do_not() {
    let (mut sim, id) = sim_with_probe();
    let other = add_counter(&mut sim);
    let visibility = StatusVisibility::AllowedViewers(vec![viewer()]);
    set_visibility(&mut sim, id, visibility.clone()).unwrap();
    let status = sim.canister_status(id, Some(viewer())).unwrap();
    assert_eq!(status.settings.status_visibility, visibility);
    sim.canister_status(id, Some(admin())).unwrap();
    let err = sim.canister_status(id, Some(stranger())).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStatusAccessDenied);
    assert_mentions(&err, "controllers and allowed viewers");
    // A canister among the allowed viewers (the probe, of the counter) reads the status by an
    // inter-canister call.
    set_visibility(&mut sim, other, StatusVisibility::AllowedViewers(vec![id])).unwrap();
    let by_viewer = status_by_probe(&mut sim, id, other);
    assert!(by_viewer.is_ok(), "{by_viewer:?}");
}

#[test]
fn a_canister_that_is_not_a_viewer_is_refused_with_canister_error() {
    let (mut sim, id) = sim_with_probe();
    let other = add_counter(&mut sim);
    let (code, message) = status_by_probe(&mut sim, id, other).unwrap_err();
    assert_eq!(code, RejectCode::CanisterError as u32);
    assert!(message.contains("can read its status"), "{message}");
}

#[test]
fn at_most_ten_allowed_viewers() {
    // Spec: "the maximum length of the list is 10", in update_settings and at creation.
    let (mut sim, id) = sim_with_probe();
    let many = |n: u8| (0..n).map(|i| Principal::from_slice(&[0x71, i])).collect();
    set_visibility(&mut sim, id, StatusVisibility::AllowedViewers(many(10))).unwrap();
    let err = set_visibility(&mut sim, id, StatusVisibility::AllowedViewers(many(11))).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::InvalidManagementPayload);
    assert_mentions(&err, "status_visibility");
    let settings = CanisterSettings {
        status_visibility: Some(StatusVisibility::AllowedViewers(many(11))),
        ..Default::default()
    };
    let err = sim
        .try_create_canister(Some(admin()), Some(settings), None, None)
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::InvalidManagementPayload);
}

#[test]
fn creation_settings_set_the_visibility() {
    let mut sim = Sim::new(ic_sim::SimConfig::default());
    let settings = CanisterSettings {
        status_visibility: Some(StatusVisibility::Public),
        ..Default::default()
    };
    let id = sim.create_canister_with_settings(Some(admin()), Some(settings));
    let status = sim.canister_status(id, Some(stranger())).unwrap();
    assert_eq!(status.settings.status_visibility, StatusVisibility::Public);
}
