//! The one raw bounded-wait self-call an isolated run makes, with plain `ic0` callbacks (no call
//! future, no task on the caller's side), as ic-cdk-timers does; and the caller check of the
//! internal methods it calls.
//!
//! The caller hands over a [`Completion`]; exactly one of its methods runs when the call ends:
//! [`Completion::complete`] in the reply/reject callback, or [`Completion::recover`] in the
//! cleanup callback if `complete` trapped (its changes rolled back).

use ic_cdk_executor::MethodHandle;

use crate::runtime::report::Failure;

/// Seconds a self-call may take before the system rejects it with SYS_UNKNOWN.
pub const TIMEOUT_SECONDS: u32 = 300;

/// What to do when a self-call ends.
pub(crate) trait Completion: Sized + 'static {
    /// Runs in the callback (an update context where calls can be made) with the outcome.
    fn complete(self, outcome: Result<(), Failure>);
    /// Runs in the cleanup callback when `complete` trapped: undo what must not stay stuck.
    fn recover(self);
}

struct Env<C> {
    completion: C,
    method: MethodHandle,
}

/// Calls `method` on this canister with the raw `arg`, bounded-wait.
///
/// Must run in a tracking executor context (an entry point wrapped in
/// `ic_cdk_executor::in_tracking_executor_context`). If the call cannot be made (too few liquid
/// cycles, `call_perform` refused), nothing is sent and the completion comes back with why.
pub(crate) fn call<C: Completion>(
    method: &str,
    arg: &[u8],
    completion: C,
) -> Result<(), (C, Failure)> {
    let cost = ic0::cost_call(method.len() as u64, arg.len() as u64);
    let liquid = ic0::canister_liquid_cycle_balance128();
    if liquid < cost {
        let message = format!("not enough liquid cycles for the self-call: {liquid} < {cost}");
        return Err((completion, not_sent(message)));
    }
    let env = Box::into_raw(Box::new(Env {
        completion,
        method: ic_cdk_executor::extend_current_method_context(),
    })) as usize;
    let mut self_id = [0u8; 32];
    let self_id = canister_self(&mut self_id);
    // SAFETY: `on_response::<C>` and `on_cleanup::<C>` are entry points taking an `env` made by
    // `Box::<Env<C>>::into_raw`; if `call_perform` returns 0, exactly one of them receives it
    // (a trapping callback is rolled back, then cleanup runs), else it is freed below.
    unsafe {
        ic0::call_new(
            self_id,
            method,
            on_response::<C>,
            env,
            on_response::<C>,
            env,
        );
        ic0::call_on_cleanup(on_cleanup::<C>, env);
    }
    ic0::call_with_best_effort_response(TIMEOUT_SECONDS);
    if !arg.is_empty() {
        ic0::call_data_append(arg);
    }
    match ic0::call_perform() {
        0 => Ok(()),
        code => {
            // SAFETY: a non-zero `call_perform` hands ownership of `env` back to us.
            let env = unsafe { Box::from_raw(env as *mut Env<C>) };
            let message = format!("call_perform failed with code {code}");
            Err((env.completion, not_sent(message)))
        }
    }
}

fn not_sent(message: String) -> Failure {
    Failure {
        reject_code: None,
        message,
    }
}

/// # Safety
/// Only the system calls it, with an `env` made by [`call`].
unsafe extern "C" fn on_response<C: Completion>(env: usize) {
    // SAFETY: see `call`.
    let Env { completion, method } = *unsafe { Box::from_raw(env as *mut Env<C>) };
    ic_cdk_executor::in_callback_executor_context_for(method, || {
        let outcome = match ic0::msg_reject_code() {
            0 => Ok(()),
            code => Err(Failure {
                reject_code: Some(code),
                message: reject_message(),
            }),
        };
        completion.complete(outcome);
    });
}

/// # Safety
/// Only the system calls it, with an `env` made by [`call`].
unsafe extern "C" fn on_cleanup<C: Completion>(env: usize) {
    // SAFETY: see `call`.
    let Env { completion, method } = *unsafe { Box::from_raw(env as *mut Env<C>) };
    ic_cdk_executor::in_trap_recovery_context_for(method, || {
        ic_cdk_executor::cancel_all_tasks_attached_to_current_method();
        completion.recover();
    });
}

fn reject_message() -> String {
    let mut buf = vec![0u8; ic0::msg_reject_msg_size()];
    ic0::msg_reject_msg_copy(&mut buf, 0);
    String::from_utf8_lossy(&buf).into_owned()
}

fn canister_self(buf: &mut [u8; 32]) -> &[u8] {
    let len = ic0::canister_self_size();
    ic0::canister_self_copy(&mut buf[..len], 0);
    &buf[..len]
}

/// Traps unless the caller is this canister (the internal executor methods).
pub(crate) fn require_self_caller() {
    let mut caller = [0u8; 32];
    let len = ic0::msg_caller_size();
    let is_self = len <= caller.len() && {
        ic0::msg_caller_copy(&mut caller[..len], 0);
        let mut me = [0u8; 32];
        caller[..len] == *canister_self(&mut me)
    };
    if !is_self {
        ic0::trap(
            b"this method is internal to canister-hooks and only the canister itself may call it",
        );
    }
}
