use crate::api::*;
use crate::driver;
use crate::monitor::Mode;
use crate::policy::validation::tests::{args, canister};
use crate::testing::*;
use candid::Principal;

#[test]
fn registering_reads_the_status_at_once_and_stores_the_first_sample() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    let reg = register(&m, &ic, args(1)).unwrap();
    assert_eq!(reg.canister_id, id);
    assert_eq!(ic.status_calls.get(), 1);
    let st = m.borrow().canister_state(id, ic.now.get()).unwrap();
    assert_eq!(st.last_sample.unwrap().cycles, 5_000_000_000_000);
    assert!(st.next_poll_ns > ic.now.get());
    m.borrow_mut().check_invariants().unwrap();
}

#[test]
fn an_unreadable_status_fails_registration_with_a_fix_and_registers_nothing() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = ic.add(1, FakeCanister::new(1));
    ic.with(id, |c| {
        c.status_error = Some(crate::policy::call_error::CallError::rejected(
            4,
            "Only the controllers of the canister can call canister_status",
        ))
    });
    match register(&m, &ic, args(1)).unwrap_err() {
        RegistrationError::StatusUnreadable { fix, .. } => assert!(fix.contains("controller")),
        e => panic!("{e:?}"),
    }
    assert_eq!(m.borrow().stats().registrations, 0);
    // A canister that does not exist is refused too.
    assert!(matches!(
        register(&m, &ic, args(2)).unwrap_err(),
        RegistrationError::StatusUnreadable { .. }
    ));
}

#[test]
fn strangers_cannot_register_update_or_unregister() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    ic.add(1, FakeCanister::new(1));
    let stranger = Principal::self_authenticating([9u8; 32]);
    for mode in [Mode::New, Mode::Update] {
        let e = block_on(driver::register(&m, &ic, stranger, false, args(1), mode)).unwrap_err();
        assert!(matches!(e, RegistrationError::NotAuthorized { .. }));
    }
    assert_eq!(ic.status_calls.get(), 0, "no call is made for a stranger");
}

#[test]
fn added_admins_may_register() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    ic.add(1, FakeCanister::new(1));
    let admin = Principal::self_authenticating([3u8; 32]);
    m.borrow_mut().add_admin(admin);
    block_on(driver::register(&m, &ic, admin, false, args(1), Mode::New)).unwrap();
    assert!(m.borrow_mut().remove_admin(admin));
    assert!(!m.borrow().caller(admin, false).is_admin());
}

#[test]
fn self_registration_only_when_allowed_and_only_for_itself() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = ic.add(1, FakeCanister::new(1));
    let e = block_on(driver::register(&m, &ic, id, false, args(1), Mode::New)).unwrap_err();
    assert!(e.to_string().contains("self-registration is disabled"));
    m.borrow_mut()
        .set_config(&ConfigUpdate {
            allow_self_registration: Some(true),
            ..Default::default()
        })
        .unwrap();
    let reg = block_on(driver::register(&m, &ic, id, false, args(1), Mode::New)).unwrap();
    assert!(reg.self_registered);
    // It may not register another canister.
    ic.add(2, FakeCanister::new(1));
    assert!(block_on(driver::register(&m, &ic, id, false, args(2), Mode::New)).is_err());
}

#[test]
fn the_registry_cap_and_duplicates_are_refused() {
    let (m, ic) = on_fake_ic(ConfigUpdate {
        max_registrations: Some(2),
        ..Default::default()
    });
    for n in 1..=3 {
        ic.add(n, FakeCanister::new(1));
    }
    register(&m, &ic, args(1)).unwrap();
    assert!(matches!(
        register(&m, &ic, args(1)).unwrap_err(),
        RegistrationError::AlreadyRegistered { .. }
    ));
    register(&m, &ic, args(2)).unwrap();
    match register(&m, &ic, args(3)).unwrap_err() {
        RegistrationError::RegistryFull { cap, .. } => assert_eq!(cap, 2),
        e => panic!("{e:?}"),
    }
}

#[test]
fn update_keeps_the_watch_state_and_unregister_removes_everything() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let mut a = args(1);
    a.label = Some("renamed".into());
    let reg = block_on(driver::register(
        &m,
        &ic,
        Principal::anonymous(),
        true,
        a,
        Mode::Update,
    ))
    .unwrap();
    assert_eq!(reg.label, "renamed");
    let st = m.borrow().canister_state(id, 0).unwrap();
    assert_eq!(st.polls, 1);
    m.borrow_mut().unregister(id, 0).unwrap();
    assert!(m.borrow().registration(id).is_none());
    assert!(m.borrow().canister_state(id, 0).is_none());
    m.borrow_mut().check_invariants().unwrap();
    assert!(matches!(
        m.borrow_mut().unregister(id, 0),
        Err(RegistrationError::NotRegistered { .. })
    ));
}

#[test]
fn report_error_is_only_for_a_registered_canister_about_itself() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let report = ErrorReport {
        source: ErrorSource::Timer("compact".into()),
        message: "trapped: index out of bounds".into(),
        reject_code: Some(5),
        time_ns: 7,
        count: 3,
    };
    let stranger = canister(2);
    let e = m
        .borrow_mut()
        .report_error(stranger, report.clone(), 1)
        .unwrap_err();
    assert!(e.contains("not registered"));
    let event_id = m.borrow_mut().report_error(id, report, 1).unwrap();
    let page = m.borrow().events(&EventFilter::default());
    let rec = &page.events[0];
    assert_eq!((rec.id, rec.canister_id), (event_id, id));
    match &rec.event {
        HookEvent::Error(e) => {
            assert_eq!(e.source, ErrorSource::Timer("compact".into()));
            assert_eq!(e.count, 3);
            assert_eq!(
                e.origin,
                crate::api::EventOrigin::Monitor(canister(999_999))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rec.delivery, DeliveryStatus::Pending);
}

#[test]
fn report_error_is_refused_once_too_many_events_are_undelivered() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let report = ErrorReport {
        source: ErrorSource::Heartbeat,
        message: "x".repeat(5000),
        reject_code: None,
        time_ns: 0,
        count: 0,
    };
    for _ in 0..crate::monitor::MAX_PENDING_PER_TARGET {
        m.borrow_mut().report_error(id, report.clone(), 1).unwrap();
    }
    assert!(m
        .borrow_mut()
        .report_error(id, report, 1)
        .unwrap_err()
        .contains("undelivered"));
    let page = m.borrow().events(&EventFilter {
        limit: Some(1),
        ..Default::default()
    });
    let HookEvent::Error(e) = &page.events[0].event else {
        panic!()
    };
    assert_eq!(e.message.len(), crate::monitor::MAX_MESSAGE_BYTES);
    assert_eq!(e.count, 1, "a zero count is reported as one occurrence");
}

#[test]
fn state_survives_a_restart_from_stable_memory() {
    let (m, mem) = monitor(ConfigUpdate {
        max_registrations: Some(77),
        ..Default::default()
    });
    let ic = FakeIc::default();
    let id = ic.add(1, FakeCanister::new(5_000_000_000_000));
    register(&m, &ic, args(1)).unwrap();
    m.borrow_mut().add_admin(canister(50));
    drop(m);
    let m = restart(&mem);
    let m = m.borrow();
    assert_eq!(m.config().max_registrations, 77);
    assert_eq!(m.registration(id).unwrap().label, "canister-1");
    assert_eq!(m.admins(), vec![canister(50)]);
    assert_eq!(m.stats().polls, 1);
    assert_eq!(default_config().max_registrations, 10_000);
}

#[test]
fn register_and_update_reply_with_the_registration_as_stored() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    // A time with a sub-second part: the record keeps whole seconds.
    ic.now.set(ic.now.get() + 123_456_789);
    let registered = register(&m, &ic, args(1)).unwrap();
    assert_eq!(m.borrow().registration(id), Some(registered.clone()));
    assert_eq!(
        m.borrow().registrations(None, 10).registrations,
        vec![registered.clone()]
    );
    assert_eq!(registered.registered_at_ns % NS, 0, "{registered:?}");

    ic.advance(7);
    ic.now.set(ic.now.get() + 987_654_321);
    let mut changed = args(1);
    changed.label = Some("renamed".into());
    let updated = block_on(driver::register(
        &m,
        &ic,
        Principal::anonymous(),
        true,
        changed,
        Mode::Update,
    ))
    .unwrap();
    assert_eq!(m.borrow().registration(id), Some(updated.clone()));
    assert_eq!(updated.registered_at_ns, registered.registered_at_ns);
    assert_eq!(updated.updated_at_ns, (ic.now.get() / NS) * NS);
}
