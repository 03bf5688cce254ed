//! The `pocket-ic` client's API, used exactly as IC developers use it, against whatever server
//! `POCKET_IC_BIN` names (our emulator in CI, a real PocketIC where users have one).

use candid::{decode_one, encode_args, encode_one, Principal};
use ic_management_canister_types::CanisterStatusType;
use integration_tests::canister_wasm;
use pocket_ic::{ErrorCode, PocketIc, RejectCode};
use std::time::Duration;

const INSTALL_CYCLES: u128 = 2_000_000_000_000;

fn probe_wasm() -> Vec<u8> {
    canister_wasm("test-probe")
}

/// A fresh instance with the probe installed (init argument `arg`).
fn with_probe(arg: &str) -> (PocketIc, Principal) {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    pic.add_cycles(canister, INSTALL_CYCLES);
    pic.install_canister(canister, probe_wasm(), encode_one(Some(arg)).unwrap(), None);
    (pic, canister)
}

fn update<T: candid::CandidType + for<'a> candid::Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    method: &str,
    arg: Vec<u8>,
) -> T {
    let reply = pic
        .update_call(canister, Principal::anonymous(), method, arg)
        .unwrap_or_else(|e| panic!("{method} failed: {e}"));
    decode_one(&reply).unwrap()
}

fn query<T: candid::CandidType + for<'a> candid::Deserialize<'a>>(
    pic: &PocketIc,
    canister: Principal,
    method: &str,
    arg: Vec<u8>,
) -> T {
    let reply = pic
        .query_call(canister, Principal::anonymous(), method, arg)
        .unwrap_or_else(|e| panic!("{method} failed: {e}"));
    decode_one(&reply).unwrap()
}

fn no_args() -> Vec<u8> {
    encode_args(()).unwrap()
}

#[test]
fn first_canister_gets_the_application_subnet_range_start() {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    assert_eq!(canister.to_text(), "lxzze-o7777-77777-aaaaa-cai");
    assert!(pic.canister_exists(canister));
    assert!(!pic.canister_exists(Principal::from_slice(&[0xff; 10])));
    assert_eq!(pic.topology().get_app_subnets().len(), 1);
}

#[test]
fn add_cycles_raises_the_balance() {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    let before = pic.cycle_balance(canister);
    let after = pic.add_cycles(canister, 1_000_000);
    assert_eq!(after, before + 1_000_000);
    assert_eq!(pic.cycle_balance(canister), after);
}

#[test]
fn update_and_query_calls_reach_the_canister() {
    let (pic, canister) = with_probe("hello");
    assert_eq!(update::<u64>(&pic, canister, "inc", no_args()), 1);
    assert_eq!(update::<u64>(&pic, canister, "inc", no_args()), 2);
    assert_eq!(query::<u64>(&pic, canister, "get", no_args()), 2);
    assert_eq!(
        query::<String>(&pic, canister, "init_arg", no_args()),
        "hello"
    );
}

#[test]
fn submitted_calls_complete_when_awaited() {
    let (pic, canister) = with_probe("");
    let first = pic
        .submit_call(canister, Principal::anonymous(), "inc", no_args())
        .unwrap();
    let second = pic
        .submit_call(canister, Principal::anonymous(), "inc", no_args())
        .unwrap();
    let first: u64 = decode_one(&pic.await_call(first).unwrap()).unwrap();
    let second: u64 = decode_one(&pic.await_call(second).unwrap()).unwrap();
    assert_eq!((first, second), (1, 2), "ingress runs in submission order");
}

#[test]
fn a_trap_is_reported_as_canister_error_and_rolled_back() {
    let (pic, canister) = with_probe("");
    let err = pic
        .update_call(
            canister,
            Principal::anonymous(),
            "inc_then_trap",
            encode_one("boom").unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterCalledTrap);
    assert!(
        err.reject_message.contains("boom"),
        "{}",
        err.reject_message
    );
    assert_eq!(query::<u64>(&pic, canister, "get", no_args()), 0);
}

#[test]
fn an_explicit_reject_is_reported_as_canister_reject() {
    let (pic, canister) = with_probe("");
    let err = pic
        .update_call(
            canister,
            Principal::anonymous(),
            "reject",
            encode_one("not today").unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterReject);
    assert_eq!(err.error_code, ErrorCode::CanisterRejectedMessage);
    assert_eq!(err.reject_message, "not today");
}

#[test]
fn a_missing_method_is_reported() {
    let (pic, canister) = with_probe("");
    let err = pic
        .update_call(canister, Principal::anonymous(), "nope", no_args())
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
    assert_eq!(err.error_code, ErrorCode::CanisterMethodNotFound);
}

#[test]
fn upgrade_keeps_stable_memory_and_resets_the_heap() {
    let (pic, canister) = with_probe("v1");
    update::<u64>(&pic, canister, "inc", no_args());
    update::<()>(
        &pic,
        canister,
        "stable_write",
        encode_args((100u64, b"kept".to_vec())).unwrap(),
    );
    pic.upgrade_canister(
        canister,
        probe_wasm(),
        encode_one(Some("v2")).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(query::<String>(&pic, canister, "init_arg", no_args()), "v2");
    assert_eq!(query::<u64>(&pic, canister, "get", no_args()), 0);
    let kept: Vec<u8> = query(
        &pic,
        canister,
        "stable_read",
        encode_args((100u64, 4u64)).unwrap(),
    );
    assert_eq!(kept, b"kept");
}

#[test]
fn reinstall_wipes_stable_memory() {
    let (pic, canister) = with_probe("v1");
    update::<()>(
        &pic,
        canister,
        "stable_write",
        encode_args((0u64, b"gone".to_vec())).unwrap(),
    );
    pic.reinstall_canister(
        canister,
        probe_wasm(),
        encode_one(Some("v3")).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(query::<String>(&pic, canister, "init_arg", no_args()), "v3");
    assert!(pic.get_stable_memory(canister).is_empty());
}

#[test]
fn a_wasm_over_two_megabytes_installs_through_chunks() {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    pic.add_cycles(canister, INSTALL_CYCLES);
    let wasm = with_custom_section(probe_wasm(), "padding", &vec![7u8; 2_500_000]);
    assert!(wasm.len() > 2_000_000);
    pic.install_canister(canister, wasm, encode_one(Some("big")).unwrap(), None);
    assert_eq!(
        query::<String>(&pic, canister, "init_arg", no_args()),
        "big"
    );
}

/// Appends a custom section to a wasm module (sections may follow the code in any number).
fn with_custom_section(mut wasm: Vec<u8>, name: &str, content: &[u8]) -> Vec<u8> {
    let mut payload = leb128(name.len());
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(content);
    wasm.push(0);
    wasm.extend(leb128(payload.len()));
    wasm.extend(payload);
    wasm
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn advancing_time_fires_a_timer() {
    let (pic, canister) = with_probe("");
    update::<()>(&pic, canister, "set_timer", encode_one(60u64).unwrap());
    pic.tick();
    assert_eq!(query::<u64>(&pic, canister, "timer_runs", no_args()), 0);
    let before = pic.get_time();
    pic.advance_time(Duration::from_secs(61));
    assert!(pic.get_time() >= before + Duration::from_secs(61));
    pic.tick();
    pic.tick();
    assert_eq!(query::<u64>(&pic, canister, "timer_runs", no_args()), 1);
}

#[test]
fn a_stopped_canister_rejects_calls_until_started() {
    let (pic, canister) = with_probe("");
    pic.stop_canister(canister, None).unwrap();
    let err = pic
        .update_call(canister, Principal::anonymous(), "inc", no_args())
        .unwrap_err();
    assert_eq!(err.error_code, ErrorCode::CanisterStopped);
    pic.start_canister(canister, None).unwrap();
    assert_eq!(update::<u64>(&pic, canister, "inc", no_args()), 1);
}

#[test]
fn canister_status_reports_state_cycles_and_memory() {
    let (pic, canister) = with_probe("");
    let balance_before = pic.cycle_balance(canister);
    let status = pic.canister_status(canister, None).unwrap();
    // The client decodes with its own (older) release of the management types: compare the
    // Candid values.
    assert_eq!(
        encode_one(status.status).unwrap(),
        encode_one(CanisterStatusType::Running).unwrap()
    );
    assert!(status.module_hash.is_some());
    assert!(status.memory_size > 0u64);
    assert!(status.cycles <= balance_before);
    assert!(status.cycles > balance_before - 1_000_000_000);
}

#[test]
fn controllers_can_be_replaced() {
    let pic = PocketIc::new();
    let canister = pic.create_canister();
    assert_eq!(pic.get_controllers(canister), vec![Principal::anonymous()]);
    let alice = Principal::self_authenticating(b"alice");
    pic.set_controllers(canister, None, vec![alice]).unwrap();
    assert_eq!(pic.get_controllers(canister), vec![alice]);
    let err = pic
        .set_controllers(canister, None, vec![Principal::anonymous()])
        .unwrap_err();
    assert_eq!(err.reject_code, RejectCode::CanisterError);
}

#[test]
fn stable_memory_can_be_read_and_replaced() {
    let (pic, canister) = with_probe("");
    let data = vec![42u8; 65536];
    pic.set_stable_memory(
        canister,
        data.clone(),
        pocket_ic::common::rest::BlobCompression::NoCompression,
    );
    assert_eq!(&pic.get_stable_memory(canister)[..data.len()], &data[..]);
    let read: Vec<u8> = query(
        &pic,
        canister,
        "stable_read",
        encode_args((10u64, 3u64)).unwrap(),
    );
    assert_eq!(read, vec![42, 42, 42]);
}

#[test]
fn logs_hold_prints_and_traps() {
    let (pic, canister) = with_probe("");
    update::<()>(&pic, canister, "log", encode_one("hello log").unwrap());
    let _ = pic.update_call(
        canister,
        Principal::anonymous(),
        "inc_then_trap",
        encode_one("kaboom").unwrap(),
    );
    let logs = pic
        .fetch_canister_logs(canister, Principal::anonymous())
        .unwrap();
    let text: Vec<String> = logs
        .iter()
        .map(|r| String::from_utf8_lossy(&r.content).into_owned())
        .collect();
    assert!(text.iter().any(|l| l.contains("hello log")), "{text:?}");
    assert!(text.iter().any(|l| l.contains("kaboom")), "{text:?}");
}

#[test]
fn a_snapshot_restores_earlier_state() {
    let (pic, canister) = with_probe("");
    update::<u64>(&pic, canister, "inc", no_args());
    pic.stop_canister(canister, None).unwrap();
    let snapshot = pic.take_canister_snapshot(canister, None, None).unwrap();
    pic.start_canister(canister, None).unwrap();
    update::<u64>(&pic, canister, "inc", no_args());
    assert_eq!(query::<u64>(&pic, canister, "get", no_args()), 2);
    assert_eq!(
        pic.list_canister_snapshots(canister, None).unwrap().len(),
        1
    );
    pic.stop_canister(canister, None).unwrap();
    pic.load_canister_snapshot(canister, None, snapshot.id.clone())
        .unwrap();
    pic.start_canister(canister, None).unwrap();
    assert_eq!(query::<u64>(&pic, canister, "get", no_args()), 1);
    pic.delete_canister_snapshot(canister, None, snapshot.id)
        .unwrap();
    assert!(pic
        .list_canister_snapshots(canister, None)
        .unwrap()
        .is_empty());
}

#[test]
fn two_instances_are_independent() {
    let (a, canister_a) = with_probe("a");
    let (b, canister_b) = with_probe("b");
    update::<u64>(&a, canister_a, "inc", no_args());
    update::<u64>(&a, canister_a, "inc", no_args());
    assert_eq!(update::<u64>(&b, canister_b, "inc", no_args()), 1);
    assert_eq!(query::<u64>(&a, canister_a, "get", no_args()), 2);
}

#[test]
fn auto_progress_executes_calls_without_ticks_until_stopped() {
    let (pic, canister) = with_probe("");
    assert!(!pic.auto_progress_enabled());
    pic.auto_progress();
    assert!(pic.auto_progress_enabled());
    let before = pic.get_time();
    let id = pic
        .submit_call(canister, Principal::anonymous(), "inc", no_args())
        .unwrap();
    let reply = pic.await_call_no_ticks(id).unwrap();
    assert_eq!(decode_one::<u64>(&reply).unwrap(), 1);
    assert!(pic.get_time() > before, "time follows the wall clock");
    pic.stop_progress();
    assert!(!pic.auto_progress_enabled());
}
