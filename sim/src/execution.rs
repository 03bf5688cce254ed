//! Executing messages: requests, responses (callbacks and cleanup), and committing or rolling
//! back what each execution did.

use crate::call_context::{CallContext, Callback, ResponseTarget};
use crate::canister::{Canister, LowMemoryHook, RunStatus, Settings};
use crate::cycles;
use crate::error::{ErrorCode, RejectCode, UserError};
use crate::messages::{Message, Request, Response as QueuedResponse};
use crate::sim::{IngressState, Sim};
use crate::system_api::{ApiType, MsgContext, Response};
use crate::wasm::instance::{EntryPoint, Instance};
use candid::Principal;

/// What an execution produced, after commit or rollback.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The response given (only if the execution succeeded).
    pub response: Option<Response>,
    /// The error a trap turns into.
    pub trap: Option<UserError>,
    /// Instructions executed.
    pub instructions: u64,
}

/// The reject a canister's `msg_reject` becomes.
pub(crate) fn canister_reject(message: String) -> UserError {
    UserError::new(ErrorCode::CanisterRejectedMessage, message)
}

impl Sim {
    /// A context for `api` on `c` with the canister's current balance, time, status, ...
    pub(crate) fn base_ctx(&self, c: &Canister, api: ApiType, caller: Principal) -> MsgContext {
        let mut ctx = MsgContext::new(api, c.id, caller);
        ctx.balance = c.cycles;
        ctx.freezing_reserve = if c.forced_frozen {
            c.cycles
        } else {
            c.freezing_reserve()
        };
        ctx.time = self.time_ns;
        ctx.controllers = c.settings.controllers.clone();
        ctx.status = c.status.code();
        ctx.version = c.version;
        ctx.global_timer = c.global_timer;
        ctx.root_key = self.root_key();
        ctx.env_vars = c.settings.environment_variables.clone();
        ctx.instruction_limit = match api {
            ApiType::NonReplicatedQuery | ApiType::CompositeQuery => self.config.limits.query,
            ApiType::InspectMessage => self.config.limits.inspect_message,
            ApiType::Init | ApiType::PreUpgrade | ApiType::Start => self.config.limits.install,
            _ => self.config.limits.update,
        };
        ctx
    }

    /// Runs `entry` on canister `id` (which must have code), commits or rolls back, logs traps,
    /// charges for execution and registers outgoing calls in `context_id`.
    pub(crate) fn execute(
        &mut self,
        id: Principal,
        entry: EntryPoint,
        ctx: MsgContext,
        context_id: Option<u64>,
    ) -> Outcome {
        let api = ctx.api;
        let persist = api.is_replicated() && api != ApiType::ReplicatedQuery;
        let now = self.time_ns;
        let canister = self
            .canisters
            .get_mut(&id)
            .expect("executing an existing canister");
        let max_heap = match api {
            ApiType::Update | ApiType::Init | ApiType::SystemTask
                if canister.settings.wasm_memory_limit > 0 =>
            {
                Some(canister.settings.wasm_memory_limit)
            }
            _ => None,
        };
        let instance = canister
            .instance
            .as_mut()
            .expect("executing a canister with code");
        instance.checkpoint();
        let limit = ctx.instruction_limit;
        let exec = instance.run(&entry, ctx, max_heap);
        if exec.result.is_err() || !persist {
            instance.rollback(&self.cache);
        } else {
            instance.commit();
        }
        let mut ctx = exec.ctx;
        if api.is_replicated() {
            for line in ctx.logs.drain(..) {
                canister.log.append(now, line);
            }
        }
        let trap = exec.result.err().map(|t| {
            let message = if t.code == ErrorCode::CanisterInstructionLimitExceeded {
                format!("Canister {id} exceeded the limit of {limit} instructions for single message execution.")
            } else {
                format!("Canister {id} trapped: {}", t.message)
            };
            UserError::new(t.code, message)
        });
        if let Some(t) = &trap {
            if api.is_replicated() {
                canister.log.append(now, t.message.clone().into_bytes());
            }
        }
        let mut response = None;
        if trap.is_none() && persist {
            canister.cycles = ctx.balance;
            if let Some(data) = ctx.certified_data.take() {
                canister.certified_data = data;
            }
            canister.global_timer = ctx.global_timer;
            let generation = canister.code_generation;
            if let Some(cc_id) = context_id {
                if let Some(cc) = canister.contexts.get_mut(cc_id) {
                    cc.cycles_available = ctx.cycles_available;
                }
                for call in ctx.calls.drain(..) {
                    let deadline = call
                        .timeout_seconds
                        .map(|s| now + u64::from(s) * 1_000_000_000);
                    let callback_id = canister.contexts.register(Callback {
                        context_id: cc_id,
                        callee: call.callee,
                        functions: call.functions,
                        deadline,
                        expired: false,
                        generation,
                    });
                    self.queue.push_back(Message::Request(Request {
                        sender: id,
                        receiver: call.callee,
                        method: call.method,
                        payload: call.payload,
                        cycles: call.cycles,
                        target: ResponseTarget::Callback {
                            caller: id,
                            callback_id,
                        },
                        deadline: deadline.unwrap_or(0),
                    }));
                }
            }
            update_low_memory_hook(canister);
        }
        if trap.is_none() {
            response = ctx.response.take();
        }
        if !matches!(
            api,
            ApiType::NonReplicatedQuery | ApiType::CompositeQuery | ApiType::InspectMessage
        ) {
            let fee = cycles::execution_fee(exec.instructions);
            canister.cycles = canister.cycles.saturating_sub(fee);
        }
        if let Some(cc) = context_id.and_then(|c| canister.contexts.get_mut(c)) {
            cc.instructions += exec.instructions;
        }
        Outcome {
            response,
            trap,
            instructions: exec.instructions,
        }
    }

    /// Delivers a response or rejection to wherever the call came from.
    pub(crate) fn route(
        &mut self,
        respondent: Principal,
        target: ResponseTarget,
        result: Result<Vec<u8>, UserError>,
        refund: u128,
    ) {
        match target {
            ResponseTarget::Ingress(id) => {
                self.ingress.insert(id, IngressState::Done(result));
            }
            ResponseTarget::Callback {
                caller,
                callback_id,
            } => {
                if self.faults.is_silenced(&respondent) {
                    return;
                }
                self.queue.push_back(Message::Response(QueuedResponse {
                    originator: caller,
                    callback_id,
                    respondent,
                    result,
                    refund,
                }));
            }
            ResponseTarget::System => {}
        }
    }

    /// After an execution in call context `cc_id`: sends its response, and closes the context
    /// when nothing is pending (rejecting the call if it was never answered).
    pub(crate) fn finish_context(&mut self, id: Principal, cc_id: u64, outcome: Outcome) {
        let Some(canister) = self.canisters.get_mut(&id) else {
            return;
        };
        let mut routes = Vec::new();
        let Some(cc) = canister.contexts.get_mut(cc_id) else {
            return;
        };
        if let Some(response) = outcome.response {
            if !cc.responded {
                cc.responded = true;
                let refund = std::mem::take(&mut cc.cycles_available);
                let result = match response {
                    Response::Reply(bytes) => Ok(bytes),
                    Response::Reject(msg) => Err(canister_reject(msg)),
                };
                routes.push((cc.target.clone(), result, refund));
            }
        }
        if cc.open_callbacks == 0 {
            let cc = canister.contexts.close(cc_id).expect("present");
            if !cc.responded {
                let error = outcome.trap.unwrap_or_else(|| {
                    UserError::new(
                        ErrorCode::CanisterDidNotReply,
                        format!("Canister {id} did not produce a response"),
                    )
                });
                routes.push((cc.target, Err(error), cc.cycles_available));
            }
        }
        for (target, result, refund) in routes {
            self.route(id, target, result, refund);
        }
        self.complete_stopping(id);
    }

    /// A stopping canister with no open call contexts becomes stopped; its stop requests succeed.
    pub(crate) fn complete_stopping(&mut self, id: Principal) {
        let Some(canister) = self.canisters.get_mut(&id) else {
            return;
        };
        if let RunStatus::Stopping(_) = canister.status {
            if canister.contexts.open_count() == 0 {
                let RunStatus::Stopping(waiters) =
                    std::mem::replace(&mut canister.status, RunStatus::Stopped)
                else {
                    unreachable!()
                };
                for w in waiters {
                    self.route(
                        Principal::management_canister(),
                        w,
                        Ok(candid::encode_one(()).expect("encode")),
                        0,
                    );
                }
            }
        }
    }

    /// The canister and its code, if it exists, is running and has code to execute a message.
    pub(crate) fn runnable(
        &self,
        receiver: Principal,
    ) -> Result<(&Canister, &Instance), UserError> {
        let c = self.existing(receiver)?;
        match c.status {
            RunStatus::Running => {}
            RunStatus::Stopping(_) => {
                return Err(UserError::new(
                    ErrorCode::CanisterStopping,
                    format!("Canister {receiver} is stopping"),
                ));
            }
            RunStatus::Stopped => {
                return Err(UserError::new(
                    ErrorCode::CanisterStopped,
                    format!("Canister {receiver} is stopped"),
                ));
            }
        }
        let Some(instance) = &c.instance else {
            return Err(UserError::new(
                ErrorCode::CanisterWasmModuleNotFound,
                format!("Canister {receiver}: attempted to execute a message, but the canister contains no Wasm module"),
            ));
        };
        Ok((c, instance))
    }

    /// Why `receiver` cannot take a call to `method` right now, if it cannot.
    pub(crate) fn reject_reason(
        &mut self,
        receiver: Principal,
        method: &str,
        ingress: bool,
    ) -> Result<ApiType, UserError> {
        if let Some(e) = self.faults.take_reject(receiver, method) {
            return Err(e);
        }
        let (c, instance) = self.runnable(receiver)?;
        if !ingress && c.is_frozen() {
            return Err(UserError::new(
                ErrorCode::CanisterOutOfCycles,
                format!(
                    "Canister {receiver} is out of cycles: its balance {} is below its freezing threshold {}",
                    c.cycles,
                    c.freezing_reserve()
                ),
            ));
        }
        let exports = &instance.module().exports;
        if exports.updates.contains(method) {
            Ok(ApiType::Update)
        } else if exports.queries.contains(method) {
            Ok(ApiType::ReplicatedQuery)
        } else if exports.composite_queries.contains(method) {
            Err(UserError::new(
                ErrorCode::CompositeQueryCalledInReplicatedMode,
                format!("Canister {receiver}: composite query method '{method}' cannot be called in replicated mode"),
            ))
        } else {
            Err(UserError::new(
                ErrorCode::CanisterMethodNotFound,
                format!("Canister {receiver} has no update method '{method}'"),
            ))
        }
    }

    /// Spec ("Calls with insufficient cycles are rejected"): a call from another canister must
    /// attach at least the callee's `minimum_incoming_canister_call_cycles`; ingress messages and
    /// self-calls are exempt.
    fn check_minimum_cycles(&self, req: &Request, ingress: bool) -> Result<(), UserError> {
        let Some(callee) = self.canisters.get(&req.receiver) else {
            return Ok(()); // rejected as not found
        };
        let minimum = callee.settings.minimum_incoming_canister_call_cycles;
        if ingress || req.sender == req.receiver || req.cycles >= minimum {
            return Ok(());
        }
        Err(UserError::new(
            ErrorCode::InsufficientCyclesInCall,
            format!(
                "Canister {} requires at least {minimum} transferred cycles for an incoming call from another canister, but the call from {} attached {}",
                req.receiver, req.sender, req.cycles
            ),
        ))
    }

    /// Executes a request to a canister (not the management canister).
    pub(crate) fn handle_request(&mut self, req: Request) {
        let ingress = matches!(req.target, ResponseTarget::Ingress(_));
        let admitted = self
            .check_minimum_cycles(&req, ingress)
            .and_then(|()| self.reject_reason(req.receiver, &req.method, ingress));
        let api = match admitted {
            Ok(api) => api,
            Err(e) => {
                let refund = req.cycles;
                self.route(req.receiver, req.target, Err(e), refund);
                return;
            }
        };
        let id = req.receiver;
        let canister = self.canisters.get_mut(&id).expect("checked");
        let cc_id = canister.contexts.open(CallContext {
            target: req.target,
            caller: req.sender,
            responded: false,
            cycles_available: req.cycles,
            deadline: req.deadline,
            instructions: 0,
            open_callbacks: 0,
        });
        let canister = &self.canisters[&id];
        let mut ctx = self.base_ctx(canister, api, req.sender);
        ctx.arg = req.payload;
        ctx.cycles_available = req.cycles;
        ctx.deadline = req.deadline;
        ctx.needs_response = true;
        let entry = match api {
            ApiType::Update => format!("canister_update {}", req.method),
            _ => format!("canister_query {}", req.method),
        };
        let outcome = self.execute(id, EntryPoint::Export(entry), ctx, Some(cc_id));
        self.finish_context(id, cc_id, outcome);
    }

    /// Runs the callback of a response (and its cleanup if it traps).
    pub(crate) fn handle_response(&mut self, resp: QueuedResponse) {
        let id = resp.originator;
        let Some(canister) = self.canisters.get_mut(&id) else {
            return;
        };
        let Some(cb) = canister.contexts.take_callback(resp.callback_id) else {
            return; // a late response to a call that already timed out: dropped
        };
        let size = match &resp.result {
            Ok(b) => b.len(),
            Err(e) => e.message.len(),
        } as u64;
        canister.cycles += resp.refund + cycles::response_refund(size);
        if cb.generation != canister.code_generation || canister.instance.is_none() {
            return;
        }
        let Some(cc) = canister.contexts.get(cb.context_id).cloned() else {
            return;
        };
        let (api, (fun, env), reject) = match &resp.result {
            Ok(_) => (
                ApiType::ReplyCallback,
                cb.functions.reply,
                (0, String::new()),
            ),
            Err(e) => (
                ApiType::RejectCallback,
                cb.functions.reject,
                (e.reject_code as u32, e.message.clone()),
            ),
        };
        let canister = &self.canisters[&id];
        let mut ctx = self.base_ctx(canister, api, cc.caller);
        ctx.arg = resp.result.clone().unwrap_or_default();
        ctx.reject = Some(reject.clone());
        ctx.cycles_refunded = resp.refund;
        ctx.cycles_available = cc.cycles_available;
        ctx.needs_response = !cc.responded;
        ctx.deadline = cc.deadline;
        ctx.call_context_instructions = cc.instructions;
        let outcome = self.execute(
            id,
            EntryPoint::Table { index: fun, env },
            ctx,
            Some(cb.context_id),
        );
        if outcome.trap.is_some() {
            if let Some((fun, env)) = cb.functions.cleanup {
                let canister = &self.canisters[&id];
                let mut ctx = self.base_ctx(canister, ApiType::Cleanup, cc.caller);
                ctx.reject = Some(reject);
                self.execute(
                    id,
                    EntryPoint::Table { index: fun, env },
                    ctx,
                    Some(cb.context_id),
                );
            }
        }
        self.finish_context(id, cb.context_id, outcome);
    }

    /// Runs a system task (`canister_heartbeat`, `canister_global_timer`,
    /// `canister_on_low_wasm_memory`) in its own call context.
    pub(crate) fn run_system_task(&mut self, id: Principal, export: &str) {
        let canister = self.canisters.get_mut(&id).expect("existing canister");
        let cc_id = canister.contexts.open(CallContext {
            target: ResponseTarget::System,
            caller: Principal::management_canister(),
            responded: true,
            cycles_available: 0,
            deadline: 0,
            instructions: 0,
            open_callbacks: 0,
        });
        let ctx = self.base_ctx(
            &self.canisters[&id],
            ApiType::SystemTask,
            Principal::management_canister(),
        );
        let outcome = self.execute(id, EntryPoint::Export(export.to_string()), ctx, Some(cc_id));
        self.finish_context(id, cc_id, outcome);
    }

    /// Rejects every open call context of `id` (uninstall, code change, delete) with `message`.
    pub(crate) fn reject_open_contexts(&mut self, id: Principal, message: &str) {
        let Some(canister) = self.canisters.get_mut(&id) else {
            return;
        };
        let contexts = canister.contexts.drain();
        for cc in contexts {
            if !cc.responded {
                let e = UserError {
                    reject_code: RejectCode::CanisterReject,
                    error_code: ErrorCode::CanisterRejectedMessage,
                    message: message.to_string(),
                };
                self.route(id, cc.target, Err(e), cc.cycles_available);
            }
        }
        self.complete_stopping(id);
    }
}

/// Whether the `canister_on_low_wasm_memory` condition holds for code `instance` under
/// `settings`: the hook is exported and the heap's room under `wasm_memory_limit` is below
/// `wasm_memory_threshold`.
pub(crate) fn low_memory_condition(settings: &Settings, instance: Option<&Instance>) -> bool {
    let Some(instance) = instance else {
        return false;
    };
    let (limit, threshold) = (settings.wasm_memory_limit, settings.wasm_memory_threshold);
    instance.module().exports.on_low_wasm_memory
        && limit > 0
        && threshold > 0
        && limit.saturating_sub(instance.heap_size()) < threshold
}

/// Re-evaluates the `canister_on_low_wasm_memory` condition (see [`low_memory_condition`]).
pub(crate) fn update_low_memory_hook(c: &mut Canister) {
    let holds = low_memory_condition(&c.settings, c.instance.as_ref());
    c.low_memory_hook = match (holds, c.low_memory_hook) {
        (false, _) => LowMemoryHook::ConditionNotSatisfied,
        (true, LowMemoryHook::ConditionNotSatisfied) => LowMemoryHook::Ready,
        (true, s) => s,
    };
}
