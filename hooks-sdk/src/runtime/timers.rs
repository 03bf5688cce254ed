//! Trap-capturing timers with the shape of ic-cdk-timers (one-shot and interval, async, named).
//!
//! Like ic-cdk-timers, each due timer runs as exactly one bounded-wait self-call (to
//! [`EXECUTOR_METHOD`], made with plain `ic0` callbacks as ic-cdk-timers does); the body runs there,
//! so a trap rolls back only that run. Unlike
//! ic-cdk-timers, the reject comes back to the SDK: the failure is recorded in the stable error
//! log and routed to `on_error`. The SDK owns `canister_global_timer` (exported by
//! [`crate::export_hooks!`]), so a canister uses these functions instead of ic-cdk-timers.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::events::ErrorSource;
use crate::runtime::report::{self, Failure};
use crate::runtime::self_call::{self, Completion};
use crate::schedule::{Repeat, Schedule};

pub use crate::schedule::TimerId;

/// Internal update method each timer run is dispatched to (self-calls only).
pub const EXECUTOR_METHOD: &str = "<canister-hooks> timer";

/// Most timer runs dispatched per global-timer tick (the rest run on the next tick).
pub const MAX_DISPATCH_PER_TICK: usize = 200;

/// A run's future: `Err` rejects the self-call with the message (used by init tasks).
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

type OnDone = Box<dyn FnOnce(Result<(), Failure>)>;

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
    on_done: Option<OnDone>,
}

thread_local! {
    static SCHEDULE: RefCell<Schedule<Task>> = RefCell::new(Schedule::default());
    static ARMED_AT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `future` once after `delay`, isolated; a trap is captured as `Timer("timer-<id>")`.
pub fn set_timer(delay: Duration, future: impl Future<Output = ()> + 'static) -> TimerId {
    add(delay, Repeat::Once, None, once_body(future))
}

/// Like [`set_timer`], with a name that identifies the timer in error events.
pub fn set_timer_named(
    name: impl Into<String>,
    delay: Duration,
    future: impl Future<Output = ()> + 'static,
) -> TimerId {
    add(delay, Repeat::Once, Some(name.into()), once_body(future))
}

/// Runs `func()` every `interval`, each run isolated; a trapping run does not stop the schedule.
pub fn set_timer_interval<Fut>(interval: Duration, func: impl FnMut() -> Fut + 'static) -> TimerId
where
    Fut: Future<Output = ()> + 'static,
{
    let repeat = Repeat::Every(crate::schedule::duration_ns(interval));
    add(interval, repeat, None, every_body(func))
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
    add(interval, repeat, Some(name.into()), every_body(func))
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
    on_done: OnDone,
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

/// Schedules a user's timer; its failures name it `name`, or `timer-<id>` when it has none.
fn add(delay: Duration, repeat: Repeat, name: Option<String>, body: Body) -> TimerId {
    let named = name.is_some();
    let id = insert(
        delay,
        repeat,
        ErrorSource::Timer(name.unwrap_or_default()),
        body,
        None,
    );
    if !named {
        SCHEDULE.with_borrow_mut(|s| {
            if let Some(task) = s.payload_mut(id) {
                task.source = ErrorSource::Timer(format!("timer-{}", id.0));
            }
        });
    }
    id
}

/// Schedules `body`; its failures are reported with `source`.
fn insert(
    delay: Duration,
    repeat: Repeat,
    source: ErrorSource,
    body: Body,
    on_done: Option<OnDone>,
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
    let Some(next) = SCHEDULE.with_borrow_mut(|s| s.next_wakeup()) else {
        return;
    };
    if ARMED_AT.get().is_none_or(|armed| next < armed) {
        ic0::global_timer_set(next);
        ARMED_AT.set(Some(next));
    }
}

/// `canister_global_timer`: dispatch every due timer. Called by the export from `export_hooks!`.
#[doc(hidden)]
pub fn global_timer_entry() {
    ic_cdk_executor::in_tracking_executor_context(|| {
        ARMED_AT.set(None); // the IC timer fired and is now disarmed
        let now = ic0::time();
        for _ in 0..MAX_DISPATCH_PER_TICK {
            let Some(due) = SCHEDULE.with_borrow_mut(|s| s.next_due(now)) else {
                break;
            };
            if let Some(local) = take_local(due.id) {
                local();
                continue;
            }
            let run = Run { id: due.id };
            if let Err((run, failure)) =
                self_call::call(EXECUTOR_METHOD, &due.id.0.to_be_bytes(), run)
            {
                // Later calls this tick would fail the same way: leave them queued.
                run.complete(Err(failure));
                break;
            }
        }
        arm_global_timer();
    });
}

/// Takes a due SDK-bookkeeping body (and ends its timer); `None` for a body run by a self-call.
fn take_local(id: TimerId) -> Option<Box<dyn FnOnce()>> {
    SCHEDULE.with_borrow_mut(|s| {
        let Some(Task {
            body: Body::Local(f),
            ..
        }) = s.payload_mut(id)
        else {
            return None;
        };
        let f = f.take();
        s.finished(id);
        f
    })
}

/// One dispatched run, waiting for its self-call to end.
struct Run {
    id: TimerId,
}

impl Completion for Run {
    /// Bookkeeping and error capture after the run.
    fn complete(self, outcome: Result<(), Failure>) {
        let id = self.id;
        if let Err(failure) = &outcome {
            if never_started(id, failure) {
                // Not enough cycles, queue full or a transient reject before the executor took
                // the one-shot body: run it again on the next tick.
                SCHEDULE.with_borrow_mut(|s| s.retry(id, ic0::time()));
                arm_global_timer();
                return;
            }
        }
        let (source, on_done) = SCHEDULE.with_borrow_mut(|s| {
            let task = s.payload_mut(id);
            let (source, on_done) = match task {
                Some(t) => (outcome.is_err().then(|| t.source.clone()), t.on_done.take()),
                None => (None, None),
            };
            s.finished(id);
            (source, on_done)
        });
        if let (Err(failure), Some(source)) = (&outcome, source) {
            report::capture(source, failure);
        }
        if let Some(done) = on_done {
            done(outcome);
        }
    }

    /// The completion trapped: at least end the run, so an interval is not stuck in flight.
    fn recover(self) {
        SCHEDULE.with_borrow_mut(|s| s.finished(self.id));
    }
}

/// Whether a failed run's one-shot body was never taken by the executor and the failure came
/// before it could be (the call was not made, or was rejected with SYS_TRANSIENT).
fn never_started(id: TimerId, failure: &Failure) -> bool {
    let before_start = matches!(failure.reject_code, None | Some(2));
    before_start
        && SCHEDULE.with_borrow_mut(|s| {
            matches!(
                s.payload_mut(id),
                Some(Task {
                    body: Body::Once(Some(_)),
                    ..
                })
            )
        })
}

/// `canister_update <canister-hooks> timer`: runs one timer body. Self-calls only.
#[doc(hidden)]
pub fn executor_entry() {
    ic_cdk_executor::in_tracking_executor_context(|| {
        self_call::require_self_caller();
        let mut arg = [0u8; 8];
        if ic0::msg_arg_data_size() != arg.len() {
            ic0::trap(b"canister-hooks: malformed timer id");
        }
        ic0::msg_arg_data_copy(&mut arg, 0);
        let Some(future) = take_future(TimerId(u64::from_be_bytes(arg))) else {
            ic0::msg_reply(); // cancelled meanwhile
            return;
        };
        ic_cdk_executor::spawn_protected(async move {
            match future.await {
                Ok(()) => ic0::msg_reply(),
                Err(message) => ic0::msg_reject(message.as_bytes()),
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
