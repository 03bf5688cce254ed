use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::validation::tests::args;
use crate::testing::*;
use candid::Principal;
use ic_management_canister_types::CanisterStatusType;

const T: u128 = 1_000_000_000_000;

/// The hooks the monitor found `id` does not export.
fn missing_hooks(m: &TestMonitor, id: Principal) -> Vec<String> {
    m.borrow().canister_state(id, 0).unwrap().missing_hooks
}

/// Canister `id` reports error `n` to the monitor; the event's id.
pub(super) fn report(m: &TestMonitor, ic: &FakeIc, id: Principal, n: u64) -> u64 {
    m.borrow_mut()
        .report_error(
            id,
            ErrorReport {
                source: ErrorSource::Timer(format!("t{n}")),
                message: format!("failure {n}"),
                reject_code: Some(5),
                time_ns: 1,
                count: 1,
            },
            ic.now.get(),
        )
        .unwrap()
}

#[test]
fn events_are_delivered_in_id_order_and_acknowledged() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let ids: Vec<u64> = (0..5).map(|n| report(&m, &ic, id, n)).collect();
    run_for(&m, &ic, 10, 1);
    assert_eq!(ic.handled(id), ids);
    let page = m.borrow().events(&EventFilter::default());
    assert!(page
        .events
        .iter()
        .all(|e| matches!(e.delivery, DeliveryStatus::Delivered { attempts: 1, .. })));
    assert_eq!(m.borrow().stats().deliveries, 5);
}

#[test]
fn unsubscribed_hooks_are_logged_but_not_sent() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    let mut a = args(1);
    a.hooks.on_error = false;
    register(&m, &ic, a).unwrap();
    let e = report(&m, &ic, id, 0);
    run_for(&m, &ic, 10, 1);
    assert!(ic.handled(id).is_empty());
    let rec = m.borrow().events(&EventFilter::default()).events[0].clone();
    assert_eq!((rec.id, rec.delivery), (e, DeliveryStatus::NotSubscribed));
}

#[test]
fn a_trapping_hook_is_retried_with_backoff_then_dead_lettered_without_blocking_others() {
    let (m, ic) = on_fake_ic(ConfigUpdate {
        delivery_max_attempts: Some(4),
        backoff_base_seconds: Some(2),
        ..Default::default()
    });
    let bad = ic.add(1, FakeCanister::new(5 * T));
    let good = ic.add(2, FakeCanister::new(5 * T));
    register(&m, &ic, args(1)).unwrap();
    register(&m, &ic, args(2)).unwrap();
    ic.with(bad, |c| c.hook = HookBehaviour::Trap);
    let first = report(&m, &ic, bad, 0);
    let second = report(&m, &ic, bad, 1);
    let other = report(&m, &ic, good, 2);
    tick(&m, &ic);
    assert_eq!(
        ic.handled(good),
        vec![other],
        "the healthy target is served at once"
    );
    let st = m.borrow().canister_state(bad, 0).unwrap();
    assert_eq!(st.pending_events, 2);
    run_for(&m, &ic, 600, 1);
    let dead = m.borrow().dead_letters(Some(bad), None, 10).dead_letters;
    assert_eq!(
        dead.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert!(dead[0].reason.contains("4 attempts") && dead[0].reason.contains("trapped"));
    assert_eq!(dead[0].attempts, 4);
    let stats = m.borrow().stats();
    assert_eq!(
        (
            stats.dead_lettered,
            stats.dead_letters,
            stats.outbox_pending
        ),
        (2, 2, 0)
    );
    // Redrive all of the canister's dead letters once it is fixed: delivered in id order.
    ic.with(bad, |c| c.hook = HookBehaviour::Reply);
    assert_eq!(
        m.borrow_mut().redrive_canister(bad, ic.now.get()).unwrap(),
        2
    );
    run_for(&m, &ic, 5, 1);
    assert_eq!(ic.handled(bad), vec![first, second]);
    assert_eq!(m.borrow().stats().dead_letters, 0);
}

#[test]
fn a_missing_hook_is_reported_clearly_and_not_retried() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    ic.with(id, |c| c.exports.on_error = false);
    register(&m, &ic, args(1)).unwrap();
    let e = report(&m, &ic, id, 0);
    run_for(&m, &ic, 60, 1);
    let d = m.borrow().dead_letters(None, None, 10).dead_letters;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].attempts, 1, "not retried");
    assert!(d[0].reason.contains("does not export the hook `on_error`"));
    assert_eq!(missing_hooks(&m, id), ["on_error"]);
    // Once the canister exports it, a redrive delivers and clears the flag.
    ic.with(id, |c| c.exports.on_error = true);
    m.borrow_mut().redrive(e, ic.now.get()).unwrap();
    run_for(&m, &ic, 5, 1);
    assert_eq!(ic.handled(id), vec![e]);
    assert!(missing_hooks(&m, id).is_empty());
}

#[test]
fn a_stopped_or_silent_target_retries_then_delivers_when_it_returns() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    // No poll within the test: a poll would also report the stop as an event of its own.
    let mut a = args(1);
    a.poll = poll_bounds(7200, 7200);
    register(&m, &ic, a).unwrap();
    ic.with(id, |c| c.hook = HookBehaviour::Timeout);
    let e = report(&m, &ic, id, 0);
    run_for(&m, &ic, 30, 1);
    ic.with(id, |c| {
        c.hook = HookBehaviour::Reply;
        c.status = CanisterStatusType::Stopped
    });
    run_for(&m, &ic, 30, 1);
    assert!(ic.handled(id).is_empty());
    ic.with(id, |c| c.status = CanisterStatusType::Running);
    run_for(&m, &ic, 3600, 5);
    assert_eq!(ic.handled(id), vec![e]);
}

#[test]
fn redrive_errors_are_typed() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    assert_eq!(
        m.borrow_mut().redrive(42, 0),
        Err(RedriveError::UnknownDeadLetter { id: 42 })
    );
    let e = report(&m, &ic, id, 0);
    m.borrow_mut().unregister(id, 5).unwrap();
    let d = m.borrow().dead_letters(None, None, 10).dead_letters;
    assert_eq!(d[0].id, e);
    assert!(d[0].reason.contains("unregistered"));
    assert_eq!(
        m.borrow_mut().redrive(e, 0),
        Err(RedriveError::NotRegistered { canister_id: id })
    );
}

#[test]
fn undelivered_events_survive_a_restart_and_are_delivered_after_it() {
    let (m, mem) = monitor(ConfigUpdate::default());
    let ic = FakeIc::default();
    let id = ic.add(1, FakeCanister::new(5 * T));
    register(&m, &ic, args(1)).unwrap();
    ic.with(id, |c| c.hook = HookBehaviour::Timeout);
    let ids: Vec<u64> = (0..3).map(|n| report(&m, &ic, id, n)).collect();
    tick(&m, &ic);
    // An in-flight delivery at upgrade time is simply attempted again afterwards.
    let _in_flight = m
        .borrow_mut()
        .take_due_deliveries(ic.now.get() + 10_000_000_000_000);
    drop(m);
    let m = restart(&mem);
    ic.with(id, |c| c.hook = HookBehaviour::Reply);
    run_for(&m, &ic, 3600, 5);
    assert_eq!(ic.handled(id), ids);
    let _ = CallError::rejected(6, "");
}

#[test]
fn a_missing_hook_is_known_from_the_interface_at_registration() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    ic.with(id, |c| c.exports.on_low_memory = false);
    register(&m, &ic, args(1)).unwrap();
    assert_eq!(missing_hooks(&m, id), ["on_low_memory"]);
}

#[test]
fn a_handler_trapping_with_the_words_of_a_missing_method_is_retried_like_any_trap() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    ic.with(id, |c| {
        c.hook = HookBehaviour::TrapSaying(
            "config fetch failed: Error from Canister aaaaa-aa: Canister has no update method \
             'get_config' (CanisterMethodNotFound, IC0536)"
                .into(),
        )
    });
    register(&m, &ic, args(1)).unwrap();
    let e = report(&m, &ic, id, 0);
    run_for(&m, &ic, 60, 1);
    assert!(m
        .borrow()
        .dead_letters(None, None, 10)
        .dead_letters
        .is_empty());
    let st = m.borrow().canister_state(id, 0).unwrap();
    assert!(st.missing_hooks.is_empty(), "{st:?}");
    let pending = m.borrow().events(&EventFilter::default()).events;
    assert_eq!(pending[0].delivery, DeliveryStatus::Pending);
    // Once the handler stops trapping, the retry delivers.
    ic.with(id, |c| c.hook = HookBehaviour::Reply);
    run_for(&m, &ic, 3600, 5);
    assert_eq!(ic.handled(id), vec![e]);
}

#[test]
fn without_a_readable_interface_a_missing_hook_is_retried_like_a_trap() {
    let (m, ic, id) = one_target(ConfigUpdate {
        delivery_max_attempts: Some(3),
        ..Default::default()
    });
    ic.with(id, |c| {
        c.exports.on_error = false;
        c.interface_public = false;
    });
    register(&m, &ic, args(1)).unwrap();
    report(&m, &ic, id, 0);
    run_for(&m, &ic, 3600, 5);
    let d = m.borrow().dead_letters(None, None, 10).dead_letters;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].attempts, 3, "retried up to the limit");
    assert!(missing_hooks(&m, id).is_empty());
}
