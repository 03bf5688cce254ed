//! Messages between canisters (and from users): requests and responses in the subnet's queue.

use crate::call_context::ResponseTarget;
use crate::error::UserError;
use candid::Principal;

/// A call to a canister or to the management canister.
#[derive(Debug, Clone)]
pub struct Request {
    /// The caller (a user for ingress).
    pub sender: Principal,
    /// The callee.
    pub receiver: Principal,
    /// The method.
    pub method: String,
    /// The argument.
    pub payload: Vec<u8>,
    /// Attached cycles.
    pub cycles: u128,
    /// Where the response goes.
    pub target: ResponseTarget,
    /// Bounded-wait deadline (0 for unbounded wait and ingress).
    pub deadline: u64,
}

/// The response to a canister's outgoing call.
#[derive(Debug, Clone)]
pub struct Response {
    /// The canister that made the call.
    pub originator: Principal,
    /// The originator's callback.
    pub callback_id: u64,
    /// The callee.
    pub respondent: Principal,
    /// Reply bytes or the rejection.
    pub result: Result<Vec<u8>, UserError>,
    /// Cycles returned to the caller.
    pub refund: u128,
}

/// An entry of the subnet's message queue.
#[derive(Debug, Clone)]
pub enum Message {
    /// A call.
    Request(Request),
    /// A response.
    Response(Response),
}
