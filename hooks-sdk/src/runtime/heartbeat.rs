//! A trap-capturing heartbeat: each round with no body in flight starts one bounded-wait
//! self-call to [`EXECUTOR_METHOD`] that runs the body; a trap is captured as
//! `ErrorSource::Heartbeat`. At most one body is in flight at a time.
//!
//! Enable it with `export_hooks!(MyHooks, heartbeat)` and register the body with [`set_heartbeat`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;

use ic_cdk::call::Call;

use crate::events::ErrorSource;
use crate::runtime::report::{self, Failure};

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
    ic_cdk::futures::internals::in_executor_context(|| {
        ic_cdk::futures::spawn(async {
            let result = Call::bounded_wait(ic_cdk::api::canister_self(), EXECUTOR_METHOD).await;
            IN_FLIGHT.set(false);
            if let Err(e) = result {
                report::capture(ErrorSource::Heartbeat, &Failure::from_call(&e));
            }
        });
    });
}

/// `canister_update <canister-hooks> heartbeat`: runs the body. Self-calls only.
#[doc(hidden)]
pub fn executor_entry() {
    ic_cdk::futures::internals::in_executor_context(|| {
        if ic_cdk::api::msg_caller() != ic_cdk::api::canister_self() {
            ic_cdk::trap("this method is internal to canister-hooks and only the canister itself may call it");
        }
        let Some(mut body) = BODY.take() else {
            ic_cdk::api::msg_reply(Vec::<u8>::new());
            return;
        };
        let future = body();
        BODY.with_borrow_mut(|slot| {
            if slot.is_none() {
                *slot = Some(body);
            }
        });
        ic_cdk::futures::spawn(async move {
            future.await;
            ic_cdk::api::msg_reply(Vec::<u8>::new());
        });
    });
}
