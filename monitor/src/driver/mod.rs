//! The monitor's asynchronous flows (register, poll, deliver; lifecycle operations in
//! `operations`) written against the [`Platform`] seam, so the same code runs in the canister
//! (ic-cdk calls) and in native tests (fakes).

pub mod operations;
pub mod webhooks;

use crate::api::{Hooks, OperationError, RegisterArgs, Registration, RegistrationError};
use crate::monitor::{Delivery, Mode, Monitor};
use crate::policy::call_error::CallError;
use crate::policy::exports::exported_hooks;
use crate::policy::pipeline::calls::{self, CallSpec};
use crate::policy::watching::HISTORY_CHANGES;
use crate::policy::webhooks::outcall::OutcallRequest;
use crate::status_reply::{self, StatusReply};
use candid::Principal;
use ic_management_canister_types::{CanisterInfoArgs, CanisterInfoResult};
use ic_stable_structures::Memory;
use std::cell::RefCell;

/// Everything the monitor needs from the outside world.
#[allow(async_fn_in_trait)]
pub trait Platform {
    /// Current time, nanoseconds since the epoch.
    fn now_ns(&self) -> u64;
    /// The monitor's own spendable cycle balance.
    fn own_balance(&self) -> u128;
    /// Instructions executed so far in the current message (0 where not measurable).
    fn instructions(&self) -> u64;
    /// The Candid-encoded `canister_status` reply for `id`, bounded-wait with `timeout_seconds`.
    async fn canister_status(
        &self,
        id: Principal,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError>;
    /// `deposit_cycles` of `amount` into `id`, bounded-wait.
    async fn deposit_cycles(
        &self,
        id: Principal,
        amount: u128,
        timeout_seconds: u32,
    ) -> Result<(), CallError>;
    /// The public `candid:service` metadata of `id` (its Candid service description),
    /// bounded-wait.
    async fn candid_service(
        &self,
        id: Principal,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError>;
    /// Makes `call` (of a hook, a management method, an SDK endpoint) with `cycles` attached,
    /// bounded-wait; returns the reply bytes.
    async fn call(
        &self,
        call: CallSpec,
        cycles: u128,
        timeout_seconds: u32,
    ) -> Result<Vec<u8>, CallError>;
    /// The cycles an HTTPS outcall of `request_size` bytes accepting `max_response_bytes`
    /// costs (`ic0.cost_http_request`, the spec's cost function).
    fn http_request_cost(&self, request_size: u64, max_response_bytes: u64) -> u128;
    /// POSTs `request` as a non-replicated HTTPS outcall (one node sends it) with `cycles`
    /// attached and the monitor's transform; returns the response status.
    async fn http_request(&self, request: &OutcallRequest, cycles: u128) -> Result<u16, CallError>;
}

/// Registers (or updates) a canister: authorizes, validates, checks that its status is readable
/// (new registrations only), then stores it and processes the first sample.
pub async fn register<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    caller: Principal,
    is_controller: bool,
    args: RegisterArgs,
    mode: Mode,
) -> Result<Registration, RegistrationError> {
    let (reg, timeout, monitor_id) = {
        let s = state.borrow();
        let self_registered = s.authorize_registration(caller, is_controller, args.canister_id)?;
        let reg = s.prepare(&args, self_registered, mode, platform.now_ns())?;
        (reg, s.config().call_timeout_seconds, s.id())
    };
    let sample = if mode == Mode::New {
        match platform
            .canister_status(args.canister_id, timeout)
            .await
            .and_then(|bytes| decode_status(&bytes))
        {
            Ok(reply) => Some((reply.to_sample(platform.now_ns()), reply.identity)),
            Err(e) => {
                return Err(RegistrationError::StatusUnreadable {
                    canister_id: args.canister_id,
                    reject_code: e.reject_code,
                    message: e.describe(),
                    fix: e.status_fix(&monitor_id.to_text()),
                })
            }
        }
    } else {
        None
    };
    let exports = read_exports(platform, args.canister_id, timeout).await;
    // A backup policy needs a canister the monitor controls; whether it links the SDK decides
    // how it is backed up.
    let backup_sdk = match args.backup {
        Some(_) => Some(
            operations::probe(platform, monitor_id, timeout, args.canister_id, &[])
                .await
                .map_err(|e| match e {
                    OperationError::NotController {
                        canister_id,
                        controllers,
                    } => RegistrationError::NotController {
                        field: "backup".into(),
                        canister_id,
                        controllers,
                    },
                    e => RegistrationError::InvalidBackupPolicy {
                        field: "backup".into(),
                        reason: e.to_string(),
                    },
                })?,
        ),
        None => None,
    };
    let (reg, outcome) = state.borrow_mut().commit(
        reg,
        mode,
        sample,
        exports,
        platform.now_ns(),
        platform.own_balance(),
    )?;
    if let (Some(policy), Some(sdk)) = (args.backup, backup_sdk) {
        state
            .borrow_mut()
            .schedule_backups(reg.canister_id, Some(policy), sdk, platform.now_ns());
    }
    if let Some(amount) = outcome.top_up {
        top_up(state, platform, reg.canister_id, amount, timeout).await;
    }
    Ok(reg)
}

async fn top_up<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    id: Principal,
    amount: u128,
    timeout: u32,
) {
    let result = platform.deposit_cycles(id, amount, timeout).await;
    state
        .borrow_mut()
        .on_top_up(id, amount, result, platform.now_ns());
}

/// Polls one canister (already marked in flight by `take_due_polls`) and acts on the sample.
pub async fn poll<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    id: Principal,
) {
    let timeout = state.borrow().config().call_timeout_seconds;
    let result = platform.canister_status(id, timeout).await;
    let start = platform.instructions();
    let now = platform.now_ns();
    match result.and_then(|bytes| decode_status(&bytes)) {
        Ok(reply) => {
            let outcome = {
                let mut m = state.borrow_mut();
                let sample = reply.to_sample(now);
                let outcome = m.on_sample(id, sample, &reply.identity, now, platform.own_balance());
                m.record_sample_cost(platform.instructions().saturating_sub(start));
                outcome
            };
            if !outcome.changes.is_empty() {
                let info = canister_info(platform, id, timeout).await;
                state.borrow_mut().raise_changes(
                    id,
                    &outcome.changes,
                    info.as_ref(),
                    platform.now_ns(),
                );
            }
            if let Some(amount) = outcome.top_up {
                top_up(state, platform, id, amount, timeout).await;
            }
        }
        Err(e) => {
            state.borrow_mut().on_poll_failure(id, &e, now);
        }
    }
}

/// `id`'s recent history from the management canister's `canister_info` (any canister may ask);
/// `None` when the call fails.
async fn canister_info<P: Platform>(
    platform: &P,
    id: Principal,
    timeout: u32,
) -> Option<CanisterInfoResult> {
    let arg = candid::encode_one(CanisterInfoArgs {
        canister_id: id,
        num_requested_changes: Some(HISTORY_CHANGES),
    })
    .ok()?;
    let reply = platform
        .call(calls::management("canister_info", arg), 0, timeout)
        .await
        .ok()?;
    candid::decode_one(&reply).ok()
}

/// Reads a `canister_status` reply (see [`status_reply`]).
pub fn decode_status(bytes: &[u8]) -> Result<StatusReply, CallError> {
    status_reply::decode(bytes).map_err(|e| CallError {
        reject_code: None,
        message: format!("unexpected canister_status reply: {e}"),
        clean: false,
        transient: false,
    })
}

/// Delivers one head event (already marked in flight by `take_due_deliveries`).
pub async fn deliver<M: Memory, P: Platform>(
    state: &RefCell<Monitor<M>>,
    platform: &P,
    d: Delivery,
) {
    let (timeout, cycles) = {
        let s = state.borrow();
        let cycles = s.hook_cycles(d.target, platform.now_ns());
        (s.config().call_timeout_seconds, cycles)
    };
    let result = match cycles {
        Ok(cycles) => {
            let hook = CallSpec {
                callee: d.target,
                method: d.event.endpoint().into(),
                arg: d.event.encode_arg(),
            };
            let result = platform.call(hook, cycles, timeout).await.map(|_ack| ());
            let refunded = result.as_ref().is_err_and(|e| e.clean);
            state
                .borrow_mut()
                .on_hook_cycles(d.target, cycles, refunded, platform.now_ns());
            result
        }
        Err(no_budget) => Err(no_budget),
    };
    let kind = d.event.kind();
    // Whether the hook is missing is asked of the target's interface, never read from the
    // reject message: a handler that traps is retried whatever its message says.
    let hook_missing = match &result {
        Err(e) if e.may_be_missing_method() => read_exports(platform, d.target, timeout)
            .await
            .map(|exports| !kind.is_subscribed(&exports)),
        _ => None,
    };
    state.borrow_mut().on_delivery(
        d.target,
        d.event.id(),
        kind,
        result,
        hook_missing,
        platform.now_ns(),
    );
}

/// The hooks `id`'s published interface declares; `None` when it cannot be read (not public,
/// not Candid, or the call failed).
async fn read_exports<P: Platform>(platform: &P, id: Principal, timeout: u32) -> Option<Hooks> {
    let bytes = platform.candid_service(id, timeout).await.ok()?;
    exported_hooks(std::str::from_utf8(&bytes).ok()?)
}
