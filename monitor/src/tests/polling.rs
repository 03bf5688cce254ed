use crate::api::*;
use crate::policy::call_error::CallError;
use crate::policy::validation::tests::args;
use crate::testing::*;
use ic_management_canister_types::CanisterStatusType;

const T: u128 = 1_000_000_000_000;

fn kinds(m: &TestMonitor) -> Vec<(EventKind, String)> {
    let mut page = m.borrow().events(&EventFilter {
        limit: Some(500),
        ..Default::default()
    });
    page.events.reverse();
    page.events
        .iter()
        .map(|r| {
            let detail = match &r.event {
                HookEvent::Error(e) => match &e.source {
                    ErrorSource::System(s) => s.clone(),
                    other => format!("{other:?}"),
                },
                HookEvent::LowMemory(e) => format!("{:?}", e.metric),
                HookEvent::LowCycles(_) => String::new(),
            };
            (r.event.kind(), detail)
        })
        .collect()
}

#[test]
fn a_burning_canister_is_polled_more_often_than_an_idle_one() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let idle = ic.add(1, FakeCanister::new(50 * T));
    let burning = ic.add(2, FakeCanister::new(50 * T));
    register(&m, &ic, args(1)).unwrap();
    register(&m, &ic, args(2)).unwrap();
    let polls_before = |id| m.borrow().canister_state(id, 0).unwrap().polls;
    let (i0, b0) = (polls_before(idle), polls_before(burning));
    // Burn 10 B cycles per second: 49 T above the threshold is ~80 minutes away.
    for _ in 0..(6 * 60) {
        ic.with(burning, |c| {
            c.cycles = c.cycles.saturating_sub(600_000_000_000)
        });
        run_for(&m, &ic, 60, 60);
    }
    let (i1, b1) = (polls_before(idle) - i0, polls_before(burning) - b0);
    eprintln!("burning polled {b1} times, idle {i1} times");
    assert!(
        b1 >= 5 * i1.max(1),
        "burning polled {b1} times, idle {i1} times"
    );
    assert!(i1 <= 2, "idle canister polled at the 6-hour maximum: {i1}");
    assert!(kinds(&m).contains(&(EventKind::LowCycles, String::new())));
}

#[test]
fn hysteresis_stops_repeats_and_reminders_repeat_at_their_interval() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    let mut a = args(1);
    a.poll = poll_bounds(60, 60);
    register(&m, &ic, a).unwrap();
    // Hover around the 1 T threshold, never recovering past 1.1 T.
    for cycles in [T - 1, T + 1, T - 1, T + 50_000_000_000, T - 1] {
        ic.with(id, |c| c.cycles = cycles);
        run_for(&m, &ic, 60, 60);
    }
    let low = |m: &_| {
        kinds(m)
            .iter()
            .filter(|k| k.0 == EventKind::LowCycles)
            .count()
    };
    assert_eq!(low(&m), 1);
    // Recover past the margin, then cross again: a second event.
    ic.with(id, |c| c.cycles = 2 * T);
    run_for(&m, &ic, 60, 60);
    ic.with(id, |c| c.cycles = T / 2);
    run_for(&m, &ic, 60, 60);
    assert_eq!(low(&m), 2);

    // With a reminder interval, a still-low value repeats, no more often than the interval.
    let id2 = ic.add(2, FakeCanister::new(T / 2));
    let mut a = args(2);
    a.reminder_interval_seconds = Some(600);
    a.poll = poll_bounds(60, 60);
    register(&m, &ic, a).unwrap();
    run_for(&m, &ic, 1800, 60);
    let n = m
        .borrow()
        .events(&EventFilter {
            canister_id: Some(id2),
            kind: Some(EventKind::LowCycles),
            ..Default::default()
        })
        .events
        .len();
    assert!(
        (3..=4).contains(&n),
        "first event plus a reminder every 10 minutes for 30 minutes: {n}"
    );
}

#[test]
fn memory_thresholds_fire_per_metric() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    let mut a = args(1);
    a.memory = Some(MemoryThresholds {
        heap_bytes: None,
        stable_bytes: Some(1 << 20),
        total_bytes: None,
        heap_percent_of_limit: Some(80),
    });
    register(&m, &ic, a).unwrap();
    ic.with(id, |c| {
        c.stable = 2 << 20;
        c.limit = 100 << 20;
        c.heap = 85 << 20;
    });
    run_for(&m, &ic, 7 * 3600, 600);
    let k = kinds(&m);
    assert!(k.contains(&(EventKind::LowMemory, format!("{:?}", MemoryMetric::Stable))));
    assert!(k.contains(&(
        EventKind::LowMemory,
        format!("{:?}", MemoryMetric::HeapPercentOfLimit)
    )));
    assert_eq!(k.iter().filter(|x| x.0 == EventKind::LowMemory).count(), 2);
}

#[test]
fn stopped_frozen_and_heap_at_limit_become_error_events_once() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    ic.with(id, |c| {
        c.status = CanisterStatusType::Stopped;
        c.limit = 64 << 20;
        c.heap = 64 << 20;
        c.idle_burn_per_day = 10 * T;
        c.freezing_threshold_s = 86_400;
    });
    run_for(&m, &ic, 13 * 3600, 600);
    let k = kinds(&m);
    for fault in ["stopped", "heap_at_limit", "frozen"] {
        assert_eq!(
            k.iter()
                .filter(|x| x == &&(EventKind::Error, fault.to_string()))
                .count(),
            1,
            "{fault} in {k:?}"
        );
    }
}

#[test]
fn status_calls_respect_the_concurrency_limit_oldest_due_first() {
    let (m, ic) = on_fake_ic(ConfigUpdate {
        max_concurrent_status_calls: Some(2),
        ..Default::default()
    });
    for n in 1..=5 {
        ic.add(n, FakeCanister::new(5 * T));
        register(&m, &ic, args(n)).unwrap();
        ic.advance(1);
    }
    ic.advance(7 * 3600);
    let now = ic.now.get();
    let first = m.borrow_mut().take_due_polls(now);
    assert_eq!(first, vec![args(1).canister_id, args(2).canister_id]);
    assert!(
        m.borrow_mut().take_due_polls(now).is_empty(),
        "no free slot"
    );
    assert_eq!(m.borrow().polls_in_flight(), 2);
    block_on(crate::driver::poll(&m, &ic, first[0]));
    assert_eq!(
        m.borrow_mut().take_due_polls(now),
        vec![args(3).canister_id]
    );
}

#[test]
fn the_next_wakeup_skips_work_already_in_flight() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    ic.add(1, FakeCanister::new(5 * T));
    register(&m, &ic, args(1)).unwrap();
    let due = m.borrow_mut().next_wakeup().unwrap();
    assert!(
        due > ic.now.get(),
        "the low-cycles event was already delivered? {due}"
    );
    let polls = m.borrow_mut().take_due_polls(due);
    assert_eq!(polls.len(), 1);
    assert_eq!(
        m.borrow_mut().next_wakeup(),
        None,
        "nothing startable while the only poll is in flight"
    );
}

#[test]
fn a_refused_status_is_backed_off_raised_once_as_a_lost_access_and_does_not_stall_others() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let bad = ic.add(1, FakeCanister::new(5 * T));
    let good = ic.add(2, FakeCanister::new(5 * T));
    let mut a = args(1);
    a.poll = poll_bounds(60, 3600);
    register(&m, &ic, a.clone()).unwrap();
    a.canister_id = good;
    register(&m, &ic, a).unwrap();
    ic.with(bad, |c| {
        c.status_error = Some(CallError::rejected(
            5,
            "Only the controllers of the canister can call canister_status",
        ))
    });
    run_for(&m, &ic, 4 * 3600, 30);
    let st = m.borrow().canister_state(bad, ic.now.get()).unwrap();
    assert!(st.consecutive_failures >= 3);
    assert!(st.last_failure.unwrap().contains("controllers"));
    assert!(
        st.consecutive_failures < 4 * 60,
        "backed off, not polled every minute: {}",
        st.consecutive_failures
    );
    let count = |name: &str| {
        kinds(&m)
            .into_iter()
            .filter(|k| k == &(EventKind::Error, name.to_string()))
            .count()
    };
    assert_eq!(count("status_access_lost"), 1);
    assert_eq!(count("status_unreadable"), 0, "one fault, not two");
    assert_eq!(st.watching.access, WatchAccess::Lost);
    let good_polls = m.borrow().canister_state(good, 0).unwrap().polls;
    assert!(
        good_polls >= 4,
        "the healthy canister kept being polled: {good_polls}"
    );
    // Recovery re-arms the trigger.
    ic.with(bad, |c| c.status_error = None);
    run_for(&m, &ic, 3600, 30);
    let st = m.borrow().canister_state(bad, 0).unwrap();
    assert_eq!(st.consecutive_failures, 0);
    assert_eq!(st.watching.access, WatchAccess::Controller, "regained");
    assert!(st
        .triggers
        .iter()
        .all(|t| t.name != "status_unreadable" || t.armed));
}

#[test]
fn transient_status_failures_raise_nothing_until_they_persist() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    ic.with(id, |c| {
        c.status_error = Some(CallError::rejected(2, "subnet busy"))
    });
    for failures in 1..=3u32 {
        let now = ic.now.get();
        let event = m
            .borrow_mut()
            .on_poll_failure(id, &CallError::rejected(2, "subnet busy"), now);
        assert_eq!(event.is_some(), failures == 3, "failure {failures}");
    }
}

#[test]
fn top_ups_respect_the_daily_budget_and_the_reserve() {
    let (m, ic, id) = one_target(ConfigUpdate {
        top_up_reserve_cycles: Some(T),
        ..Default::default()
    });
    let mut a = args(1);
    a.top_up = Some(TopUpPolicy {
        amount: 2 * T,
        daily_budget: 3 * T,
    });
    a.poll = poll_bounds(60, 60);
    register(&m, &ic, a).unwrap();
    // Burn hard: every minute the canister loses 3 T.
    for _ in 0..10 {
        ic.with(id, |c| c.cycles = c.cycles.saturating_sub(3 * T));
        run_for(&m, &ic, 60, 60);
    }
    let deposits = ic.canisters.borrow()[&id].deposits.clone();
    assert_eq!(deposits.iter().sum::<u128>(), 3 * T, "{deposits:?}");
    let st = m.borrow().canister_state(id, ic.now.get()).unwrap();
    assert_eq!(st.topped_up_today, 3 * T);
    // The reserve: the monitor keeps at least 1 T even on a new day.
    ic.balance.set(T + 1_500_000_000);
    ic.advance(86_400);
    ic.with(id, |c| c.cycles = 0);
    run_for(&m, &ic, 120, 60);
    assert!(ic.balance.get() >= T);
    assert_eq!(m.borrow().stats().top_ups, deposits.len() as u64 + 1);
}

#[test]
fn poll_now_and_released_slots_make_a_canister_due_again() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    let now = ic.now.get();
    assert!(m.borrow_mut().take_due_polls(now).is_empty());
    m.borrow_mut().poll_now(id, now).unwrap();
    assert_eq!(m.borrow_mut().take_due_polls(now), vec![id]);
    assert!(m.borrow_mut().take_due_polls(now).is_empty());
    m.borrow_mut().release_poll(id);
    assert_eq!(m.borrow_mut().take_due_polls(now), vec![id]);
    assert!(m.borrow_mut().poll_now(args(9).canister_id, now).is_err());
}

#[test]
fn the_instructions_of_each_sample_are_recorded() {
    let (m, ic, id) = one_target(ConfigUpdate::default());
    register(&m, &ic, args(1)).unwrap();
    m.borrow_mut().poll_now(id, ic.now.get()).unwrap();
    tick(&m, &ic);
    // The fake counter advances 1,000 per read: one read before and one after the sample.
    let cost = m.borrow().sample_cost();
    assert_eq!(
        (cost.last, cost.max, cost.sum, cost.count),
        (1_000, 1_000, 1_000, 1)
    );
    m.borrow_mut().poll_now(id, ic.now.get()).unwrap();
    tick(&m, &ic);
    assert_eq!(m.borrow().sample_cost().count, 2);
}

#[test]
fn idle_canisters_due_minutes_apart_are_polled_in_one_tick() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    ic.add(1, FakeCanister::new(50 * T));
    ic.add(2, FakeCanister::new(50 * T));
    register(&m, &ic, args(1)).unwrap();
    run_for(&m, &ic, 300, 1);
    register(&m, &ic, args(2)).unwrap();
    run_for(&m, &ic, 120, 1);
    // Both idle now: next polled a day after their second sample, five minutes apart.
    let due = m.borrow_mut().next_wakeup().unwrap();
    assert!(due > ic.now.get() + 86_000 * NS);
    let calls = ic.status_calls.get();
    ic.now.set(due);
    tick(&m, &ic);
    assert_eq!(ic.status_calls.get() - calls, 2);
    assert!(m.borrow().polls_in_flight() == 0);
}
