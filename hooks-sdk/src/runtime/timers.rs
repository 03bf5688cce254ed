//! Trap-capturing timers with the shape of ic-cdk-timers (one-shot and interval, async, named).
//!
//! Like ic-cdk-timers, each due timer runs as exactly one bounded-wait self-call (to
//! [`EXECUTOR_METHOD`]); the body runs there, so a trap rolls back only that run. Unlike
//! ic-cdk-timers, the reject comes back to the SDK: the failure is recorded in the stable error
//! log and routed to `on_error`. The SDK owns `canister_global_timer` (exported by
//! [`crate::export_hooks!`]), so a canister uses these functions instead of ic-cdk-timers.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ic_cdk::call::{Call, CallFailed};

use crate::events::ErrorSource;
use crate::runtime::report::{self, Failure};
use crate::schedule::{Repeat, Schedule};

pub use crate::schedule::TimerId;

/// Internal update method each timer run is dispatched to (self-calls only).
pub const EXECUTOR_METHOD: &str = "<canister-hooks> timer";

/// Most timer runs dispatched per global-timer tick (the rest run on the next tick).
pub const MAX_DISPATCH_PER_TICK: usize = 200;

/// A run's future: `Err` rejects the self-call with the message (used by init tasks).
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

type Completion = Box<dyn FnOnce(Result<(), Failure>)>;

pub(crate) enum Body {
    /// A one-shot future, taken by the executor.
    Once(Option<TaskFuture>),
    /// An interval body producing one future per run (`None` while it is being called).
    Every(Option<Box<dyn FnMut() -> TaskFuture>>),
    /// Runs directly in the global-timer context, without a self-call (SDK bookkeeping only).
    Local(Option<Box<dyn FnOnce()>>),
}

pub(crate) struct Task {
    source: ErrorSource,
    body: Body,
    on_done: Option<Completion>,
}

thread_local! {
    static SCHEDULE: RefCell<Schedule<Task>> = RefCell::new(Schedule::default());
    static ARMED_AT: RefCell<Option<u64>> = const { RefCell::new(None) };
}

/// Runs `future` once after `delay`, isolated; a trap is captured as `Timer("timer-<id>")`.
pub fn set_timer(delay: Duration, future: impl Future<Output = ()> + 'static) -> TimerId {
    add(delay, Repeat::Once, None, once_body(future), None)
}

/// Like [`set_timer`], with a name that identifies the timer in error events.
pub fn set_timer_named(
    name: impl Into<String>,
    delay: Duration,
    future: impl Future<Output = ()> + 'static,
) -> TimerId {
    add(
        delay,
        Repeat::Once,
        Some(name.into()),
        once_body(future),
        None,
    )
}

/// Runs `func()` every `interval`, each run isolated; a trapping run does not stop the schedule.
pub fn set_timer_interval<Fut>(interval: Duration, func: impl FnMut() -> Fut + 'static) -> TimerId
where
    Fut: Future<Output = ()> + 'static,
{
    let repeat = Repeat::Every(crate::schedule::duration_ns(interval));
    add(interval, repeat, None, every_body(func), None)
}

/// Like [`set_timer_interval`], with a name that identifies the timer in error events.
pub fn set_timer_interval_named<Fut>(
    name: impl Into<String>,
    interval: Duration,
    func: impl FnMut() -> Fut + 'static,
) -> TimerId
where
    Fut: Future<Output = ()> + 'static,
{
    let repeat = Repeat::Every(crate::schedule::duration_ns(interval));
    add(interval, repeat, Some(name.into()), every_body(func), None)
}

/// Cancels a timer; a run already in progress finishes. Does nothing if it is gone.
pub fn clear_timer(id: TimerId) {
    SCHEDULE.with_borrow_mut(|s| s.cancel(id));
}

/// Timers currently scheduled.
pub fn scheduled_count() -> usize {
    SCHEDULE.with_borrow(|s| s.len())
}

fn once_body(future: impl Future<Output = ()> + 'static) -> Body {
    Body::Once(Some(Box::pin(async move {
        future.await;
        Ok(())
    })))
}

fn every_body<Fut>(mut func: impl FnMut() -> Fut + 'static) -> Body
where
    Fut: Future<Output = ()> + 'static,
{
    Body::Every(Some(Box::new(move || {
        let fut = func();
        Box::pin(async move {
            fut.await;
            Ok(())
        })
    })))
}

/// Schedules an isolated one-shot run whose outcome is handed to `on_done` (init tasks).
pub(crate) fn run_isolated(
    delay: Duration,
    source: ErrorSource,
    future: TaskFuture,
    on_done: Completion,
) -> TimerId {
    insert(
        delay,
        Repeat::Once,
        source,
        Body::Once(Some(future)),
        Some(on_done),
    )
}

/// Schedules SDK bookkeeping to run in the global-timer context after `delay` (no self-call).
pub(crate) fn run_local(delay: Duration, f: impl FnOnce() + 'static) -> TimerId {
    insert(
        delay,
        Repeat::Once,
        ErrorSource::System("canister-hooks".into()),
        Body::Local(Some(Box::new(f))),
        None,
    )
}

fn add(
    delay: Duration,
    repeat: Repeat,
    name: Option<String>,
    body: Body,
    on_done: Option<Completion>,
) -> TimerId {
    let id = SCHEDULE.with_borrow_mut(|s| {
        s.add(
            ic_cdk::api::time(),
            delay,
            repeat,
            Task {
                source: ErrorSource::Timer(String::new()),
                body,
                on_done,
            },
        )
    });
    let name = name.unwrap_or_else(|| format!("timer-{}", id.0));
    SCHEDULE.with_borrow_mut(|s| {
        if let Some(task) = s.payload_mut(id) {
            task.source = ErrorSource::Timer(name);
        }
    });
    arm_global_timer();
    id
}

fn insert(
    delay: Duration,
    repeat: Repeat,
    source: ErrorSource,
    body: Body,
    on_done: Option<Completion>,
) -> TimerId {
    let id = SCHEDULE.with_borrow_mut(|s| {
        s.add(
            ic_cdk::api::time(),
            delay,
            repeat,
            Task {
                source,
                body,
                on_done,
            },
        )
    });
    arm_global_timer();
    id
}

/// Sets the IC global timer to the earliest due time (only when that moves it earlier).
fn arm_global_timer() {
    let next = SCHEDULE.with_borrow_mut(|s| s.next_wakeup());
    ARMED_AT.with_borrow_mut(|armed| {
        let change = match (next, *armed) {
            (Some(n), Some(a)) => n < a,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if change {
            ic_cdk::api::global_timer_set(next.unwrap_or(0));
            *armed = next;
        }
    });
}

/// `canister_global_timer`: dispatch every due timer. Called by the export from `export_hooks!`.
#[doc(hidden)]
pub fn global_timer_entry() {
    ic_cdk::futures::internals::in_executor_context(|| {
        ARMED_AT.set(None); // the IC timer fired and is now disarmed
        let now = ic_cdk::api::time();
        let due = SCHEDULE.with_borrow_mut(|s| s.due(now, MAX_DISPATCH_PER_TICK));
        for d in due {
            let local = SCHEDULE.with_borrow_mut(|s| match s.payload_mut(d.id) {
                Some(Task {
                    body: Body::Local(f),
                    ..
                }) => f.take(),
                _ => None,
            });
            match local {
                Some(f) => {
                    SCHEDULE.with_borrow_mut(|s| s.finished(d.id));
                    f();
                }
                None => ic_cdk::futures::spawn(dispatch(d.id)),
            }
        }
        arm_global_timer();
    });
}

/// One run: one bounded-wait self-call, then bookkeeping and error capture.
async fn dispatch(id: TimerId) {
    let result = Call::bounded_wait(ic_cdk::api::canister_self(), EXECUTOR_METHOD)
        .with_raw_args(&id.0.to_be_bytes())
        .await;
    let failure = result.err();
    // A call that never reached the executor (not enough cycles, queue full, system transient
    // reject before start) leaves a one-shot body untaken: run it again on the next tick.
    if let Some(e) = &failure {
        let untaken = SCHEDULE.with_borrow_mut(|s| {
            matches!(
                s.payload_mut(id),
                Some(Task {
                    body: Body::Once(Some(_)),
                    ..
                })
            )
        });
        if untaken && is_retryable_before_start(e) {
            SCHEDULE.with_borrow_mut(|s| s.retry(id, ic_cdk::api::time()));
            arm_global_timer();
            return;
        }
    }
    let (source, on_done) = SCHEDULE.with_borrow_mut(|s| {
        let on_done = s.payload_mut(id).and_then(|t| t.on_done.take());
        let source = match failure {
            Some(_) => s.payload_mut(id).map(|t| t.source.clone()),
            None => None, // the common path allocates nothing
        };
        s.finished(id);
        (source, on_done)
    });
    let outcome = match failure {
        None => Ok(()),
        Some(e) => {
            let f = Failure::from_call(&e);
            if let Some(source) = source {
                report::capture(source, &f);
            }
            Err(f)
        }
    };
    if let Some(done) = on_done {
        done(outcome);
    }
    arm_global_timer();
}

fn is_retryable_before_start(e: &CallFailed) -> bool {
    match e {
        CallFailed::InsufficientLiquidCycleBalance(_) | CallFailed::CallPerformFailed(_) => true,
        CallFailed::CallRejected(r) => r.raw_reject_code() == 2,
    }
}

/// `canister_update <canister-hooks> timer`: runs one timer body. Self-calls only.
#[doc(hidden)]
pub fn executor_entry() {
    ic_cdk::futures::internals::in_executor_context(|| {
        if ic_cdk::api::msg_caller() != ic_cdk::api::canister_self() {
            ic_cdk::trap("this method is internal to canister-hooks and only the canister itself may call it");
        }
        let arg = ic_cdk::api::msg_arg_data();
        let Ok(bytes) = <[u8; 8]>::try_from(arg.as_slice()) else {
            ic_cdk::trap("canister-hooks: malformed timer id");
        };
        let id = TimerId(u64::from_be_bytes(bytes));
        let Some(future) = take_future(id) else {
            ic_cdk::api::msg_reply([]); // cancelled meanwhile
            return;
        };
        ic_cdk::futures::spawn(async move {
            match future.await {
                Ok(()) => ic_cdk::api::msg_reply([]),
                Err(message) => ic_cdk::api::msg_reject(message),
            }
        });
    });
}

/// Takes (one-shot) or produces (interval) the future for a run, without holding the schedule
/// borrowed while user code runs (it may set or clear timers).
fn take_future(id: TimerId) -> Option<TaskFuture> {
    enum Taken {
        Future(TaskFuture),
        Func(Box<dyn FnMut() -> TaskFuture>),
    }
    let taken = SCHEDULE.with_borrow_mut(|s| match &mut s.payload_mut(id)?.body {
        Body::Once(f) => f.take().map(Taken::Future),
        Body::Every(f) => f.take().map(Taken::Func),
        Body::Local(_) => None,
    })?;
    match taken {
        Taken::Future(f) => Some(f),
        Taken::Func(mut func) => {
            let fut = func();
            SCHEDULE.with_borrow_mut(|s| {
                if let Some(Task {
                    body: Body::Every(slot),
                    ..
                }) = s.payload_mut(id)
                {
                    *slot = Some(func);
                }
            });
            Some(fut)
        }
    }
}
