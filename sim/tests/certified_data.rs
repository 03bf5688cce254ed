//! Certified data and data certificates (spec "Certified data"): a query call's target canister
//! reads a certificate of the value it last set, made by the embedder's certifier only when the
//! canister asks for it; replicated executions and instances without a certifier have none.

use candid::Principal;
use ic_sim::{CertifiedData, ErrorCode, Sim, SimConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const MODULE: &str = r#"(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "certified_data_set" (func $set (param i32 i32)))
  (import "ic0" "data_certificate_present" (func $present (result i32)))
  (import "ic0" "data_certificate_size" (func $size (result i32)))
  (import "ic0" "data_certificate_copy" (func $copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  ;; Certifies the argument.
  (func (export "canister_update set")
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (call $set (i32.const 0) (call $arg_size))
    (call $reply))
  ;; Replies `data_certificate_present` as one byte.
  (func (export "canister_query present")
    (i32.store8 (i32.const 0) (call $present))
    (call $append (i32.const 0) (i32.const 1))
    (call $reply))
  ;; Replies the certificate (traps without one).
  (func (export "canister_query certificate")
    (call $copy (i32.const 0) (i32.const 0) (call $size))
    (call $append (i32.const 0) (call $size))
    (call $reply))
)"#;

fn setup() -> (Sim, Principal) {
    let mut sim = Sim::new(SimConfig::default());
    let id = sim.create_canister();
    sim.install_canister(id, wat::parse_str(MODULE).unwrap(), vec![], None)
        .unwrap();
    (sim, id)
}

/// A certifier that writes out what it certifies, counting its calls.
fn certifier(calls: Arc<AtomicUsize>) -> ic_sim::DataCertifier {
    Arc::new(move |subject: &CertifiedData| {
        calls.fetch_add(1, Ordering::SeqCst);
        format!(
            "{}:{}:{}",
            subject.canister_id,
            hex::encode(&subject.data),
            subject.time_ns
        )
        .into_bytes()
    })
}

#[test]
fn a_query_call_reads_the_certificate_of_the_data_last_set() {
    let (mut sim, id) = setup();
    let calls = Arc::new(AtomicUsize::new(0));
    sim.set_data_certifier(certifier(calls.clone()));
    let anon = Principal::anonymous();
    // After install the certified data is empty.
    let fresh = sim.query_call(id, anon, "certificate", vec![]).unwrap();
    assert_eq!(
        String::from_utf8(fresh).unwrap(),
        format!("{id}::{}", sim.time_ns())
    );
    sim.update_call(id, anon, "set", b"\x01\x02".to_vec())
        .unwrap();
    assert_eq!(sim.certified_data(id).unwrap(), b"\x01\x02");
    let certificate = sim.query_call(id, anon, "certificate", vec![]).unwrap();
    assert_eq!(
        String::from_utf8(certificate).unwrap(),
        format!("{id}:0102:{}", sim.time_ns())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn the_certificate_is_made_only_when_the_canister_reads_it() {
    let (mut sim, id) = setup();
    let calls = Arc::new(AtomicUsize::new(0));
    sim.set_data_certifier(certifier(calls.clone()));
    let present = sim
        .query_call(id, Principal::anonymous(), "present", vec![])
        .unwrap();
    assert_eq!(present, [1]);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing was signed");
}

#[test]
fn replicated_executions_and_uncertified_instances_have_no_certificate() {
    let (mut sim, id) = setup();
    let anon = Principal::anonymous();
    // No certifier: no certificate, and reading one traps.
    assert_eq!(sim.query_call(id, anon, "present", vec![]).unwrap(), [0]);
    let err = sim.query_call(id, anon, "certificate", vec![]).unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterContractViolation);
    assert!(err.message.contains("no data certificate"), "{err:?}");
    // With one, a query method run as an update (replicated) still has none.
    sim.set_data_certifier(certifier(Arc::default()));
    assert_eq!(sim.update_call(id, anon, "present", vec![]).unwrap(), [0]);
    assert_eq!(sim.query_call(id, anon, "present", vec![]).unwrap(), [1]);
}
