//! Post-init readiness: after `init` and `post_upgrade`, seed the RNG from `raw_rand`, then run
//! the declared init tasks in order, each attempt isolated like a timer run; retry failures with
//! capped backoff; flip the ready flag when the last one succeeds.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use candid::Principal;

use crate::backoff::Backoff;
use crate::events::ErrorSource;
use crate::readiness::{Action, Readiness, SEED_STEP};
use crate::runtime::{maintenance, random, state::with_store, timers};
use crate::types::{self, Phase};

type TaskFn = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>>>>>;

/// An async task that must succeed before the canister serves guarded methods.
#[derive(Clone)]
pub struct InitTask {
    name: String,
    rerun_after_upgrade: bool,
    run: TaskFn,
}

impl std::fmt::Debug for InitTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitTask")
            .field("name", &self.name)
            .field("rerun_after_upgrade", &self.rerun_after_upgrade)
            .finish_non_exhaustive()
    }
}

impl InitTask {
    /// A task named `name` (shown in readiness and error events) that re-runs after every upgrade.
    pub fn new<F, Fut>(name: impl Into<String>, run: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        InitTask {
            name: name.into(),
            rerun_after_upgrade: true,
            run: Rc::new(move || Box::pin(run())),
        }
    }

    /// Runs only until it first succeeds: skipped after later upgrades (e.g. a one-off migration).
    pub fn once(mut self) -> Self {
        self.rerun_after_upgrade = false;
        self
    }
}

/// What `init`/`post_upgrade` hand the SDK.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    monitors: Option<Vec<Principal>>,
    tasks: Vec<InitTask>,
    backoff: Backoff,
}

impl Setup {
    /// No monitor change, no tasks, default backoff (1 s doubling to 5 min).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the monitor(s) allowed to call the hooks; without it the stored ones are kept.
    pub fn monitors(mut self, monitors: Vec<Principal>) -> Self {
        self.monitors = Some(monitors);
        self
    }

    /// Adds an init task; tasks run in the order added, after RNG seeding.
    pub fn task(mut self, task: InitTask) -> Self {
        self.tasks.push(task);
        self
    }

    /// Retry delays for failing steps.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

thread_local! {
    static READY: Cell<bool> = const { Cell::new(false) };
    static MACHINE: RefCell<Option<Readiness>> = const { RefCell::new(None) };
    static TASKS: RefCell<Vec<InitTask>> = const { RefCell::new(Vec::new()) };
}

/// Call from `#[init]`: stores the monitors and starts the post-init sequence.
pub fn init(setup: Setup) {
    start(setup, false);
}

/// Call from `#[post_upgrade]`: re-seeds and re-runs the tasks declared to re-run.
pub fn post_upgrade(setup: Setup) {
    start(setup, true);
}

fn start(setup: Setup, after_upgrade: bool) {
    if let Some(monitors) = setup.monitors {
        if let Err(e) = with_store(|s| s.set_monitors(monitors)) {
            ic_cdk::trap(format!("canister-hooks setup: {e}"));
        }
    }
    let now = ic_cdk::api::time();
    let names =
        std::iter::once(SEED_STEP.to_string()).chain(setup.tasks.iter().map(|t| t.name.clone()));
    let mut machine = Readiness::new(names, setup.backoff, now);
    if after_upgrade {
        with_store(|s| s.seen.abandon_in_progress());
        for t in setup.tasks.iter().filter(|t| !t.rerun_after_upgrade) {
            if with_store(|s| s.task_completed(&t.name)) {
                machine.skip_completed(&t.name);
            }
        }
    }
    READY.set(false);
    random::unseed();
    MACHINE.set(Some(machine));
    TASKS.set(setup.tasks);
    timers::run_local(Duration::ZERO, drive);
}

/// Advances the sequence: starts the next attempt, waits for a retry, or flips to ready.
fn drive() {
    let now = ic_cdk::api::time();
    let action = MACHINE.with_borrow_mut(|m| m.as_mut().map(|m| m.next_action(now)));
    match action {
        None | Some(Action::InFlight) => {}
        Some(Action::Ready) => READY.set(true),
        Some(Action::WaitUntil(at)) => {
            timers::run_local(Duration::from_nanos(at.saturating_sub(now)), drive);
        }
        Some(Action::Run { step, .. }) => {
            let (name, future, once) = if step == 0 {
                let fut: timers::TaskFuture = Box::pin(random::seed_from_raw_rand());
                (SEED_STEP.to_string(), fut, false)
            } else {
                let task = TASKS.with_borrow(|t| t[step - 1].clone());
                (task.name.clone(), (task.run)(), !task.rerun_after_upgrade)
            };
            let step_name = name.clone();
            timers::run_isolated(
                Duration::ZERO,
                ErrorSource::InitTask(name),
                future,
                Box::new(move |outcome| {
                    let now = ic_cdk::api::time();
                    let succeeded = outcome.is_ok();
                    MACHINE.with_borrow_mut(|m| {
                        let Some(m) = m.as_mut() else { return };
                        match outcome {
                            Ok(()) => m.succeeded(step, now),
                            Err(f) => {
                                m.failed(step, f.message, now);
                            }
                        }
                    });
                    if succeeded && once {
                        with_store(|s| s.mark_task_completed(&step_name, now));
                    }
                    drive();
                }),
            );
        }
    }
}

/// Whether every post-init step is done (the fast check the guards use).
pub fn is_ready() -> bool {
    READY.get()
}

/// Why guarded methods are rejected right now.
pub fn not_ready_message() -> String {
    MACHINE.with_borrow(|m| match m {
        Some(m) => m.not_ready_message(),
        None => "canister is initializing: the SDK was not started; call canister_hooks::init / post_upgrade from the canister's init and post_upgrade".into(),
    })
}

/// The readiness report (the `hooks_readiness` query), with the maintenance mode.
pub fn readiness() -> types::Readiness {
    let maintenance = maintenance::current();
    MACHINE.with_borrow(|m| match m {
        Some(m) => m.view(maintenance),
        None => types::Readiness {
            phase: Phase::NotStarted,
            steps: vec![],
            started_at_ns: None,
            ready_at_ns: None,
            maintenance,
        },
    })
}
