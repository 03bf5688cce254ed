//! HTTPS outcalls: the management canister's `http_request` calls waiting for their response.
//! ic-sim has no network: a driver (a test, or `ic-sim-server` for the PocketIC REST endpoints)
//! lists the pending outcalls with [`Sim::pending_outcalls`] and answers each with
//! [`Sim::answer_outcall`]. An outcall not answered within [`OUTCALL_TIMEOUT_NS`] is rejected.

mod answer;
pub mod limits;

use crate::call_context::ResponseTarget;
use crate::error::RejectCode;
use crate::sim::Sim;
use candid::Principal;
use ic_management_canister_types::{HttpHeader, HttpMethod, HttpRequestResult, TransformContext};
use std::collections::BTreeMap;

/// How long an outcall waits for its answer before its caller gets SYS_TRANSIENT "Canister http
/// request timed out" (PocketIC's timeout): 60 seconds.
pub const OUTCALL_TIMEOUT_NS: u64 = 60_000_000_000;

/// The message of an outcall's timeout.
pub const TIMEOUT_MESSAGE: &str = "Canister http request timed out";

/// An HTTPS outcall waiting for its response: the request as the canister made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOutcall {
    /// Its id (what [`Sim::answer_outcall`] and PocketIC's `request_id` name).
    pub id: u64,
    /// The canister that made it.
    pub caller: Principal,
    /// The URL.
    pub url: String,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The request headers, as the canister gave them.
    pub headers: Vec<HttpHeader>,
    /// The request body (empty when the canister gave none).
    pub body: Vec<u8>,
    /// The response size limit the canister gave (2,000,000 bytes applies when `None`).
    pub max_response_bytes: Option<u64>,
    /// Whether every node makes the request (`false`: one node, `is_replicated = opt false`).
    pub is_replicated: bool,
    /// The pricing version the canister asked for (ic-sim charges version 1 whatever it is).
    pub pricing_version: Option<u32>,
    /// The transform function and its context, if any.
    pub transform: Option<TransformContext>,
    /// Cycles the call paid (the rest of what it attached is refunded with the response).
    pub fee: u128,
    /// When the call was made, nanoseconds since the epoch.
    pub requested_at_ns: u64,
}

impl PendingOutcall {
    /// The response size limit in force: the canister's, or 2,000,000 bytes.
    pub fn response_limit(&self) -> u64 {
        self.max_response_bytes
            .unwrap_or(crate::cycles::MAX_HTTP_RESPONSE_BYTES)
    }
}

/// A driver's answer to an outcall: what the remote server (or the network) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcallResponse {
    /// The server answered, with any status (an error status is a reply too).
    Reply(HttpRequestResult),
    /// No answer: the call is rejected with `code` and `message` (a timeout, a refused
    /// connection, ...).
    Reject {
        /// The reject code the caller sees.
        code: RejectCode,
        /// The reject message the caller sees.
        message: String,
    },
}

impl OutcallResponse {
    /// A reply with `status`, `headers` and `body`.
    pub fn reply(status: u16, headers: Vec<HttpHeader>, body: Vec<u8>) -> Self {
        Self::Reply(HttpRequestResult {
            status: status.into(),
            headers,
            body,
        })
    }

    /// The request timed out: SYS_TRANSIENT "Canister http request timed out".
    pub fn timeout() -> Self {
        Self::Reject {
            code: RejectCode::SysTransient,
            message: TIMEOUT_MESSAGE.into(),
        }
    }
}

/// Why [`Sim::answer_outcall`] refused an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcallError {
    /// No outcall with this id is pending (never made, already answered, or timed out).
    #[error("no HTTPS outcall {0} is pending (it was never made, was already answered, or timed out after 60 s); list them with pending_outcalls")]
    NotPending(u64),
}

/// A pending outcall and where its response goes.
#[derive(Debug, Clone)]
pub(crate) struct Outcall {
    pub request: PendingOutcall,
    pub target: ResponseTarget,
    /// Attached cycles beyond the fee, returned with the response.
    pub refund: u128,
}

/// The subnet's pending outcalls, by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcalls {
    pending: BTreeMap<u64, Outcall>,
    next_id: u64,
}

impl Outcalls {
    /// The id the next outcall gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Number of pending outcalls.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Queues an outcall (its request's id must be [`Self::next_id`]).
    pub fn push(&mut self, outcall: Outcall) {
        debug_assert_eq!(outcall.request.id, self.next_id);
        self.next_id += 1;
        self.pending.insert(outcall.request.id, outcall);
    }

    /// Removes every outcall requested at or before `cutoff_ns`.
    fn take_requested_by(&mut self, cutoff_ns: u64) -> Vec<Outcall> {
        let expired: Vec<u64> = self
            .pending
            .values()
            .filter(|o| o.request.requested_at_ns <= cutoff_ns)
            .map(|o| o.request.id)
            .collect();
        expired
            .into_iter()
            .filter_map(|id| self.pending.remove(&id))
            .collect()
    }
}

impl Sim {
    /// The HTTPS outcalls waiting for an answer, oldest first. An outcall appears at the end of
    /// the round whose execution called `http_request`.
    pub fn pending_outcalls(&self) -> Vec<PendingOutcall> {
        self.outcalls
            .pending
            .values()
            .map(|o| o.request.clone())
            .collect()
    }

    /// Answers pending outcall `id`. The response is checked against the outcall's
    /// `max_response_bytes` and the header limits (too large: SYS_FATAL, as on the IC) and passed
    /// through the caller's transform function when it named one; the caller's callback runs in
    /// the next round ([`Sim::tick`]), with the attached cycles beyond the fee refunded.
    pub fn answer_outcall(
        &mut self,
        id: u64,
        response: OutcallResponse,
    ) -> Result<(), OutcallError> {
        let outcall = self
            .outcalls
            .pending
            .remove(&id)
            .ok_or(OutcallError::NotPending(id))?;
        let result = self.outcall_result(&outcall.request, response);
        self.route(
            Principal::management_canister(),
            outcall.target,
            result,
            outcall.refund,
        );
        Ok(())
    }

    /// Rejects the outcalls that have waited [`OUTCALL_TIMEOUT_NS`] (at the start of a round).
    pub(crate) fn expire_outcalls(&mut self) {
        let Some(cutoff) = self.time_ns.checked_sub(OUTCALL_TIMEOUT_NS) else {
            return;
        };
        for outcall in self.outcalls.take_requested_by(cutoff) {
            let result = self.outcall_result(&outcall.request, OutcallResponse::timeout());
            self.route(
                Principal::management_canister(),
                outcall.target,
                result,
                outcall.refund,
            );
        }
    }
}
