//! Envelope checks end to end on an engine: requests signed like an agent signs them are
//! accepted, and a bad signature, an expired or far-future request, a wrong sender key, a
//! broken delegation or a wrong effective canister id are refused with 400 before anything runs.

use super::call_log::CallLog;
use super::envelope::{authenticate, RequestKind};
use super::handlers::{submit_call, CallTarget, Submitted};
use axum::http::StatusCode;
use candid::{Encode, Principal};
use ic_sim::Sim;
use ic_transport_types::{Delegation, Envelope, EnvelopeContent, SignedDelegation};
use std::borrow::Cow;

/// A user with an Ed25519 key.
struct User(ic_ed25519::PrivateKey);

impl User {
    fn new(seed: &[u8]) -> Self {
        User(ic_ed25519::PrivateKey::generate_from_seed(seed))
    }

    fn der(&self) -> Vec<u8> {
        self.0.public_key().serialize_rfc8410_der()
    }

    fn principal(&self) -> Principal {
        Principal::self_authenticating(self.der())
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign_message(message).to_vec()
    }
}

fn call_to(
    canister: Principal,
    method: &str,
    arg: Vec<u8>,
    sender: Principal,
    expiry: u64,
) -> EnvelopeContent {
    EnvelopeContent::Call {
        nonce: None,
        ingress_expiry: expiry,
        sender,
        canister_id: canister,
        method_name: method.into(),
        arg,
        sender_info: None,
    }
}

/// The envelope `user` signs for `content`, through `delegations` (signed by `signers`).
fn envelope(content: EnvelopeContent, user: &User, chain: &[(&User, Delegation)]) -> Vec<u8> {
    let request_id = content.to_request_id();
    let mut signer = user;
    let mut delegations = Vec::new();
    for (next, delegation) in chain {
        delegations.push(SignedDelegation {
            delegation: delegation.clone(),
            signature: signer.sign(&delegation.signable()),
        });
        signer = next;
    }
    Envelope {
        content: Cow::Owned(content),
        sender_pubkey: Some(user.der()),
        sender_sig: Some(signer.sign(&request_id.signable())),
        sender_delegation: (!delegations.is_empty()).then_some(delegations),
    }
    .encode_bytes()
}

/// An engine with an empty canister and a user who can call it.
fn setup() -> (Sim, Principal, User) {
    let mut sim = Sim::default();
    let canister = sim.create_canister();
    (sim, canister, User::new(b"alice"))
}

/// Asserts that `body` is refused with 400 and a message containing `expected`.
fn assert_refused(body: &[u8], kind: RequestKind, now: u64, expected: &str) {
    let error = authenticate(body, kind, now).unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert!(error.message.contains(expected), "{}", error.message);
}

/// Asserts that submitting `body` to `target` is refused with 400 and a message containing
/// `expected`.
fn assert_submit_refused(sim: &mut Sim, body: &[u8], target: Principal, expected: &str) {
    let result = submit_call(
        sim,
        &mut CallLog::default(),
        body,
        CallTarget::Canister(target),
    );
    let Err(refusal) = result else {
        panic!("the request was accepted")
    };
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert!(refusal.message.contains(expected), "{}", refusal.message);
}

/// The envelope `signer` signs for a call of `inc` on `canister` as `sender`, expiring at
/// `expiry`.
fn inc_signed_by(signer: &User, canister: Principal, sender: Principal, expiry: u64) -> Vec<u8> {
    envelope(
        call_to(canister, "inc", vec![], sender, expiry),
        signer,
        &[],
    )
}

fn status_of(canister: Principal) -> Vec<u8> {
    #[derive(candid::CandidType)]
    struct CanisterIdRecord {
        canister_id: Principal,
    }
    Encode!(&CanisterIdRecord {
        canister_id: canister
    })
    .unwrap()
}

#[test]
fn a_signed_call_is_accepted_and_executed() {
    let (mut sim, canister, _) = setup();
    let user = User::new(b"bob");
    sim.set_controllers(canister, None, vec![user.principal()])
        .unwrap();
    let now = sim.time_ns();
    let body = envelope(
        call_to(
            Principal::management_canister(),
            "canister_status",
            status_of(canister),
            user.principal(),
            now + 60_000_000_000,
        ),
        &user,
        &[],
    );
    let mut calls = CallLog::default();
    let Ok(Submitted::Accepted(request_id)) =
        submit_call(&mut sim, &mut calls, &body, CallTarget::Canister(canister))
    else {
        panic!("accepted")
    };
    let call = calls.get(&request_id).expect("logged");
    assert!(matches!(sim.ingress_status(&call.message), Some(Ok(_))));
}

#[test]
fn a_bad_signature_is_refused_with_400() {
    let (mut sim, canister, user) = setup();
    let now = sim.time_ns();
    let body = inc_signed_by(&user, canister, user.principal(), now + 60_000_000_000);
    let mut bad = serde_cbor::from_slice::<Envelope<'static>>(&body).unwrap();
    bad.sender_sig.as_mut().unwrap()[0] ^= 1;
    assert_submit_refused(&mut sim, &bad.encode_bytes(), canister, "Invalid signature");
}

#[test]
fn a_key_of_another_principal_is_refused() {
    let (sim, canister, user) = setup();
    let now = sim.time_ns();
    let mallory = User::new(b"mallory");
    let body = inc_signed_by(&mallory, canister, user.principal(), now + 60_000_000_000);
    assert_refused(
        &body,
        RequestKind::Call,
        now,
        "does not authenticate the sender",
    );
}

#[test]
fn expired_and_far_future_requests_are_refused_with_400() {
    let (sim, canister, user) = setup();
    let now = sim.time_ns();
    let expired = inc_signed_by(&user, canister, user.principal(), now - 1);
    assert_refused(&expired, RequestKind::Call, now, "expired");
    let later = now + 7 * 60_000_000_000;
    let far = inc_signed_by(&user, canister, user.principal(), later);
    assert_refused(&far, RequestKind::Call, now, "more than 5 minutes");
}

#[test]
fn a_wrong_effective_canister_id_is_refused_with_400() {
    let (mut sim, canister, user) = setup();
    let other = sim.create_canister();
    let now = sim.time_ns();
    let body = inc_signed_by(&user, canister, user.principal(), now + 1_000);
    assert_submit_refused(
        &mut sim,
        &body,
        other,
        "does not match effective canister id",
    );
}

#[test]
fn a_request_of_the_wrong_kind_or_not_cbor_is_refused() {
    let (sim, canister, user) = setup();
    let now = sim.time_ns();
    let body = inc_signed_by(&user, canister, user.principal(), now + 1_000);
    assert_refused(&body, RequestKind::Query, now, "takes `query` requests");
    assert!(authenticate(b"{}", RequestKind::Query, now)
        .unwrap_err()
        .message
        .contains("CBOR"));
}

#[test]
fn delegations_are_followed_and_checked() {
    let (sim, canister, user) = setup();
    let now = sim.time_ns();
    let session = User::new(b"session");
    let delegation = |targets: Option<Vec<Principal>>, expiration: u64| Delegation {
        pubkey: session.der(),
        expiration,
        targets,
        permissions: None,
    };
    let content = || call_to(canister, "inc", vec![], user.principal(), now + 1_000);
    let good = envelope(
        content(),
        &user,
        &[(&session, delegation(None, now + 1_000))],
    );
    assert!(authenticate(&good, RequestKind::Call, now).is_ok());
    let expired = envelope(content(), &user, &[(&session, delegation(None, now - 1))]);
    assert_refused(&expired, RequestKind::Call, now, "expired");
    let elsewhere = delegation(Some(vec![Principal::management_canister()]), now + 1_000);
    let targeted = envelope(content(), &user, &[(&session, elsewhere)]);
    assert_refused(&targeted, RequestKind::Call, now, "not one of its targets");
    let queries_only = Delegation {
        permissions: Some(ic_transport_types::DelegationPermissions::Queries),
        ..delegation(None, now + 1_000)
    };
    let limited = envelope(content(), &user, &[(&session, queries_only)]);
    assert_refused(&limited, RequestKind::Call, now, "only queries");
    // Signed by the user instead of the session key at the end of the chain.
    let mut forged = serde_cbor::from_slice::<Envelope<'static>>(&good).unwrap();
    forged.sender_sig = Some(user.sign(&content().to_request_id().signable()));
    assert_refused(
        &forged.encode_bytes(),
        RequestKind::Call,
        now,
        "Invalid signature",
    );
}

#[test]
fn anonymous_requests_carry_no_key() {
    let (sim, canister, user) = setup();
    let now = sim.time_ns();
    let content = call_to(canister, "inc", vec![], Principal::anonymous(), now + 1_000);
    let unsigned = Envelope {
        content: Cow::Owned(content.clone()),
        sender_pubkey: None,
        sender_sig: None,
        sender_delegation: None,
    };
    assert!(authenticate(&unsigned.encode_bytes(), RequestKind::Call, now).is_ok());
    let signed = envelope(content, &user, &[]);
    assert_refused(&signed, RequestKind::Call, now, "anonymous");
}
