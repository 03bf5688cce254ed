//! Watching without control and catching unexpected changes, over the fake IC: a canister the
//! monitor only reads, a lost access, hook cycles within the budget, change events and expected
//! changes, forecasts in the state view.

use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::validation::tests::{args, canister};
use crate::testing::*;
use candid::Principal;
use ic_management_canister_types::{
    Change as HistoryEntry, ChangeDetails, ChangeOrigin, CodeDeploymentMode, CodeDeploymentRecord,
    FromUserRecord,
};
use serde_bytes::ByteBuf;

const T: u128 = 1_000_000_000_000;

fn operator() -> Principal {
    Principal::self_authenticating([5u8; 32])
}

fn monitor_id() -> Principal {
    canister(999_999)
}

/// The change `id` is expected to make, as the monitor holds it now.
fn expected_change(m: &TestMonitor, ic: &FakeIc, id: Principal) -> Option<ExpectedChange> {
    m.borrow()
        .canister_state(id, ic.now.get())
        .unwrap()
        .watching
        .expected_change
}

/// The `System` faults raised for `id`, oldest first, with their messages.
fn faults(m: &TestMonitor, id: Principal) -> Vec<(String, String)> {
    let mut page = m.borrow().events(&EventFilter {
        canister_id: Some(id),
        limit: Some(500),
        ..Default::default()
    });
    page.events.reverse();
    page.events
        .into_iter()
        .filter_map(|r| match r.event {
            HookEvent::Error(ErrorEvent {
                source: ErrorSource::System(name),
                message,
                ..
            }) => Some((name, message)),
            _ => None,
        })
        .collect()
}

/// Polls `id` now and runs everything that follows (deliveries, `canister_info`).
fn poll(m: &TestMonitor, ic: &FakeIc, id: Principal) {
    m.borrow_mut().poll_now(id, ic.now.get()).unwrap();
    drain(m, ic, 60);
}

fn names(f: &[(String, String)]) -> Vec<&str> {
    f.iter().map(|(n, _)| n.as_str()).collect()
}

/// A canister controlled by the operator only, whose status the monitor may read.
fn viewed(ic: &FakeIc, n: u64, cycles: u128) -> Principal {
    let mut c = FakeCanister::new(cycles);
    c.controllers = vec![operator()];
    ic.add(n, c)
}

#[test]
fn a_canister_the_monitor_only_reads_is_watched_topped_up_and_shown_as_viewer() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = viewed(&ic, 1, T);
    let mut a = args(1);
    a.cycles_threshold = Some(2 * T);
    a.top_up = Some(TopUpPolicy {
        amount: T,
        daily_budget: 3 * T,
    });
    register(&m, &ic, a).unwrap();
    drain(&m, &ic, 60);
    let st = m.borrow().canister_state(id, ic.now.get()).unwrap();
    assert_eq!(st.watching.access, WatchAccess::StatusViewer);
    assert_eq!(st.watching.controllers, [operator()]);
    assert_eq!(st.watching.module_hash, Some(ByteBuf::from(vec![7; 32])));
    assert_eq!(ic.handled(id).len(), 1, "the low-cycles hook fired");
    assert_eq!(ic.canisters.borrow()[&id].deposits, [T], "topped up");
    assert!(faults(&m, id).is_empty(), "{:?}", faults(&m, id));
}

#[test]
fn registering_a_backup_policy_for_a_canister_the_monitor_only_reads_is_refused() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = viewed(&ic, 1, 5 * T);
    let mut a = args(1);
    a.backup = Some(BackupPolicy {
        interval_hours: 24,
        window: None,
        keep: 3,
        mode: BackupMode::Running,
        replace_any: false,
    });
    assert_eq!(
        register(&m, &ic, a),
        Err(RegistrationError::NotController {
            field: "backup".into(),
            canister_id: id,
            controllers: vec![operator()],
        })
    );
    assert!(m.borrow().registration(id).is_none());
}

#[test]
fn removing_the_monitor_as_controller_is_a_change_and_leaves_it_a_viewer() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    assert_eq!(
        m.borrow().canister_state(id, 0).unwrap().watching.access,
        WatchAccess::Controller
    );
    ic.with(id, |c| c.controllers = vec![operator()]);
    poll(&m, &ic, id);
    let f = faults(&m, id);
    assert_eq!(names(&f), ["controllers_changed"]);
    assert!(f[0].1.contains(&monitor_id().to_text()), "{}", f[0].1);
    assert!(f[0].1.contains(&operator().to_text()), "{}", f[0].1);
    let st = m.borrow().canister_state(id, 0).unwrap();
    assert_eq!(st.watching.access, WatchAccess::StatusViewer);
    // Nothing more while nothing changes.
    poll(&m, &ic, id);
    assert_eq!(faults(&m, id).len(), 1);
}

#[test]
fn a_module_change_raises_one_event_with_before_after_and_who() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    ic.with(id, |c| {
        c.module_hash = Some(vec![9; 32]);
        c.history.push(HistoryEntry {
            timestamp_nanos: 0,
            canister_version: 3,
            origin: ChangeOrigin::FromUser(FromUserRecord {
                user_id: operator(),
            }),
            details: Some(ChangeDetails::CodeDeployment(CodeDeploymentRecord {
                mode: CodeDeploymentMode::Upgrade,
                module_hash: vec![9; 32],
            })),
        });
    });
    for _ in 0..3 {
        poll(&m, &ic, id);
    }
    let f = faults(&m, id);
    assert_eq!(
        names(&f),
        ["module_hash_changed"],
        "one event, not one per poll"
    );
    let message = &f[0].1;
    assert!(message.contains(&"07".repeat(32)), "{message}");
    assert!(message.contains(&"09".repeat(32)), "{message}");
    assert!(
        message.contains(&format!("by user {} (change 0)", operator())),
        "{message}"
    );
    assert_eq!(
        m.borrow()
            .canister_state(id, 0)
            .unwrap()
            .watching
            .module_hash,
        Some(ByteBuf::from(vec![9; 32]))
    );
}

#[test]
fn an_expected_change_raises_nothing_and_a_different_one_still_does() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let expected = m
        .borrow_mut()
        .expect_change(
            &ExpectChangeArgs {
                canister_id: id,
                module_hash: Some(ByteBuf::from(vec![9; 32])),
                controllers: Some(vec![monitor_id(), operator()]),
                within_seconds: 3_600,
            },
            ic.now.get(),
        )
        .unwrap();
    assert_eq!(expected_change(&m, &ic, id), Some(expected));
    ic.with(id, |c| {
        c.module_hash = Some(vec![9; 32]);
        c.controllers = vec![operator(), monitor_id()];
    });
    poll(&m, &ic, id);
    assert!(faults(&m, id).is_empty(), "{:?}", faults(&m, id));
    assert_eq!(expected_change(&m, &ic, id), None, "consumed");
    ic.with(id, |c| c.module_hash = Some(vec![10; 32]));
    poll(&m, &ic, id);
    assert_eq!(names(&faults(&m, id)), ["module_hash_changed"]);
    assert_eq!(
        m.borrow_mut().expect_change(
            &ExpectChangeArgs {
                canister_id: canister(77),
                module_hash: None,
                controllers: Some(vec![]),
                within_seconds: 60,
            },
            0
        ),
        Err(ExpectChangeError::NotRegistered {
            canister_id: canister(77)
        })
    );
}

#[test]
fn unregistering_forgets_what_was_recorded_and_expected() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    m.borrow_mut()
        .expect_change(
            &ExpectChangeArgs {
                canister_id: id,
                module_hash: Some(ByteBuf::from(vec![9; 32])),
                controllers: None,
                within_seconds: 3_600,
            },
            ic.now.get(),
        )
        .unwrap();
    m.borrow_mut().unregister(id, ic.now.get()).unwrap();
    ic.with(id, |c| c.controllers.push(operator()));
    register(&m, &ic, args(1)).unwrap();
    let st = m.borrow().canister_state(id, ic.now.get()).unwrap();
    assert_eq!(st.watching.expected_change, None);
    assert_eq!(st.watching.controllers, [monitor_id(), operator()]);
    assert!(
        faults(&m, id).is_empty(),
        "a new registration starts a new baseline"
    );
}

#[test]
fn a_lost_access_is_one_fault_and_a_regained_one_clears_it() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = viewed(&ic, 1, 5 * T);
    register(&m, &ic, args(1)).unwrap();
    ic.with(id, |c| {
        c.status_error = Some(CallError::rejected(
            5,
            "Only the controllers of the canister can read its status",
        ))
    });
    for _ in 0..5 {
        poll(&m, &ic, id);
    }
    assert_eq!(names(&faults(&m, id)), ["status_access_lost"]);
    assert_eq!(
        m.borrow().canister_state(id, 0).unwrap().watching.access,
        WatchAccess::Lost
    );
    ic.with(id, |c| c.status_error = None);
    poll(&m, &ic, id);
    assert_eq!(
        m.borrow().canister_state(id, 0).unwrap().watching.access,
        WatchAccess::StatusViewer
    );
    // Lost again: a new fault.
    ic.with(id, |c| {
        c.status_error = Some(CallError::rejected(5, "refused"))
    });
    poll(&m, &ic, id);
    assert_eq!(
        names(&faults(&m, id)),
        ["status_access_lost", "status_access_lost"]
    );
}

#[test]
fn hook_calls_carry_the_cycles_the_target_requires_within_the_budget() {
    let (m, ic) = on_fake_ic(ConfigUpdate {
        backoff_base_seconds: Some(1),
        delivery_max_attempts: Some(2),
        ..Default::default()
    });
    let id = ic.add(1, FakeCanister::new(T));
    ic.with(id, |c| c.minimum_incoming_cycles = 1_000_000);
    let mut a = args(1);
    a.cycles_threshold = Some(2 * T);
    a.top_up = Some(TopUpPolicy {
        amount: T,
        daily_budget: T + 1_500_000,
    });
    register(&m, &ic, a).unwrap();
    drain(&m, &ic, 60);
    assert_eq!(ic.canisters.borrow()[&id].hook_cycles, [1_000_000]);
    let st = m.borrow().canister_state(id, ic.now.get()).unwrap();
    assert_eq!(st.watching.minimum_incoming_call_cycles, 1_000_000);
    assert_eq!(st.watching.hook_cycles_total, 1_000_000);
    assert_eq!(
        st.topped_up_today,
        T + 1_000_000,
        "the budget counts hook cycles"
    );

    // The budget has 0.5 M left: the next hook call is not made, and the failure says why.
    let event = m
        .borrow_mut()
        .report_error(
            id,
            ErrorReport {
                source: ErrorSource::Timer("t".into()),
                message: "x".into(),
                reject_code: None,
                time_ns: 0,
                count: 1,
            },
            ic.now.get(),
        )
        .unwrap();
    drain(&m, &ic, 30);
    assert_eq!(ic.canisters.borrow()[&id].hook_cycles.len(), 1, "not sent");
    let dead = m.borrow().dead_letters(Some(id), None, 10).dead_letters;
    let reason = &dead
        .iter()
        .find(|d| d.id == event)
        .expect("dead-lettered")
        .reason;
    assert!(reason.contains("budget is exhausted"), "{reason}");
}

#[test]
fn the_state_view_forecasts_freezing_and_memory_thresholds() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    ic.with(id, |c| {
        c.idle_burn_per_day = T;
        c.freezing_threshold_s = 86_400;
        c.reserved_cycles = T / 2;
    });
    let mut a = args(1);
    a.memory = Some(MemoryThresholds {
        heap_bytes: Some(2 << 20),
        ..Default::default()
    });
    register(&m, &ic, a).unwrap();
    ic.advance(100);
    ic.with(id, |c| c.heap += 100 * 1024);
    m.borrow_mut().poll_now(id, ic.now.get()).unwrap();
    tick(&m, &ic);
    let f = m
        .borrow()
        .canister_state(id, ic.now.get())
        .unwrap()
        .forecast;
    // 5 T less a freezing threshold of 1 T of which 0.5 T is reserved, at 1 T a day.
    let days = f.seconds_to_freezing.unwrap() as f64 / 86_400.0;
    assert!((days - 4.5).abs() < 0.01, "{days}");
    // 1 MiB + 100 KiB towards 2 MiB at 1 KiB a second.
    assert_eq!(f.memory.len(), 1);
    assert_eq!(f.memory[0].seconds_to_threshold, Some(924));
}
