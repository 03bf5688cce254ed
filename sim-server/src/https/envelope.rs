//! Request envelopes (spec "Authentication"): the CBOR body, its request id, and the checks every
//! request passes before it reaches the instance: its type fits the endpoint, the sender is
//! anonymous or authenticated by `sender_pubkey` and `sender_sig` (through at most 20
//! delegations, each unexpired, unrepeated and allowing the request's target and kind), and its
//! `ingress_expiry` lies between now and five minutes (plus drift) from now.

use super::error::Refusal;
use super::request_id::hash_of_map;
use super::signatures;
use candid::Principal;
use ic_transport_types::{DelegationPermissions, Envelope, EnvelopeContent};
use serde_cbor::Value;
use std::collections::HashSet;

/// Longest accepted time from now to a request's expiry: the IC's five minutes.
pub const MAX_INGRESS_TTL_NS: u64 = 5 * 60 * 1_000_000_000;
/// Clock drift tolerated on top of [`MAX_INGRESS_TTL_NS`].
pub const PERMITTED_DRIFT_NS: u64 = 60 * 1_000_000_000;
/// Most delegations in a chain.
const MAX_DELEGATIONS: usize = 20;
/// Most canisters a delegation may target.
const MAX_TARGETS: usize = 1000;

/// What an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `call` (update) requests.
    Call,
    /// `query` requests.
    Query,
    /// `read_state` requests.
    ReadState,
}

impl RequestKind {
    fn name(self) -> &'static str {
        match self {
            RequestKind::Call => "call",
            RequestKind::Query => "query",
            RequestKind::ReadState => "read_state",
        }
    }
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its request id.
    pub id: [u8; 32],
    /// Its content.
    pub content: EnvelopeContent,
}

impl Request {
    /// The sender.
    pub fn sender(&self) -> Principal {
        *self.content.sender()
    }
}

/// Parses and checks a request body for an endpoint taking `kind`, at instance time `now_ns`.
pub fn authenticate(body: &[u8], kind: RequestKind, now_ns: u64) -> Result<Request, Refusal> {
    let value: Value = serde_cbor::from_slice(body)
        .map_err(|e| Refusal::bad_request(format!("the request body is not CBOR: {e}")))?;
    let value = untagged(value);
    let Value::Map(fields) = &value else {
        return Err(Refusal::bad_request("the request body is not a CBOR map"));
    };
    let raw_content = fields
        .get(&Value::Text("content".into()))
        .ok_or_else(|| Refusal::bad_request("the envelope has no `content`"))?;
    let id = hash_of_map(raw_content)
        .map_err(|e| Refusal::bad_request(format!("the request `content`: {e}")))?;
    let envelope: Envelope<'static> = serde_cbor::value::from_value(value.clone())
        .map_err(|e| Refusal::bad_request(format!("malformed {} request: {e}", kind.name())))?;
    let content = envelope.content.into_owned();
    let actual_kind = match &content {
        EnvelopeContent::Call { .. } => RequestKind::Call,
        EnvelopeContent::Query { .. } => RequestKind::Query,
        EnvelopeContent::ReadState { .. } => RequestKind::ReadState,
    };
    if actual_kind != kind {
        return Err(Refusal::bad_request(format!(
            "this endpoint takes `{}` requests, not `{}`",
            kind.name(),
            actual_kind.name()
        )));
    }
    let request = Request { id, content };
    let anonymous = request.sender() == Principal::anonymous();
    if !(anonymous && kind != RequestKind::Call) {
        check_expiry(request.content.ingress_expiry(), now_ns)?;
    }
    let raw_delegations = fields.get(&Value::Text("sender_delegation".into()));
    let auth = Authentication {
        pubkey: envelope.sender_pubkey,
        signature: envelope.sender_sig,
        delegations: envelope.sender_delegation.unwrap_or_default(),
        raw_delegations,
    };
    auth.check(&request, kind, now_ns)?;
    Ok(request)
}

/// The value inside any tags (the self-describing tag 55799 in front of the envelope).
fn untagged(value: Value) -> Value {
    match value {
        Value::Tag(_, inner) => untagged(*inner),
        other => other,
    }
}

fn check_expiry(expiry: u64, now_ns: u64) -> Result<(), Refusal> {
    let latest = now_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS;
    if expiry < now_ns {
        return Err(Refusal::bad_request(format!(
            "Invalid request expiry: the request expired at {expiry} ns, before the instance's time {now_ns} ns"
        )));
    }
    if expiry > latest {
        return Err(Refusal::bad_request(format!(
            "Invalid request expiry: {expiry} ns is more than 5 minutes (plus 60 s drift) after the instance's time {now_ns} ns (is the instance live? agents set the expiry from the wall clock)"
        )));
    }
    Ok(())
}

/// The envelope's authentication fields.
struct Authentication<'a> {
    pubkey: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    delegations: Vec<ic_transport_types::SignedDelegation>,
    raw_delegations: Option<&'a Value>,
}

impl Authentication<'_> {
    fn check(&self, request: &Request, kind: RequestKind, now_ns: u64) -> Result<(), Refusal> {
        let sender = request.sender();
        if sender == Principal::anonymous() {
            if self.pubkey.is_some() || self.signature.is_some() || !self.delegations.is_empty() {
                return Err(Refusal::bad_request(
                    "an anonymous request must not carry sender_pubkey, sender_sig or sender_delegation",
                ));
            }
            return Ok(());
        }
        let (Some(pubkey), Some(signature)) = (&self.pubkey, &self.signature) else {
            return Err(Refusal::bad_request(format!(
                "the request from {sender} needs sender_pubkey and sender_sig"
            )));
        };
        if Principal::self_authenticating(pubkey) != sender {
            return Err(Refusal::bad_request(format!(
                "sender_pubkey does not authenticate the sender {sender} (its principal is {})",
                Principal::self_authenticating(pubkey)
            )));
        }
        let signing_key = self.delegation_chain(pubkey, request, kind, now_ns)?;
        let mut message = b"\x0Aic-request".to_vec();
        message.extend_from_slice(&request.id);
        signatures::verify(&signing_key, &message, signature).map_err(|e| {
            Refusal::bad_request(format!(
                "Invalid signature: sender_sig of request 0x{}: {e}",
                hex::encode(request.id)
            ))
        })
    }

    /// Follows the delegations from `pubkey`; returns the key that must sign the request.
    fn delegation_chain(
        &self,
        pubkey: &[u8],
        request: &Request,
        kind: RequestKind,
        now_ns: u64,
    ) -> Result<Vec<u8>, Refusal> {
        if self.delegations.len() > MAX_DELEGATIONS {
            return Err(Refusal::bad_request(format!(
                "Invalid delegation: {} delegations, at most {MAX_DELEGATIONS} are allowed",
                self.delegations.len()
            )));
        }
        let raw: Vec<&Value> = match self.raw_delegations {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        let target = match &request.content {
            EnvelopeContent::Call { canister_id, .. }
            | EnvelopeContent::Query { canister_id, .. } => Some(*canister_id),
            EnvelopeContent::ReadState { .. } => None,
        };
        let mut seen = HashSet::from([pubkey.to_vec()]);
        let mut key = pubkey.to_vec();
        for (index, signed) in self.delegations.iter().enumerate() {
            let delegation = &signed.delegation;
            let raw_map = raw.get(index).and_then(|item| match item {
                Value::Map(fields) => fields.get(&Value::Text("delegation".into())),
                _ => None,
            });
            let hash = raw_map
                .map(hash_of_map)
                .transpose()
                .map_err(|e| Refusal::bad_request(format!("Invalid delegation {index}: {e}")))?
                .unwrap_or_else(|| {
                    *ic_transport_types::to_request_id(delegation).expect("hashable")
                });
            let mut message = b"\x1Aic-request-auth-delegation".to_vec();
            message.extend_from_slice(&hash);
            signatures::verify(&key, &message, &signed.signature).map_err(|e| {
                Refusal::bad_request(format!("Invalid delegation {index}: its signature: {e}"))
            })?;
            if delegation.expiration < now_ns {
                return Err(Refusal::bad_request(format!(
                    "Invalid delegation {index}: it expired at {} ns, before the instance's time {now_ns} ns",
                    delegation.expiration
                )));
            }
            if let Some(targets) = &delegation.targets {
                if targets.len() > MAX_TARGETS {
                    return Err(Refusal::bad_request(format!(
                        "Invalid delegation {index}: more than {MAX_TARGETS} targets"
                    )));
                }
                if let Some(target) = target.filter(|t| !targets.contains(t)) {
                    return Err(Refusal::bad_request(format!(
                        "Invalid delegation {index}: canister {target} is not one of its targets"
                    )));
                }
            }
            if delegation.permissions == Some(DelegationPermissions::Queries)
                && kind == RequestKind::Call
            {
                return Err(Refusal::bad_request(format!(
                    "Invalid delegation {index}: it permits only queries and read_state requests"
                )));
            }
            if !seen.insert(delegation.pubkey.clone()) {
                return Err(Refusal::bad_request(format!(
                    "Invalid delegation {index}: its key appears earlier in the chain (cycles and self-delegations are not allowed)"
                )));
            }
            key = delegation.pubkey.clone();
        }
        Ok(key)
    }
}
