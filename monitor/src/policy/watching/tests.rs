use super::*;
use crate::policy::call_error::CallError;
use ic_management_canister_types::{
    Change as HistoryEntry, CodeDeploymentMode, CodeDeploymentRecord, ControllersChangeRecord,
    FromCanisterRecord, FromUserRecord,
};
use serde_bytes::ByteBuf;

fn p(n: u8) -> Principal {
    Principal::from_slice(&[n; 10])
}

fn module(before: u8, after: u8) -> Change {
    Change::Module {
        before: Some(vec![before; 32]),
        after: Some(vec![after; 32]),
    }
}

fn controllers(before: &[u8], after: &[u8]) -> Change {
    Change::Controllers {
        before: before.iter().map(|n| p(*n)).collect(),
        after: after.iter().map(|n| p(*n)).collect(),
    }
}

fn expecting(hash: Option<u8>, ctrl: Option<&[u8]>, until_ns: u64) -> ExpectedChange {
    ExpectedChange {
        module_hash: hash.map(|h| ByteBuf::from(vec![h; 32])),
        controllers: ctrl.map(|c| c.iter().map(|n| p(*n)).collect()),
        any_module: false,
        until_ns,
    }
}

#[test]
fn access_is_controller_when_listed_else_status_viewer() {
    assert_eq!(access_from(&[p(1), p(2)], p(2)), WatchAccess::Controller);
    assert_eq!(access_from(&[p(1)], p(2)), WatchAccess::StatusViewer);
}

#[test]
fn a_refused_status_loses_the_access_once() {
    assert_eq!(
        after_refusal(WatchAccess::Controller, true),
        (WatchAccess::Lost, true)
    );
    assert_eq!(
        after_refusal(WatchAccess::StatusViewer, true),
        (WatchAccess::Lost, true)
    );
    // Already lost: no second event.
    assert_eq!(
        after_refusal(WatchAccess::Lost, true),
        (WatchAccess::Lost, false)
    );
    // Never read: nothing was lost (the status_unreadable fault covers it).
    assert_eq!(
        after_refusal(WatchAccess::Unknown, false),
        (WatchAccess::Unknown, false)
    );
    // Read before the access was recorded (a record from an older monitor).
    assert_eq!(
        after_refusal(WatchAccess::Unknown, true),
        (WatchAccess::Lost, true)
    );
}

#[test]
fn only_definite_rejections_are_refusals() {
    assert!(is_access_refusal(&CallError::rejected(
        5,
        "IC0512: only controllers"
    )));
    assert!(!is_access_refusal(&CallError::rejected(2, "busy")));
    assert!(!is_access_refusal(&CallError::rejected(6, "timeout")));
    assert!(!is_access_refusal(&CallError::rejected(3, "not found")));
}

#[test]
fn nothing_differs_before_a_baseline_and_each_digest_is_compared() {
    let id = Identity {
        module_hash: Some([1; 32]),
        controllers: vec![p(1)],
        ..Default::default()
    };
    let mut ext = WatchExtension::default();
    assert_eq!(differences(&ext, &id), (false, false));
    ext.recorded = true;
    ext.module_digest = id.module_digest();
    ext.controllers_digest = id.controllers_digest();
    assert_eq!(differences(&ext, &id), (false, false));
    let other = Identity {
        controllers: vec![p(2)],
        ..id.clone()
    };
    assert_eq!(differences(&ext, &other), (false, true));
    let upgraded = Identity {
        module_hash: Some([2; 32]),
        ..id
    };
    assert_eq!(differences(&ext, &upgraded), (true, false));
}

#[test]
fn every_change_raises_an_event_without_a_pipeline_or_an_expectation() {
    let changes = vec![module(1, 2), controllers(&[1], &[1, 2])];
    let (raised, left) = unexpected(changes.clone(), None, false, 10);
    assert_eq!(raised, changes);
    assert_eq!(left, None);
}

#[test]
fn a_running_pipeline_raises_nothing_and_keeps_the_expectation() {
    let e = expecting(Some(9), None, 100);
    let (raised, left) = unexpected(vec![module(1, 2)], Some(e.clone()), true, 10);
    assert!(raised.is_empty());
    assert_eq!(left, Some(e));
}

#[test]
fn an_expected_change_is_covered_once_and_consumed() {
    let e = expecting(Some(2), Some(&[1, 3]), 100);
    // The module part covers the change to its hash; the controllers part stays.
    let (raised, left) = unexpected(vec![module(1, 2)], Some(e.clone()), false, 10);
    assert!(raised.is_empty());
    assert_eq!(left, Some(expecting(None, Some(&[1, 3]), 100)));
    // The same hash again: already consumed, so it raises.
    let (raised, _) = unexpected(vec![module(1, 2)], left.clone(), false, 10);
    assert_eq!(raised.len(), 1);
    // Controllers in another order match as a set; nothing is left.
    let (raised, left) = unexpected(vec![controllers(&[1], &[3, 1])], left, false, 10);
    assert!(raised.is_empty());
    assert_eq!(left, None);
}

#[test]
fn other_values_and_expired_expectations_do_not_cover_a_change() {
    let e = expecting(Some(2), Some(&[1, 3]), 100);
    let (raised, left) = unexpected(vec![module(1, 4)], Some(e.clone()), false, 10);
    assert_eq!(raised, [module(1, 4)]);
    assert_eq!(left, Some(e.clone()), "an unmatched part stays");
    let (raised, left) = unexpected(vec![controllers(&[1], &[1])], Some(e.clone()), false, 10);
    assert_eq!(raised.len(), 1);
    assert_eq!(left, Some(e.clone()));
    let (raised, left) = unexpected(vec![module(1, 2)], Some(e), false, 101);
    assert_eq!(raised.len(), 1, "expired");
    assert_eq!(left, None);
}

#[test]
fn a_restore_expects_any_module_but_not_controllers() {
    let e = ExpectedChange {
        any_module: true,
        ..expecting(None, None, 100)
    };
    let (raised, left) = unexpected(
        vec![module(1, 5), controllers(&[1], &[2])],
        Some(e),
        false,
        10,
    );
    assert_eq!(raised, [controllers(&[1], &[2])]);
    assert_eq!(left, None);
}

fn entry(details: ChangeDetails, origin: ChangeOrigin) -> HistoryEntry {
    HistoryEntry {
        timestamp_nanos: 0,
        canister_version: 0,
        origin,
        details: Some(details),
    }
}

#[test]
fn who_made_a_change_comes_from_the_latest_matching_history_entry() {
    let user = ChangeOrigin::FromUser(FromUserRecord { user_id: p(7) });
    let canister = ChangeOrigin::FromCanister(FromCanisterRecord {
        canister_id: p(8),
        canister_version: None,
    });
    let info = CanisterInfoResult {
        total_num_changes: 12,
        recent_changes: vec![
            entry(
                ChangeDetails::CodeDeployment(CodeDeploymentRecord {
                    mode: CodeDeploymentMode::Upgrade,
                    module_hash: vec![2; 32],
                }),
                user.clone(),
            ),
            entry(
                ChangeDetails::ControllersChange(ControllersChangeRecord {
                    controllers: vec![p(2), p(1)],
                }),
                canister,
            ),
        ],
        module_hash: Some(vec![2; 32]),
        controllers: vec![p(1), p(2)],
    };
    let by_user = format!("by user {} (change 10)", p(7));
    assert_eq!(attribution(&module(1, 2), &info), Some(by_user.clone()));
    assert_eq!(
        attribution(&controllers(&[1], &[1, 2]), &info),
        Some(format!("by canister {} (change 11)", p(8)))
    );
    assert_eq!(attribution(&module(1, 3), &info), None);

    let HookEvent::Error(e) = change_event(&module(1, 2), Some(&by_user), p(9), 5, 1024) else {
        panic!()
    };
    assert_eq!(e.source, ErrorSource::System(MODULE_HASH_CHANGED.into()));
    assert!(e.message.contains(&"01".repeat(32)), "{}", e.message);
    assert!(e.message.contains(&"02".repeat(32)), "{}", e.message);
    assert!(e.message.contains(&by_user), "{}", e.message);
    let HookEvent::Error(e) = change_event(&controllers(&[1], &[1, 2]), None, p(9), 5, 1024) else {
        panic!()
    };
    assert_eq!(e.source, ErrorSource::System(CONTROLLERS_CHANGED.into()));
    assert!(e.message.contains(&p(2).to_text()), "{}", e.message);
    assert!(e.message.contains("unknown"), "{}", e.message);
    let many: Vec<u8> = (1..=10).collect();
    let HookEvent::Error(e) = change_event(&controllers(&many, &many[1..]), None, p(9), 5, 100)
    else {
        panic!()
    };
    assert!(e.message.len() <= 100, "bounded: {}", e.message.len());
}

#[test]
fn the_access_lost_event_names_the_fault_and_the_fix() {
    let err = CallError::rejected(5, "Only the controllers may read the status");
    let HookEvent::Error(e) = access_lost_event(WatchAccess::StatusViewer, &err, p(9), 5) else {
        panic!()
    };
    assert_eq!(e.source, ErrorSource::System(STATUS_ACCESS_LOST.into()));
    assert!(e.message.contains("status_viewer"), "{}", e.message);
    assert!(e.message.contains("status_visibility"), "{}", e.message);
}

#[test]
fn expectations_are_checked_field_by_field() {
    let ok = ExpectChangeArgs {
        canister_id: p(1),
        module_hash: Some(ByteBuf::from(vec![1; 32])),
        controllers: None,
        within_seconds: 60,
    };
    let e = expectation(&ok, 5).unwrap();
    assert_eq!(e.until_ns, 5 + 60 * NS);
    let field = |a: ExpectChangeArgs| match expectation(&a, 0) {
        Err(ExpectChangeError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(ExpectChangeArgs {
            module_hash: None,
            ..ok.clone()
        }),
        "module_hash"
    );
    assert_eq!(
        field(ExpectChangeArgs {
            module_hash: Some(ByteBuf::from(vec![1; 3])),
            ..ok.clone()
        }),
        "module_hash"
    );
    assert_eq!(
        field(ExpectChangeArgs {
            controllers: Some(vec![p(1); 11]),
            ..ok.clone()
        }),
        "controllers"
    );
    assert_eq!(
        field(ExpectChangeArgs {
            within_seconds: 0,
            ..ok
        }),
        "within_seconds"
    );
}
