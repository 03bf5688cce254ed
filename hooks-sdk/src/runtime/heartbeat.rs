//! A trap-capturing heartbeat: each round with no body in flight starts one bounded-wait
//! self-call to [`EXECUTOR_METHOD`] that runs the body; a trap is captured as
//! `ErrorSource::Heartbeat`. At most one body is in flight at a time.
//!
//! Enable it with `export_hooks!(MyHooks, heartbeat)` and register the body with [`set_heartbeat`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;

use crate::events::ErrorSource;
use crate::runtime::report::{self, Failure};
use crate::runtime::self_call::{self, Completion};

/// Internal update method the heartbeat body runs in (self-calls only).
pub const EXECUTOR_METHOD: &str = "<canister-hooks> heartbeat";

type BodyFn = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = ()>>>>;

thread_local! {
    static BODY: RefCell<Option<BodyFn>> = const { RefCell::new(None) };
    static IN_FLIGHT: Cell<bool> = const { Cell::new(false) };
}

/// Sets the heartbeat body (replacing any previous one); call it in `init` and `post_upgrade`.
pub fn set_heartbeat<Fut>(mut body: impl FnMut() -> Fut + 'static)
where
    Fut: Future<Output = ()> + 'static,
{
    BODY.set(Some(Box::new(move || Box::pin(body()))));
}

/// Removes the heartbeat body; heartbeats then do nothing.
pub fn clear_heartbeat() {
    BODY.set(None);
}

/// Whether a heartbeat body is running now.
pub fn in_flight() -> bool {
    IN_FLIGHT.get()
}

/// `canister_heartbeat`: starts the body unless one is in flight. Exported by `export_hooks!`.
#[doc(hidden)]
pub fn heartbeat_entry() {
    if IN_FLIGHT.get() || BODY.with_borrow(|b| b.is_none()) {
        return;
    }
    IN_FLIGHT.set(true);
    ic_cdk_executor::in_tracking_executor_context(|| {
        if let Err((round, failure)) = self_call::call(EXECUTOR_METHOD, &[], Round) {
            round.complete(Err(failure));
        }
    });
}

/// The heartbeat body in flight.
struct Round;

impl Completion for Round {
    fn complete(self, outcome: Result<(), Failure>) {
        IN_FLIGHT.set(false);
        if let Err(failure) = outcome {
            report::capture(ErrorSource::Heartbeat, &failure);
        }
    }

    fn recover(self) {
        IN_FLIGHT.set(false);
    }
}

/// `canister_update <canister-hooks> heartbeat`: runs the body. Self-calls only.
#[doc(hidden)]
pub fn executor_entry() {
    ic_cdk_executor::in_tracking_executor_context(|| {
        self_call::require_self_caller();
        let Some(mut body) = BODY.take() else {
            ic0::msg_reply();
            return;
        };
        let future = body();
        BODY.with_borrow_mut(|slot| {
            if slot.is_none() {
                *slot = Some(body);
            }
        });
        ic_cdk_executor::spawn_protected(async move {
            future.await;
            ic0::msg_reply();
        });
    });
}
