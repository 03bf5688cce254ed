//! One one-shot timer armed for the earliest due poll or delivery, plus a watchdog every ten
//! minutes that starts whatever may start and re-arms the timer should a tick ever trap. The
//! poll of a slowly-changing canister may start up to fifteen minutes before it is due
//! ([`crate::policy::scheduler::PollWindow`]), so idle canisters are polled by the watchdog's ticks
//! and cost no tick of their own.

use super::platform::Ic;
use super::state;
use crate::driver;
use crate::policy::scheduler::MAX_EARLY_START_SECONDS;
use ic_cdk_timers::TimerId;
use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

/// How often the watchdog starts due work and re-arms the timer.
pub const WATCHDOG: Duration = Duration::from_secs(600);
const _: () = assert!(WATCHDOG.as_secs() < MAX_EARLY_START_SECONDS);

/// A timer this far past its time without having run is taken as lost to a trapped tick.
const LOST_AFTER_NS: u64 = 60_000_000_000;

thread_local! {
    static ARMED: Cell<Option<(u64, TimerId)>> = const { Cell::new(None) };
}

/// Arms the timer to fire at `at_ns` (at once if that has passed), replacing one armed for
/// another time: a timer is never left to fire early for nothing.
pub fn arm_at(at_ns: u64) {
    let now = ic_cdk::api::time();
    let at = at_ns.max(now);
    if let Some((t, id)) = ARMED.get() {
        let both_due = t <= now && at_ns <= now && now < t + LOST_AFTER_NS;
        if t == at || both_due {
            return;
        }
        ic_cdk_timers::clear_timer(id);
    }
    let id = ic_cdk_timers::set_timer(Duration::from_nanos(at - now), tick());
    ARMED.set(Some((at, id)));
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
    ic_cdk_timers::set_timer_interval(WATCHDOG, || async {
        run_due();
        rearm();
    });
    arm_at(ic_cdk::api::time());
}

/// Frees a task's slot (calls its `release`) if the task is dropped before it reports, for
/// example after a trap.
struct Slot<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for Slot<F> {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            release();
        }
    }
}

/// Runs `work` as a task holding a slot that `release` frees should the task be dropped before
/// `work` ends; then re-arms the timer.
fn spawn_in_slot(release: impl FnOnce() + 'static, work: impl Future<Output = ()> + 'static) {
    ic_cdk::futures::spawn(async move {
        let mut slot = Slot(Some(release));
        work.await;
        slot.0 = None;
        rearm();
    });
}

async fn tick() {
    ARMED.set(None);
    run_due();
    rearm();
}

/// Starts every poll, delivery and webhook outcall that may start now, within the concurrency
/// limits, and the task of every lifecycle operation due (scheduled backups start here).
fn run_due() {
    let start = ic_cdk::api::instruction_counter();
    let now = ic_cdk::api::time();
    let s = state();
    let polls = s.borrow_mut().take_due_polls(now);
    let deliveries = s.borrow_mut().take_due_deliveries(now);
    let operations = s.borrow_mut().take_due_operations(now);
    let outcalls = s.borrow_mut().take_due_webhooks(now);
    super::record_tick_instructions(ic_cdk::api::instruction_counter() - start);
    for id in polls {
        let s = s.clone();
        spawn_in_slot(move || state().borrow_mut().release_poll(id), async move {
            driver::poll(&s, &Ic, id).await
        });
    }
    for d in deliveries {
        let (s, target) = (s.clone(), d.target);
        spawn_in_slot(
            move || state().borrow_mut().release_delivery(target),
            async move { driver::deliver(&s, &Ic, d).await },
        );
    }
    for d in outcalls {
        let (s, channel) = (s.clone(), d.channel);
        spawn_in_slot(
            move || state().borrow_mut().release_webhook(channel),
            async move { driver::webhooks::deliver_webhook(&s, &Ic, d).await },
        );
    }
    // An operation's task ends it whether it finishes or is dropped: the next tick resumes it.
    for id in operations {
        let s = s.clone();
        spawn_in_slot(
            move || state().borrow_mut().release_operation(id),
            async move {
                driver::operations::run_operation(&s, &Ic, id).await;
                state().borrow_mut().release_operation(id);
            },
        );
    }
}
