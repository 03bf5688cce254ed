//! Rounds: time, system tasks (heartbeat, global timer, low-memory hook), bounded-wait and
//! HTTPS outcall timeouts, the message queue; ingress admission (inspect_message), queries and storage fees.

use crate::canister::{LowMemoryHook, RunStatus};
use crate::cycles;
use crate::data_certificate::{CertifiedData, DataCertificate};
use crate::error::{ErrorCode, RejectCode, UserError};
use crate::execution::canister_reject;
use crate::messages::{Message, Response as QueuedResponse};
use crate::sim::{Ingress, Sim};
use crate::system_api::{ApiType, Response};
use crate::wasm::instance::EntryPoint;
use candid::Principal;

impl Sim {
    /// Runs one round: time moves forward by `round_time_ns`, due system tasks run, expired
    /// bounded-wait calls and HTTPS outcalls are rejected, and queued messages execute.
    pub fn tick(&mut self) {
        let t = self.time_ns + self.config.round_time_ns;
        self.set_time_ns(t);
        self.answer_raw_rand();
        self.run_system_tasks();
        self.expire_callbacks();
        self.expire_outcalls();
        let mut executed = 0;
        while executed < self.config.max_messages_per_round {
            let Some(message) = self.queue.pop_front() else {
                break;
            };
            match message {
                Message::Request(req) if req.receiver == Principal::management_canister() => {
                    self.handle_management(req)
                }
                Message::Request(req) => self.handle_request(req),
                Message::Response(resp) => self.handle_response(resp),
            }
            executed += 1;
        }
    }

    /// Number of messages waiting in the queue.
    pub fn queued_messages(&self) -> usize {
        self.queue.len()
    }

    fn run_system_tasks(&mut self) {
        let ids: Vec<Principal> = self.canisters.keys().copied().collect();
        for id in ids {
            let c = &self.canisters[&id];
            let Some(instance) = &c.instance else {
                continue;
            };
            if !matches!(c.status, RunStatus::Running) || c.is_frozen() {
                continue;
            }
            let exports = &instance.module().exports;
            let (heartbeat, global_timer) = (exports.heartbeat, exports.global_timer);
            if heartbeat {
                self.run_system_task(id, "canister_heartbeat");
            }
            let c = &self.canisters[&id];
            if global_timer && c.global_timer != 0 && self.time_ns >= c.global_timer {
                self.canisters.get_mut(&id).expect("exists").global_timer = 0;
                self.run_system_task(id, "canister_global_timer");
            }
            let c = self.canisters.get_mut(&id).expect("exists");
            if c.low_memory_hook == LowMemoryHook::Ready && c.instance.is_some() {
                c.low_memory_hook = LowMemoryHook::Executed;
                self.run_system_task(id, "canister_on_low_wasm_memory");
            }
        }
    }

    fn expire_callbacks(&mut self) {
        let now = self.time_ns;
        let mut expired = Vec::new();
        for (id, c) in self.canisters.iter_mut() {
            for (callback_id, cb) in c.contexts.expire(now) {
                expired.push(QueuedResponse {
                    originator: *id,
                    callback_id,
                    respondent: cb.callee,
                    result: Err(UserError {
                        reject_code: RejectCode::SysUnknown,
                        error_code: ErrorCode::DeadlineExpired,
                        message: "Timeout expired".into(),
                    }),
                    refund: 0,
                });
            }
        }
        for r in expired {
            self.queue.push_back(Message::Response(r));
        }
    }

    /// Admission of an ingress message: the canister exists, has code, is not frozen, and its
    /// `canister_inspect_message` (if exported) accepts; the canister pays the ingress fee.
    pub(crate) fn check_ingress(&mut self, msg: &Ingress) -> Result<(), UserError> {
        let id = msg.canister_id;
        if id == Principal::management_canister() {
            return self.check_management_ingress(msg);
        }
        let c = self.existing(id)?;
        let Some(instance) = &c.instance else {
            return Err(UserError::new(
                ErrorCode::CanisterWasmModuleNotFound,
                format!("Canister {id}: the requested canister has no Wasm module"),
            ));
        };
        let fee = cycles::ingress_fee(msg.method.len() as u64, msg.payload.len() as u64);
        if c.is_frozen() || c.liquid_cycles() < fee {
            return Err(UserError::new(
                ErrorCode::CanisterOutOfCycles,
                format!(
                    "Canister {id} is out of cycles: please top up the canister with at least {} additional cycles",
                    (c.freezing_reserve() + fee).saturating_sub(c.cycles)
                ),
            ));
        }
        if instance.module().exports.inspect_message {
            let mut ctx = self.base_ctx(c, ApiType::InspectMessage, msg.sender);
            ctx.arg = msg.payload.clone();
            ctx.method_name = msg.method.clone();
            let instance = self
                .canisters
                .get_mut(&id)
                .and_then(|c| c.instance.as_mut())
                .expect("checked");
            instance.checkpoint();
            let exec = instance.run(
                &EntryPoint::Export("canister_inspect_message".into()),
                ctx,
                None,
            );
            instance.rollback(&self.cache);
            if let Err(t) = exec.result {
                return Err(UserError::new(
                    t.code,
                    format!("Canister {id} trapped: {}", t.message),
                ));
            }
            if !exec.ctx.accepted {
                return Err(UserError::new(
                    ErrorCode::CanisterRejectedMessage,
                    format!("Canister {id} rejected the message in canister_inspect_message (method '{}')", msg.method),
                ));
            }
        }
        let c = self.canisters.get_mut(&id).expect("checked");
        c.cycles -= fee;
        Ok(())
    }

    /// A query call (state changes are discarded). Management: `fetch_canister_logs` only. The
    /// canister has a data certificate if a certifier is set ([`Sim::set_data_certifier`]).
    pub fn query_call(
        &mut self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, UserError> {
        self.run_query(canister_id, sender, method, payload, true)
    }

    /// A query execution, with a data certificate if `certified` (query calls) and a certifier
    /// is set; the system's own queries (an outcall's transform) have none.
    pub(crate) fn run_query(
        &mut self,
        canister_id: Principal,
        sender: Principal,
        method: &str,
        payload: Vec<u8>,
        certified: bool,
    ) -> Result<Vec<u8>, UserError> {
        if canister_id == Principal::management_canister() {
            return self.management_query(sender, method, &payload);
        }
        if let Some(e) = self.faults.take_reject(canister_id, method) {
            return Err(e);
        }
        let (c, instance) = self.runnable(canister_id)?;
        let exports = &instance.module().exports;
        let (api, entry) = if exports.queries.contains(method) {
            (
                ApiType::NonReplicatedQuery,
                format!("canister_query {method}"),
            )
        } else if exports.composite_queries.contains(method) {
            (
                ApiType::CompositeQuery,
                format!("canister_composite_query {method}"),
            )
        } else {
            return Err(UserError::new(
                ErrorCode::CanisterMethodNotFound,
                format!("Canister {canister_id} has no query method '{method}'"),
            ));
        };
        let mut ctx = self.base_ctx(c, api, sender);
        if let (true, Some(certifier)) = (certified, &self.data_certifier) {
            let subject = CertifiedData {
                canister_id,
                data: c.certified_data.clone(),
                time_ns: self.time_ns,
            };
            ctx.data_certificate = Some(DataCertificate::new(certifier.clone(), subject));
        }
        let payload_len = payload.len();
        ctx.arg = payload;
        ctx.needs_response = true;
        let outcome = self.execute(canister_id, EntryPoint::Export(entry), ctx, None);
        let result = match (outcome.trap, outcome.response) {
            (Some(e), _) => Err(e),
            (None, Some(Response::Reply(bytes))) => Ok(bytes),
            (None, Some(Response::Reject(msg))) => Err(canister_reject(msg)),
            (None, None) if api == ApiType::CompositeQuery => Err(UserError::new(
                ErrorCode::CanisterDidNotReply,
                format!("Canister {canister_id} did not reply to the composite query (ic-sim does not execute calls made by composite queries)"),
            )),
            (None, None) => Err(UserError::new(
                ErrorCode::CanisterDidNotReply,
                format!("Canister {canister_id} did not produce a response"),
            )),
        };
        if let Some(c) = self.canisters.get_mut(&canister_id) {
            c.query_stats[0] += 1;
            c.query_stats[1] += u128::from(outcome.instructions);
            c.query_stats[2] += payload_len as u128;
            c.query_stats[3] += result.as_ref().map_or(0, |b| b.len()) as u128;
        }
        result
    }

    /// Charges every canister for storing its memory during `nanos`; a canister whose balance
    /// runs out is uninstalled, as on the IC.
    pub(crate) fn charge_storage(&mut self, nanos: u64) {
        let total = self.uncharged_storage_ns.saturating_add(nanos);
        self.uncharged_storage_ns = total % 1_000_000_000;
        let nanos = total - self.uncharged_storage_ns;
        if nanos == 0 {
            return;
        }
        let mut emptied = Vec::new();
        for (id, c) in self.canisters.iter_mut() {
            let fee = cycles::storage_fee(c.memory_size(), nanos);
            if fee == 0 {
                continue;
            }
            if c.cycles <= fee {
                c.cycles = 0;
                if c.instance.is_some() {
                    emptied.push(*id);
                }
            } else {
                c.cycles -= fee;
            }
        }
        for id in emptied {
            self.uninstall(
                id,
                Principal::management_canister(),
                "Canister ran out of cycles and was uninstalled",
            );
        }
    }
}
