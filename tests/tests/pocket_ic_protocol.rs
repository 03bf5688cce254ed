//! The `pocket-ic` client's API, used exactly as IC developers use it, against whatever server
//! `POCKET_IC_BIN` names (our emulator in CI, a real PocketIC where users have one).

use candid::{decode_one, encode_args, encode_one, CandidType, Principal};
use ic_management_canister_types::CanisterStatusType;
use integration_tests::canister_wasm;
use pocket_ic::{ErrorCode, PocketIc, RejectCode, RejectResponse};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant, SystemTime};

const INSTALL_CYCLES: u128 = 2_000_000_000_000;

/// The reject code and error code of a call whose method trapped.
const TRAPPED: (RejectCode, ErrorCode) = (RejectCode::CanisterError, ErrorCode::CanisterCalledTrap);
/// The reject code and error code of a call the canister rejected explicitly.
const REJECTED: (RejectCode, ErrorCode) = (
    RejectCode::CanisterReject,
    ErrorCode::CanisterRejectedMessage,
);
/// The reject code and error code of a call of a method the canister does not have.
const NO_SUCH_METHOD: (RejectCode, ErrorCode) =
    (RejectCode::CanisterError, ErrorCode::CanisterMethodNotFound);

fn probe_wasm() -> Vec<u8> {
    canister_wasm("test-probe")
}

/// The probe's init argument.
fn init_arg(arg: &str) -> Vec<u8> {
    encode_one(Some(arg)).unwrap()
}

fn no_args() -> Vec<u8> {
    encode_args(()).unwrap()
}

/// Asserts the reject code and the error code of `err`.
fn assert_codes(err: &RejectResponse, codes: (RejectCode, ErrorCode)) {
    assert_eq!((err.reject_code, err.error_code), codes);
}

/// The probe on a fresh instance, called as the anonymous principal.
struct Probe {
    pic: PocketIc,
    id: Principal,
}

impl Probe {
    /// A fresh instance with the probe installed (init argument `arg`).
    fn new(arg: &str) -> Probe {
        Probe::with_wasm(probe_wasm(), arg)
    }

    /// A fresh instance with `wasm`, a build of the probe, installed (init argument `arg`).
    fn with_wasm(wasm: Vec<u8>, arg: &str) -> Probe {
        let pic = PocketIc::new();
        let id = pic.create_canister();
        pic.add_cycles(id, INSTALL_CYCLES);
        pic.install_canister(id, wasm, init_arg(arg), None);
        Probe { pic, id }
    }

    /// The decoded reply of update `method`, which must succeed.
    fn update<T: CandidType + DeserializeOwned>(&self, method: &str, arg: Vec<u8>) -> T {
        let reply = self
            .pic
            .update_call(self.id, Principal::anonymous(), method, arg);
        decode_one(&reply.unwrap_or_else(|e| panic!("{method} failed: {e}"))).unwrap()
    }

    /// The decoded reply of query `method`, which must succeed.
    fn query<T: CandidType + DeserializeOwned>(&self, method: &str, arg: Vec<u8>) -> T {
        let reply = self
            .pic
            .query_call(self.id, Principal::anonymous(), method, arg);
        decode_one(&reply.unwrap_or_else(|e| panic!("{method} failed: {e}"))).unwrap()
    }

    /// The reject of update `method`, which must fail.
    fn rejection(&self, method: &str, arg: Vec<u8>) -> RejectResponse {
        let reply = self
            .pic
            .update_call(self.id, Principal::anonymous(), method, arg);
        reply.expect_err("the call fails")
    }

    /// Writes `bytes` to stable memory at `offset`.
    fn stable_write(&self, offset: u64, bytes: &[u8]) {
        self.update::<()>("stable_write", encode_args((offset, bytes)).unwrap())
    }

    /// The init argument the probe was last installed with.
    fn init_arg(&self) -> String {
        self.query("init_arg", no_args())
    }
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
    let probe = Probe::new("hello");
    assert_eq!(probe.update::<u64>("inc", no_args()), 1);
    assert_eq!(probe.update::<u64>("inc", no_args()), 2);
    assert_eq!(probe.query::<u64>("get", no_args()), 2);
    assert_eq!(probe.init_arg(), "hello");
}

#[test]
fn submitted_calls_complete_when_awaited() {
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
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
    let probe = Probe::new("");
    let err = probe.rejection("inc_then_trap", encode_one("boom").unwrap());
    assert_codes(&err, TRAPPED);
    assert!(
        err.reject_message.contains("boom"),
        "{}",
        err.reject_message
    );
    assert_eq!(probe.query::<u64>("get", no_args()), 0);
}

#[test]
fn an_explicit_reject_is_reported_as_canister_reject() {
    let probe = Probe::new("");
    let err = probe.rejection("reject", encode_one("not today").unwrap());
    assert_codes(&err, REJECTED);
    assert_eq!(err.reject_message, "not today");
}

#[test]
fn a_missing_method_is_reported() {
    let probe = Probe::new("");
    let err = probe.rejection("nope", no_args());
    assert_codes(&err, NO_SUCH_METHOD);
}

#[test]
fn upgrade_keeps_stable_memory_and_resets_the_heap() {
    let probe = Probe::new("v1");
    let (pic, canister) = (&probe.pic, probe.id);
    probe.update::<u64>("inc", no_args());
    probe.stable_write(100, b"kept");
    pic.upgrade_canister(canister, probe_wasm(), init_arg("v2"), None)
        .unwrap();
    assert_eq!(probe.init_arg(), "v2");
    assert_eq!(probe.query::<u64>("get", no_args()), 0);
    let kept: Vec<u8> = probe.query("stable_read", encode_args((100u64, 4u64)).unwrap());
    assert_eq!(kept, b"kept");
}

#[test]
fn reinstall_wipes_stable_memory() {
    let probe = Probe::new("v1");
    let (pic, canister) = (&probe.pic, probe.id);
    probe.stable_write(0, b"gone");
    pic.reinstall_canister(canister, probe_wasm(), init_arg("v3"), None)
        .unwrap();
    assert_eq!(probe.init_arg(), "v3");
    assert!(pic.get_stable_memory(canister).is_empty());
}

#[test]
fn a_wasm_over_two_megabytes_installs_through_chunks() {
    let wasm = with_custom_section(probe_wasm(), "padding", &vec![7u8; 2_500_000]);
    assert!(wasm.len() > 2_000_000);
    let probe = Probe::with_wasm(wasm, "big");
    assert_eq!(probe.init_arg(), "big");
}

/// Appends a custom section to a wasm module (sections may follow the code in any number).
fn with_custom_section(mut wasm: Vec<u8>, name: &str, content: &[u8]) -> Vec<u8> {
    let section = wasm_encoder::CustomSection {
        name: name.into(),
        data: content.into(),
    };
    wasm_encoder::Section::append_to(&section, &mut wasm);
    wasm
}

#[test]
fn advancing_time_fires_a_timer() {
    let probe = Probe::new("");
    let pic = &probe.pic;
    probe.update::<()>("set_timer", encode_one(60u64).unwrap());
    pic.tick();
    assert_eq!(probe.query::<u64>("timer_runs", no_args()), 0);
    let before = pic.get_time();
    pic.advance_time(Duration::from_secs(61));
    assert!(pic.get_time() >= before + Duration::from_secs(61));
    pic.tick();
    pic.tick();
    assert_eq!(probe.query::<u64>("timer_runs", no_args()), 1);
}

#[test]
fn a_stopped_canister_rejects_calls_until_started() {
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
    pic.stop_canister(canister, None).unwrap();
    let err = probe.rejection("inc", no_args());
    assert_eq!(err.error_code, ErrorCode::CanisterStopped);
    pic.start_canister(canister, None).unwrap();
    assert_eq!(probe.update::<u64>("inc", no_args()), 1);
}

#[test]
fn canister_status_reports_state_cycles_and_memory() {
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
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
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
    let data = vec![42u8; 65536];
    pic.set_stable_memory(
        canister,
        data.clone(),
        pocket_ic::common::rest::BlobCompression::NoCompression,
    );
    assert_eq!(&pic.get_stable_memory(canister)[..data.len()], &data[..]);
    let read: Vec<u8> = probe.query("stable_read", encode_args((10u64, 3u64)).unwrap());
    assert_eq!(read, vec![42, 42, 42]);
}

#[test]
fn logs_hold_prints_and_traps() {
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
    probe.update::<()>("log", encode_one("hello log").unwrap());
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
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
    probe.update::<u64>("inc", no_args());
    pic.stop_canister(canister, None).unwrap();
    let snapshot = pic.take_canister_snapshot(canister, None, None).unwrap();
    pic.start_canister(canister, None).unwrap();
    probe.update::<u64>("inc", no_args());
    assert_eq!(probe.query::<u64>("get", no_args()), 2);
    assert_eq!(
        pic.list_canister_snapshots(canister, None).unwrap().len(),
        1
    );
    pic.stop_canister(canister, None).unwrap();
    pic.load_canister_snapshot(canister, None, snapshot.id.clone())
        .unwrap();
    pic.start_canister(canister, None).unwrap();
    assert_eq!(probe.query::<u64>("get", no_args()), 1);
    pic.delete_canister_snapshot(canister, None, snapshot.id)
        .unwrap();
    assert!(pic
        .list_canister_snapshots(canister, None)
        .unwrap()
        .is_empty());
}

#[test]
fn two_instances_are_independent() {
    let a = Probe::new("a");
    let b = Probe::new("b");
    a.update::<u64>("inc", no_args());
    a.update::<u64>("inc", no_args());
    assert_eq!(b.update::<u64>("inc", no_args()), 1);
    assert_eq!(a.query::<u64>("get", no_args()), 2);
}

#[test]
fn auto_progress_executes_calls_without_ticks_until_stopped() {
    let probe = Probe::new("");
    let (pic, canister) = (&probe.pic, probe.id);
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

#[test]
fn a_live_instance_set_ahead_of_the_wall_clock_runs_on_from_there() {
    let probe = Probe::new("");
    let pic = &probe.pic;
    pic.auto_progress();
    let ahead = pocket_ic::Time::from(SystemTime::now() + Duration::from_secs(3600));
    pic.set_time(ahead);
    // A second later the instance's time is (about) a second past it, not frozen until the wall
    // clock catches up.
    let waiting = Instant::now();
    while pic.get_time() < ahead + Duration::from_millis(500) {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the instance's time stands at {:?}",
            pic.get_time()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    pic.stop_progress();
}
