//! Tracked inter-canister calls: ic-cdk's [`Call`](ic_cdk::call::Call) with the same builder,
//! counting the calls that await a response per callee and method, and the one-way calls sent,
//! for `hooks_status` and the upgrade guard ([`guard_upgrade`]).
//!
//! ```ignore
//! use canister_hooks::call::Call;
//! let balance: u64 = Call::bounded_wait(ledger, "balance").with_arg(account).await?.candid()?;
//! Call::unbounded_wait(archive, "append").with_arg(block).oneway()?;
//! ```

use std::cell::RefCell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use candid::utils::ArgumentEncoder;
use candid::{CandidType, Principal};
use ic_cdk::call::{CallFailed, OnewayError, Response};

use crate::in_flight::InFlight;
use crate::types::CallsInFlight;

thread_local! {
    static IN_FLIGHT: RefCell<InFlight> = RefCell::new(InFlight::default());
}

/// An inter-canister call whose wait for a response is counted (see the module docs); built and
/// awaited exactly like [`ic_cdk::call::Call`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Call<'m, 'a> {
    inner: ic_cdk::call::Call<'m, 'a>,
    callee: Principal,
    method: &'m str,
}

impl<'m> Call<'m, '_> {
    /// A call that waits for its response at most 300 s (change it with [`Call::change_timeout`]).
    pub fn bounded_wait(callee: Principal, method: &'m str) -> Self {
        Call {
            inner: ic_cdk::call::Call::bounded_wait(callee, method),
            callee,
            method,
        }
    }

    /// A call that waits for its response as long as the callee takes.
    pub fn unbounded_wait(callee: Principal, method: &'m str) -> Self {
        Call {
            inner: ic_cdk::call::Call::unbounded_wait(callee, method),
            callee,
            method,
        }
    }
}

impl<'m, 'a> Call<'m, 'a> {
    fn map(self, f: impl FnOnce(ic_cdk::call::Call<'m, 'a>) -> ic_cdk::call::Call<'m, 'a>) -> Self {
        Call {
            inner: f(self.inner),
            ..self
        }
    }

    /// Sets the one Candid argument.
    pub fn with_arg<A: CandidType>(self, arg: A) -> Self {
        self.map(|c| c.with_arg(arg))
    }

    /// Sets the Candid arguments (a tuple).
    pub fn with_args<A: ArgumentEncoder>(self, args: &A) -> Self {
        self.map(|c| c.with_args(args))
    }

    /// Sets the raw argument bytes, borrowed.
    pub fn with_raw_args(self, raw_args: &'a [u8]) -> Self {
        self.map(|c| c.with_raw_args(raw_args))
    }

    /// Sets the raw argument bytes, owned.
    pub fn take_raw_args(self, raw_args: Vec<u8>) -> Self {
        self.map(|c| c.take_raw_args(raw_args))
    }

    /// Attaches cycles to the call.
    pub fn with_cycles(self, cycles: u128) -> Self {
        self.map(|c| c.with_cycles(cycles))
    }

    /// Changes a bounded wait's timeout (panics on an unbounded-wait call, as ic-cdk does).
    pub fn change_timeout(self, timeout_seconds: u32) -> Self {
        self.map(|c| c.change_timeout(timeout_seconds))
    }

    /// Cycles the call costs: the attached cycles plus the transmission fee.
    pub fn get_cost(&self) -> u128 {
        self.inner.get_cost()
    }

    /// Sends the call without waiting for a response; counted as a one-way call once sent.
    pub fn oneway(&self) -> Result<(), OnewayError> {
        self.inner.oneway()?;
        IN_FLIGHT.with_borrow_mut(|f| f.one_way());
        Ok(())
    }
}

impl<'m, 'a> IntoFuture for Call<'m, 'a> {
    type Output = Result<Response, CallFailed>;
    type IntoFuture = CallFuture<'m, 'a>;

    fn into_future(self) -> Self::IntoFuture {
        CallFuture {
            inner: self.inner.into_future(),
            callee: self.callee,
            method: self.method,
            awaiting: false,
        }
    }
}

/// The future of a tracked [`Call`]: counted from the moment the call is sent until its response,
/// reject or cleanup arrives, or the future is dropped (a trap in the callback rolls the count
/// back, and the cleanup that follows drops the future, which ends the count).
#[must_use = "futures do nothing unless awaited"]
pub struct CallFuture<'m, 'a> {
    inner: ic_cdk::call::CallFuture<'m, 'a>,
    callee: Principal,
    method: &'m str,
    awaiting: bool,
}

impl CallFuture<'_, '_> {
    fn stop_awaiting(&mut self) {
        if std::mem::take(&mut self.awaiting) {
            IN_FLIGHT.with_borrow_mut(|f| f.end(self.callee, self.method));
        }
    }
}

impl Future for CallFuture<'_, '_> {
    type Output = Result<Response, CallFailed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll(cx) {
            Poll::Pending => {
                if !this.awaiting {
                    this.awaiting = true;
                    IN_FLIGHT.with_borrow_mut(|f| f.begin(this.callee, this.method));
                }
                Poll::Pending
            }
            Poll::Ready(result) => {
                this.stop_awaiting();
                Poll::Ready(result)
            }
        }
    }
}

impl Drop for CallFuture<'_, '_> {
    fn drop(&mut self) {
        self.stop_awaiting();
    }
}

/// Calls awaiting a response, per callee and method, and one-way calls sent.
pub(crate) fn report() -> (Vec<CallsInFlight>, u64) {
    IN_FLIGHT.with_borrow(|f| (f.calls(), f.one_way_sent()))
}

/// Call from `#[ic_cdk::pre_upgrade]`: refuses the upgrade (traps) while tracked calls await
/// responses, naming them and the two ways out (stop the canister first, or upgrade with
/// `skip_pre_upgrade`). Traps for no other reason; with nothing in flight it reads one counter.
pub fn guard_upgrade() {
    if let Some(why) = IN_FLIGHT.with_borrow(|f| f.upgrade_refusal()) {
        ic_cdk::trap(why);
    }
}
