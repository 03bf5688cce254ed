//! The hook trait a canister implements, and the endpoint bodies [`crate::export_hooks!`] exports.

use std::future::Future;

use candid::Principal;

use crate::dedupe::Delivery;
use crate::events::{
    ErrorEvent, EventId, EventOrigin, LowCyclesEvent, LowMemoryEvent, MemoryMetric,
};
use crate::runtime::state::with_store;

/// The lifecycle hooks; implement the ones you need (the others do nothing).
///
/// Handlers may be `async fn`s and make calls. Each distinct event id runs its handler once; a
/// handler that traps is retried by the monitor (the event id is forgotten).
pub trait Hooks: 'static {
    /// The cycle balance fell below the monitor's threshold.
    fn on_low_cycles(event: LowCyclesEvent) -> impl Future<Output = ()> {
        let _ = event;
        async {}
    }

    /// A memory measure rose above the monitor's threshold (or the IC's low-wasm-memory hook fired).
    fn on_low_memory(event: LowMemoryEvent) -> impl Future<Output = ()> {
        let _ = event;
        async {}
    }

    /// A timer, heartbeat, init task or hook failed, or the monitor saw a fault.
    fn on_error(event: ErrorEvent) -> impl Future<Output = ()> {
        let _ = event;
        async {}
    }
}

/// Body of the exported `on_low_cycles`.
#[doc(hidden)]
pub async fn handle_low_cycles<H: Hooks>(event: LowCyclesEvent) {
    let id = event.id;
    handle_once(id, H::on_low_cycles(event)).await
}

/// Body of the exported `on_low_memory`.
#[doc(hidden)]
pub async fn handle_low_memory<H: Hooks>(event: LowMemoryEvent) {
    let id = event.id;
    handle_once(id, H::on_low_memory(event)).await
}

/// Body of the exported `on_error`.
#[doc(hidden)]
pub async fn handle_error<H: Hooks>(event: ErrorEvent) {
    let id = event.id;
    handle_once(id, H::on_error(event)).await
}

/// Runs `handler` unless `(caller, id)` was handled already; a concurrent repeat is rejected.
async fn handle_once(id: EventId, handler: impl Future<Output = ()>) {
    let sender = ic_cdk::api::msg_caller();
    match with_store(|s| s.seen.begin(sender, id)) {
        Delivery::Duplicate => with_store(|s| s.count_duplicate()),
        Delivery::InProgress => ic_cdk::trap(format!(
            "event {id} is being handled by an earlier delivery; retry later"
        )),
        Delivery::New => {
            let guard = ForgetOnCancel {
                sender,
                id,
                armed: true,
            };
            handler.await;
            let mut guard = guard;
            guard.armed = false;
            with_store(|s| {
                s.seen.complete(sender, id);
                s.count_handled();
            });
        }
    }
}

/// Forgets an event id if its handler is cancelled by a trap after an await, so it runs again.
struct ForgetOnCancel {
    sender: Principal,
    id: EventId,
    armed: bool,
}

impl Drop for ForgetOnCancel {
    fn drop(&mut self) {
        if self.armed {
            with_store(|s| s.seen.abandon(self.sender, self.id));
        }
    }
}

/// Forwards the IC's native `canister_on_low_wasm_memory` to [`Hooks::on_low_memory`].
///
/// Call it from your `#[ic_cdk::on_low_wasm_memory]` function. The event is marked
/// [`EventOrigin::SelfRaised`], metric `Heap`, with the current heap size as value; the IC does
/// not tell the canister its threshold, so `threshold` is 0 and `limit` is `None`.
pub fn bridge_low_wasm_memory<H: Hooks>() {
    let event = LowMemoryEvent {
        id: with_store(|s| s.next_local_event_id()),
        origin: EventOrigin::SelfRaised,
        metric: MemoryMetric::Heap,
        value: heap_bytes(),
        threshold: 0,
        limit: None,
        observed_at_ns: ic_cdk::api::time(),
    };
    with_store(|s| s.count_handled());
    ic_cdk::futures::spawn(H::on_low_memory(event));
}

fn heap_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) as u64) * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}
