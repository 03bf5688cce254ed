//! One one-shot timer armed for the earliest due poll or delivery, plus a slow watchdog that
//! re-arms it should a tick ever trap. Idle monitors therefore wake only when something is due.

use super::platform::Ic;
use super::state;
use crate::driver;
use candid::Principal;
use ic_cdk_timers::TimerId;
use std::cell::Cell;
use std::time::Duration;

/// How often the watchdog checks that the timer is armed.
pub const WATCHDOG: Duration = Duration::from_secs(600);

thread_local! {
    static ARMED: Cell<Option<(u64, TimerId)>> = const { Cell::new(None) };
}

/// Makes sure the timer fires no later than `at_ns`.
pub fn arm_at(at_ns: u64) {
    let now = ic_cdk::api::time();
    if let Some((t, id)) = ARMED.get() {
        if t <= at_ns && t + 60_000_000_000 > now {
            return;
        }
        ic_cdk_timers::clear_timer(id);
    }
    let delay = Duration::from_nanos(at_ns.saturating_sub(now));
    let id = ic_cdk_timers::set_timer(delay, tick());
    ARMED.set(Some((at_ns.max(now), id)));
}

/// Arms the timer for the next startable work, if any.
pub fn rearm() {
    if let Some(at) = state().borrow_mut().next_wakeup() {
        arm_at(at);
    }
}

/// Starts the watchdog and arms the timer (init and post_upgrade: timers do not survive upgrades).
pub fn start() {
    ARMED.set(None);
    ic_cdk_timers::set_timer_interval(WATCHDOG, || async { rearm() });
    arm_at(ic_cdk::api::time());
}

/// Frees a poll slot if the task is dropped before it reports (for example after a trap).
struct PollSlot(Principal, bool);
impl Drop for PollSlot {
    fn drop(&mut self) {
        if !self.1 {
            state().borrow_mut().release_poll(self.0);
        }
    }
}

/// Frees a delivery slot if the task is dropped before it reports.
struct DeliverySlot(Principal, bool);
impl Drop for DeliverySlot {
    fn drop(&mut self) {
        if !self.1 {
            state().borrow_mut().release_delivery(self.0);
        }
    }
}

async fn tick() {
    ARMED.set(None);
    let now = ic_cdk::api::time();
    let s = state();
    let polls = s.borrow_mut().take_due_polls(now);
    for id in polls {
        let s = s.clone();
        ic_cdk::futures::spawn(async move {
            let mut slot = PollSlot(id, false);
            driver::poll(&s, &Ic, id).await;
            slot.1 = true;
            rearm();
        });
    }
    let deliveries = s.borrow_mut().take_due_deliveries(now);
    for d in deliveries {
        let s = s.clone();
        ic_cdk::futures::spawn(async move {
            let mut slot = DeliverySlot(d.target, false);
            driver::deliver(&s, &Ic, d).await;
            slot.1 = true;
            rearm();
        });
    }
    rearm();
}
