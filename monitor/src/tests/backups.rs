//! Scheduled backups over the fake IC: how many start at once, and a backup whose time came
//! while the monitor could not run it (outside its window) waits for the next window.

use crate::api::*;
use crate::policy::access::Caller;
use crate::policy::validation::tests::args;
use crate::testing::*;
use candid::Principal;

const HOUR: u64 = 3_600;

fn controller() -> Caller {
    Caller {
        principal: Principal::anonymous(),
        is_controller: true,
        is_admin: false,
        may_read: true,
    }
}

fn hourly(window: Option<BackupWindow>) -> BackupPolicy {
    BackupPolicy {
        interval_hours: if window.is_some() { 24 } else { 1 },
        window,
        keep: 3,
        mode: BackupMode::Running,
        replace_any: false,
    }
}

/// Backups running now.
fn running_backups(m: &TestMonitor) -> usize {
    m.borrow()
        .recent_operations(0)
        .iter()
        .filter(|o| o.outcome.is_none() && matches!(o.kind, OperationKind::Backup { .. }))
        .count()
}

#[test]
fn no_more_scheduled_backups_run_at_once_than_configured() {
    let (m, ic) = on_fake_ic(ConfigUpdate {
        max_concurrent_backups: Some(2),
        ..Default::default()
    });
    let ids: Vec<Principal> = (1..=3)
        .map(|i| {
            let id = ic.add(i, FakeCanister::new(5_000_000_000_000));
            register(&m, &ic, args(i)).unwrap();
            id
        })
        .collect();
    for id in &ids {
        let next = m
            .borrow_mut()
            .set_backup_policy(&controller(), *id, Some(hourly(None)), false, ic.now.get())
            .unwrap()
            .unwrap();
        assert!(next < ic.now.get() + HOUR * NS, "within the first interval");
    }
    ic.advance(HOUR);
    let started = m.borrow_mut().take_due_operations(ic.now.get());
    assert_eq!(started.len(), 2, "two of the three due backups start");
    assert_eq!(running_backups(&m), 2);
}

#[test]
fn a_backup_due_outside_its_window_waits_for_the_next_window() {
    let (m, ic) = on_fake_ic(ConfigUpdate::default());
    let id = ic.add(1, FakeCanister::new(5_000_000_000_000));
    register(&m, &ic, args(1)).unwrap();
    let hour_now = ic.now.get() / NS / HOUR % 24;
    let window = BackupWindow {
        start_hour: ((hour_now + 1) % 24) as u8,
        end_hour: ((hour_now + 2) % 24) as u8,
    };
    let due = m
        .borrow_mut()
        .set_backup_policy(
            &controller(),
            id,
            Some(hourly(Some(window))),
            false,
            ic.now.get(),
        )
        .unwrap()
        .unwrap();
    // The monitor could not run through the window (stopped): three hours later, outside it.
    ic.now.set(due + 3 * HOUR * NS);
    let started = m.borrow_mut().take_due_operations(ic.now.get());
    assert!(started.is_empty(), "not started outside the window");
    let next = m.borrow().backups(id).next_at_ns.unwrap();
    assert_eq!(
        (next - due) / NS / HOUR,
        24,
        "the same time of the next day's window"
    );
}
