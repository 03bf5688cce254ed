//! A whole monitor memory written by the pinned layout, with data in every structure, opened by
//! the current code as `post_upgrade` opens it: everything must be found intact and keep working
//! (pending deliveries go out in order, dead letters can be redriven, event ids continue).
//!
//! The memory is written by [`Monitor::init`] as the canister writes it, so each structure sits
//! in an 8 MiB bucket of the memory manager, mostly zeros; the file keeps only the non-zero
//! extents (see [`to_extents`]).

use std::cell::RefCell;
use std::rc::Rc;

use candid::Principal;
use ic_management_canister_types::CanisterStatusType;
use ic_stable_structures::VectorMemory;

use super::pinned;
use crate::api::*;
use crate::driver;
use crate::monitor::{Mode, Monitor};
use crate::policy::call_error::CallError;
use crate::policy::validation::tests::{args, canister};
use crate::policy::validation::{validate, Context};
use crate::testing::{
    block_on, poll_bounds, register, tick, FakeCanister, FakeIc, HookBehaviour, TestMonitor,
};

const FIXTURE: &str = "monitor_memory.fixture";
const PAGE: usize = 65_536;
/// Zero bytes that end an extent (fewer are kept inside it: an extent header costs 12 bytes).
const GAP: usize = 16;
const T: u128 = 1_000_000_000_000;

/// The memory's size in pages (u64), then each run of non-zero bytes as its offset (u64), its
/// length (u32) and its bytes, all little-endian.
fn to_extents(memory: &[u8]) -> Vec<u8> {
    let mut out = ((memory.len() / PAGE) as u64).to_le_bytes().to_vec();
    let mut at = 0;
    while let Some(start) = memory[at..].iter().position(|b| *b != 0).map(|i| at + i) {
        let mut end = start;
        while end < memory.len() && memory[end..].iter().take(GAP).any(|b| *b != 0) {
            end += memory[end..]
                .iter()
                .take(GAP)
                .rposition(|b| *b != 0)
                .unwrap()
                + 1;
        }
        out.extend((start as u64).to_le_bytes());
        out.extend(((end - start) as u32).to_le_bytes());
        out.extend(&memory[start..end]);
        at = end;
    }
    out
}

/// The memory [`to_extents`] describes.
fn from_extents(extents: &[u8]) -> Vec<u8> {
    let u64_at = |at: usize| u64::from_le_bytes(extents[at..at + 8].try_into().unwrap()) as usize;
    let mut memory = vec![0; u64_at(0) * PAGE];
    let mut at = 8;
    while at < extents.len() {
        let start = u64_at(at);
        let len = u32::from_le_bytes(extents[at + 8..at + 12].try_into().unwrap()) as usize;
        memory[start..start + len].copy_from_slice(&extents[at + 12..at + 12 + len]);
        at += 12 + len;
    }
    memory
}

fn monitor_id() -> Principal {
    canister(999_999)
}

fn admin() -> Principal {
    Principal::self_authenticating([3u8; 32])
}

/// The configuration change the fixture was written with.
fn config_update() -> ConfigUpdate {
    ConfigUpdate {
        allow_self_registration: Some(true),
        max_concurrent_deliveries: Some(8),
        delivery_max_attempts: Some(3),
        backoff_base_seconds: Some(2),
        event_log_capacity: Some(500),
        ..Default::default()
    }
}

/// What each fixture canister registered: 1 every option and a top-up, 2 a heap threshold it is
/// over, 3 a hook it does not export, 4 itself (only `on_error`), 5 unregistered later, 6 a
/// status that later fails.
fn registered_args(n: u64) -> RegisterArgs {
    let mut a = args(n);
    match n {
        1 => {
            a.cycles_threshold = Some(2 * T);
            a.memory = Some(MemoryThresholds {
                heap_bytes: Some(1 << 30),
                stable_bytes: Some(4 << 30),
                total_bytes: Some(6 << 30),
                heap_percent_of_limit: Some(90),
            });
            a.poll = poll_bounds(30, 3_600);
            a.reminder_interval_seconds = Some(21_600);
            a.hysteresis_percent = Some(15);
            a.top_up = Some(TopUpPolicy {
                amount: T / 2,
                daily_budget: 2 * T,
            });
        }
        4 => {
            a.label = None;
            a.hooks.on_low_cycles = false;
            a.hooks.on_low_memory = false;
        }
        _ => {}
    }
    a
}

fn report(m: &TestMonitor, ic: &FakeIc, n: u64, what: &str) -> u64 {
    m.borrow_mut()
        .report_error(
            canister(n),
            ErrorReport {
                source: ErrorSource::Timer(what.into()),
                message: format!("{what} failed"),
                reject_code: Some(5),
                time_ns: 0,
                count: 2,
            },
            ic.now.get(),
        )
        .unwrap()
}

/// Writes what the fixture holds: a changed config, an admin, six registrations (one removed, its
/// slot free), samples that fire triggers, a top-up, delivered, retried, dead-lettered and
/// unsubscribed events, events pending for two targets, a failed poll.
fn fill(m: &TestMonitor) {
    let ic = FakeIc::default();
    m.borrow_mut().set_config(&config_update()).unwrap();
    m.borrow_mut().add_admin(admin());
    ic.add(1, FakeCanister::new(T));
    ic.add(2, FakeCanister::new(5 * T));
    ic.with(canister(2), |c| {
        c.heap = 2 << 30;
        c.hook = HookBehaviour::Timeout;
    });
    ic.add(3, FakeCanister::new(5 * T));
    ic.with(canister(3), |c| c.exports.on_error = false);
    ic.add(4, FakeCanister::new(T / 2));
    ic.with(canister(4), |c| c.status = CanisterStatusType::Stopped);
    ic.add(5, FakeCanister::new(5 * T));
    ic.add(6, FakeCanister::new(5 * T));
    for n in [1, 2, 3, 5, 6] {
        register(m, &ic, registered_args(n)).unwrap();
    }
    // Canister 4 registers itself.
    block_on(driver::register(
        m,
        &ic,
        canister(4),
        false,
        registered_args(4),
        Mode::New,
    ))
    .unwrap();
    report(m, &ic, 2, "index");
    report(m, &ic, 2, "compact");
    report(m, &ic, 3, "archive");
    tick(m, &ic);

    ic.advance(30);
    ic.with(canister(1), |c| c.cycles -= T / 10);
    ic.with(canister(6), |c| {
        c.status_error = Some(CallError::rejected(2, "the subnet is busy"))
    });
    for n in [1, 6] {
        m.borrow_mut().poll_now(canister(n), ic.now.get()).unwrap();
    }
    tick(m, &ic);
    report(m, &ic, 5, "sync");
    m.borrow_mut()
        .unregister(canister(5), ic.now.get())
        .unwrap();
    report(m, &ic, 1, "billing");
}

/// The fixture's memory: written by `fill` into a fresh memory with `UPDATE_GOLDEN` set.
fn fixture_memory() -> VectorMemory {
    let bytes = pinned(FIXTURE, || {
        let fresh = VectorMemory::default();
        fill(&RefCell::new(Monitor::init(fresh.clone(), monitor_id())));
        let written = fresh.borrow().clone();
        to_extents(&written)
    });
    Rc::new(RefCell::new(from_extents(&bytes)))
}

/// The monitor in `memory` as `post_upgrade` opens it: [`Monitor::init`], then the upgrade
/// argument (none) applied.
fn upgrade(memory: VectorMemory) -> TestMonitor {
    let mut m = Monitor::init(memory, monitor_id());
    m.apply_install_args(InitArgs::default()).unwrap();
    RefCell::new(m)
}

/// `e` in one line: id, canister number, kind, delivery status (a dead letter's first clause).
fn summary(e: &EventRecord) -> String {
    let n = u64::from_be_bytes(e.canister_id.as_slice()[..8].try_into().unwrap());
    let delivery = match &e.delivery {
        DeliveryStatus::Pending => "pending".to_string(),
        DeliveryStatus::Delivered { attempts, .. } => format!("delivered after {attempts}"),
        DeliveryStatus::DeadLettered { reason, .. } => {
            format!(
                "dead: {}",
                reason
                    .split([';', '('])
                    .next()
                    .unwrap_or_default()
                    .trim_end()
            )
        }
        DeliveryStatus::NotSubscribed => "not subscribed".to_string(),
    };
    format!("{} c{n} {:?} {delivery}", e.id, e.event.kind())
}

#[test]
fn the_extents_of_a_memory_restore_it() {
    let mut memory = vec![0u8; 3 * PAGE];
    memory[5] = 1;
    memory[5 + GAP] = 2;
    memory[PAGE..PAGE + 3].copy_from_slice(&[7, 0, 9]);
    memory[3 * PAGE - 1] = 4;
    let extents = to_extents(&memory);
    assert_eq!(extents.len(), 8 + 3 * 12 + (GAP + 1) + 3 + 1);
    assert_eq!(from_extents(&extents), memory);
}

#[test]
fn a_memory_written_by_the_pinned_layout_opens_intact() {
    let m = upgrade(fixture_memory());
    m.borrow_mut().check_invariants().unwrap();
    let config = Config {
        allow_self_registration: true,
        max_concurrent_deliveries: 8,
        delivery_max_attempts: 3,
        backoff_base_seconds: 2,
        event_log_capacity: 500,
        ..Default::default()
    };
    assert_eq!(m.borrow().config(), config);
    assert_eq!(m.borrow().admins(), vec![admin()]);
    // Written before read settings existed: restricted to controllers and admins, pages off.
    assert_eq!(m.borrow().read_settings(), ReadSettings::default());

    let ic = FakeIc::default();
    let registered: Vec<Registration> = [1, 2, 3, 4, 6]
        .into_iter()
        .map(|n| {
            let context = Context {
                monitor_id: monitor_id(),
                config: &config,
                now_ns: ic.now.get(),
                self_registered: n == 4,
            };
            validate(&registered_args(n), &context).unwrap()
        })
        .collect();
    assert_eq!(m.borrow().registrations(None, 10).registrations, registered);

    let events: Vec<String> = m
        .borrow()
        .events(&EventFilter::default())
        .events
        .iter()
        .map(summary)
        .collect();
    assert_eq!(
        events,
        [
            "9 c1 Error pending",
            "8 c5 Error dead: the canister was unregistered before delivery",
            "7 c3 Error dead: the canister does not export the hook `on_error` it was registered with",
            "6 c2 Error pending",
            "5 c2 Error pending",
            "4 c4 Error pending",
            "3 c4 LowCycles not subscribed",
            "2 c2 LowMemory pending",
            "1 c1 LowCycles delivered after 1",
        ]
    );
    assert_eq!(
        m.borrow().stats(),
        Stats {
            registrations: 5,
            polls: 7,
            poll_failures: 1,
            events: 9,
            deliveries: 1,
            delivery_failures: 5,
            dead_lettered: 2,
            redriven: 0,
            outbox_pending: 5,
            dead_letters: 2,
            top_ups: 2,
            top_up_cycles: T,
            errors_reported: 5,
        }
    );
    let t0 = ic.now.get();
    let watched: Vec<_> = [1, 2, 3, 4, 6]
        .into_iter()
        .map(|n| {
            let st = m.borrow().canister_state(canister(n), t0).unwrap();
            let fired: Vec<String> = st
                .triggers
                .into_iter()
                .filter(|t| !t.armed)
                .map(|t| t.name)
                .collect();
            (
                n,
                st.polls,
                (st.next_poll_ns - t0) / NS,
                fired,
                st.missing_hooks,
                st.consecutive_failures,
                st.pending_events,
                st.topped_up_total,
            )
        })
        .collect();
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        watched,
        [
            (1, 2, 3_630, names(&["low_cycles"]), vec![], 0, 1, T),
            (2, 1, 60, names(&["memory.heap"]), vec![], 0, 3, 0),
            (3, 1, 60, vec![], names(&["on_error"]), 0, 0, 0),
            (4, 1, 60, names(&["low_cycles", "stopped"]), vec![], 0, 1, 0),
            (6, 1, 90, vec![], vec![], 1, 0, 0),
        ]
    );
    let c1 = m.borrow().canister_state(canister(1), t0).unwrap();
    assert_eq!(c1.last_sample.unwrap().cycles, 1_400_000_000_000);
    let c6 = m.borrow().canister_state(canister(6), t0).unwrap();
    assert!(c6.last_failure.unwrap().contains("the subnet is busy"));
}

/// Runs ticks (a bounded number: a misread memory must fail the test, not hang it) until every
/// due event went out; no target has more than three pending.
fn deliver_everything_due(m: &TestMonitor, ic: &FakeIc) {
    for _ in 0..4 {
        tick(m, ic);
    }
}

#[test]
fn the_upgraded_fixture_keeps_delivering_redriving_and_counting() {
    let m = upgrade(fixture_memory());
    let ic = FakeIc::default();
    for n in [1, 2, 3, 4, 6] {
        ic.add(n, FakeCanister::new(5 * T));
    }
    ic.advance(60);
    deliver_everything_due(&m, &ic);
    let handled = |n| ic.handled(canister(n));
    assert_eq!(
        [1, 2, 3, 4].map(handled),
        [vec![9], vec![2, 5, 6], vec![], vec![4]],
        "pending events go out in id order to their targets"
    );

    assert_eq!(m.borrow_mut().redrive(7, ic.now.get()), Ok(7));
    deliver_everything_due(&m, &ic);
    assert_eq!(handled(3), [7], "the dead letter was redriven");
    assert_eq!(
        m.borrow_mut().redrive(8, ic.now.get()),
        Err(RedriveError::NotRegistered {
            canister_id: canister(5)
        }),
        "the unregistered canister's dead letter stays"
    );
    assert_eq!(
        report(&m, &ic, 1, "after the upgrade"),
        10,
        "event ids continue"
    );
    let stats = m.borrow().stats();
    assert_eq!((stats.deliveries, stats.redriven, stats.events), (7, 1, 10));

    ic.add(7, FakeCanister::new(5 * T));
    register(&m, &ic, args(7)).unwrap();
    assert_eq!(m.borrow().stats().registrations, 6);
    m.borrow_mut().check_invariants().unwrap();
}
