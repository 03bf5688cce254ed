//! The hand-written reader against replies encoded by `candid` (the management canister's own
//! types from ic-management-canister-types), hand-made wire bytes for the edge cases, and
//! property tests against Candid's decoder.

use super::wire::*;
use super::*;
use candid::types::TypeEnv;
use candid::{Nat, Principal};
use candid_parser::syntax::IDLType;
use ic_management_canister_types::{
    CanisterStatusResult, CanisterStatusType, DefiniteCanisterSettings, EnvironmentVariable,
    LogVisibility, MemoryMetrics as FullMemoryMetrics, QueryStats, SnapshotVisibility,
    StatusVisibility,
};
use proptest::prelude::*;

fn nat(v: u128) -> Nat {
    Nat::from(v)
}

/// A full reply with distinct values in every field the monitor reads.
fn full(status: CanisterStatusType) -> CanisterStatusResult {
    CanisterStatusResult {
        status,
        ready_for_migration: true,
        version: 42,
        settings: DefiniteCanisterSettings {
            controllers: vec![Principal::from_slice(&[1; 10]), Principal::anonymous()],
            compute_allocation: nat(3),
            memory_allocation: nat(1 << 33),
            freezing_threshold: nat(2_592_000),
            reserved_cycles_limit: nat(5_000_000_000_000),
            log_visibility: LogVisibility::AllowedViewers(vec![Principal::from_slice(&[2; 29])]),
            log_memory_limit: nat(4096),
            snapshot_visibility: SnapshotVisibility::Public,
            status_visibility: StatusVisibility::AllowedViewers(vec![Principal::from_slice(
                &[3; 29],
            )]),
            minimum_incoming_canister_call_cycles: nat(1_000_000),
            wasm_memory_limit: nat(3_221_225_472),
            wasm_memory_threshold: nat(1 << 20),
            environment_variables: vec![EnvironmentVariable {
                name: "MODE".into(),
                value: "production ✓".into(),
            }],
        },
        module_hash: Some(vec![0xab; 32]),
        memory_size: nat(5_000_000),
        memory_metrics: FullMemoryMetrics {
            wasm_memory_size: nat(3_000_000),
            stable_memory_size: nat(1_000_000),
            global_memory_size: nat(8),
            wasm_binary_size: nat(300_000),
            custom_sections_size: nat(100),
            canister_history_size: nat(640),
            wasm_chunk_store_size: nat(0),
            snapshots_size: nat(0),
            log_memory_store_size: nat(256),
        },
        cycles: nat(7_000_000_000_000),
        reserved_cycles: nat(11),
        idle_cycles_burned_per_day: nat(86_400_000),
        query_stats: QueryStats {
            num_calls_total: nat(1),
            num_instructions_total: nat(2),
            request_payload_bytes_total: nat(3),
            response_payload_bytes_total: nat(4),
        },
    }
}

fn sat128(n: &Nat) -> u128 {
    u128::try_from(n.0.clone()).unwrap_or(u128::MAX)
}

fn sat64(n: &Nat) -> u64 {
    u64::try_from(n.0.clone()).unwrap_or(u64::MAX)
}

/// What the reader must make of `r`, computed from Candid's own decoding.
fn expected(r: &CanisterStatusResult) -> StatusReply {
    StatusReply {
        status: match r.status {
            CanisterStatusType::Running => RunStatus::Running,
            CanisterStatusType::Stopping => RunStatus::Stopping,
            CanisterStatusType::Stopped => RunStatus::Stopped,
        },
        cycles: sat128(&r.cycles),
        memory_size: sat64(&r.memory_size),
        memory_metrics: Some(MemoryMetrics {
            wasm_memory_size: sat64(&r.memory_metrics.wasm_memory_size),
            stable_memory_size: sat64(&r.memory_metrics.stable_memory_size),
        }),
        freezing_threshold: sat128(&r.settings.freezing_threshold),
        wasm_memory_limit: Some(sat64(&r.settings.wasm_memory_limit)),
        idle_cycles_burned_per_day: sat128(&r.idle_cycles_burned_per_day),
        identity: Identity {
            module_hash: r.module_hash.as_ref().map(|h| {
                let mut hash = [0u8; 32];
                let n = h.len().min(32);
                hash[..n].copy_from_slice(&h[..n]);
                hash
            }),
            controllers: r.settings.controllers.clone(),
            reserved_cycles: sat128(&r.reserved_cycles),
            minimum_incoming_call_cycles: sat128(&r.settings.minimum_incoming_canister_call_cycles),
        },
    }
}

/// Encodes the Candid text `value` with the type `ty` (a Candid type expression).
fn encode(value: &str, ty: &str) -> Vec<u8> {
    let env = TypeEnv::new();
    let ast: IDLType = ty.parse().expect("type parses");
    let t = candid_parser::typing::ast_to_type(&env, &ast).expect("type checks");
    candid_parser::parse_idl_args(value)
        .expect("value parses")
        .annotate_types(true, &env, std::slice::from_ref(&t))
        .expect("value has the type")
        .to_bytes_with_types(&env, &[t])
        .expect("encodes")
}

#[test]
fn reads_each_status_of_a_full_reply() {
    for status in [
        CanisterStatusType::Running,
        CanisterStatusType::Stopping,
        CanisterStatusType::Stopped,
    ] {
        let reply = full(status);
        let bytes = candid::encode_one(&reply).unwrap();
        assert_eq!(decode(&bytes).unwrap(), expected(&reply));
    }
}

#[test]
fn the_sample_takes_sizes_limits_and_the_freezing_reserve_from_the_reply() {
    let bytes = candid::encode_one(full(CanisterStatusType::Running)).unwrap();
    let s = decode(&bytes).unwrap().to_sample(9);
    assert_eq!(s.at_ns, 9);
    assert_eq!(s.cycles, 7_000_000_000_000);
    assert_eq!(
        (s.heap_bytes, s.stable_bytes, s.total_bytes),
        (3_000_000, 1_000_000, 5_000_000)
    );
    assert_eq!(s.wasm_memory_limit, 3_221_225_472);
    // 1,000 cycles per second for 30 days of freezing threshold.
    assert_eq!(s.freezing_reserve, 2_592_000_000);
    assert_eq!(s.idle_burn_per_day, 86_400_000);
    assert_eq!(s.status, RunStatus::Running);
}

const OLD_REPLY_TYPE: &str = "record {
    status : variant { running; stopping; stopped };
    settings : record { controllers : vec principal; freezing_threshold : nat };
    module_hash : opt blob;
    memory_size : nat;
    cycles : nat;
    idle_cycles_burned_per_day : nat;
}";

#[test]
fn a_reply_from_an_older_replica_reads_memory_metrics_and_limit_as_absent() {
    let bytes = encode(
        "(record { status = variant { stopped }; settings = record { controllers = vec {}; \
         freezing_threshold = 100 }; module_hash = null; memory_size = 4096; cycles = 5; \
         idle_cycles_burned_per_day = 864 })",
        OLD_REPLY_TYPE,
    );
    let r = decode(&bytes).unwrap();
    assert_eq!(r.memory_metrics, None);
    assert_eq!(r.wasm_memory_limit, None);
    assert_eq!(r.freezing_threshold, 100);
    let s = r.to_sample(0);
    assert_eq!((s.heap_bytes, s.stable_bytes, s.total_bytes), (0, 0, 4096));
    assert_eq!(s.wasm_memory_limit, 0);
    assert_eq!(s.freezing_reserve, 1);
    assert_eq!(s.status, RunStatus::Stopped);
}

fn with_optional_fields(limit_ty: &str, limit: &str, metrics_ty: &str, metrics: &str) -> Vec<u8> {
    encode(
        &format!(
            "(record {{ status = variant {{ running }}; settings = record {{ freezing_threshold = 0; \
             wasm_memory_limit = {limit} }}; memory_size = 0; memory_metrics = {metrics}; cycles = 1; \
             idle_cycles_burned_per_day = 0 }})"
        ),
        &format!(
            "record {{ status : variant {{ running }}; settings : record {{ freezing_threshold : nat; \
             wasm_memory_limit : {limit_ty} }}; memory_size : nat; memory_metrics : {metrics_ty}; \
             cycles : nat; idle_cycles_burned_per_day : nat }}"
        ),
    )
}

#[test]
fn optional_fields_may_come_as_opt_values_null_or_values_of_other_types() {
    let metrics = "record { wasm_memory_size : nat; stable_memory_size : nat }";
    let some_metrics = "record { wasm_memory_size = 7; stable_memory_size = 8 }";
    let read = |limit_ty, limit, metrics_ty: &str, m: &str| {
        let r = decode(&with_optional_fields(limit_ty, limit, metrics_ty, m)).unwrap();
        (
            r.wasm_memory_limit,
            r.memory_metrics
                .map(|m| (m.wasm_memory_size, m.stable_memory_size)),
        )
    };
    let opt_metrics = format!("opt {metrics}");
    let opt_some_metrics = format!("opt {some_metrics}");
    assert_eq!(
        read("opt nat", "opt 9", &opt_metrics, &opt_some_metrics),
        (Some(9), Some((7, 8)))
    );
    assert_eq!(read("opt nat", "null", &opt_metrics, "null"), (None, None));
    assert_eq!(read("null", "null", "null", "null"), (None, None));
    assert_eq!(read("reserved", "null", "reserved", "null"), (None, None));
    // Candid's `opt` rule: a value of another type reads as absent.
    assert_eq!(
        read("text", "\"big\"", "vec nat", "vec { 1; 2 }"),
        (None, None)
    );
    assert_eq!(
        read("opt text", "opt \"big\"", "opt nat", "opt 3"),
        (None, None)
    );
    // A metrics record lacking one of the two sizes is absent too.
    assert_eq!(
        read(
            "nat64",
            "10",
            "record { wasm_memory_size : nat }",
            "record { wasm_memory_size = 1 }"
        ),
        (Some(10), None)
    );
}

/// The full reply with unknown fields of every kind added at every level, and more status tags
/// than today.
const FUTURE_REPLY_TYPE: &str = "record {
    status : variant { running; stopping; stopped; migrating : record { to : principal } };
    a_vec_of_records : vec record { name : text; weight : float64; flag : bool };
    settings : record {
        controllers : vec principal;
        freezing_threshold : nat;
        wasm_memory_limit : nat;
        log_visibility : variant { controllers; public; allowed_viewers : vec principal };
        new_limit : opt int;
        numbers : record { nat8; nat16; nat32; nat64; int8; int16; int32; int64; float32 };
    };
    module_hash : opt blob;
    memory_size : nat;
    memory_metrics : record {
        wasm_memory_size : nat;
        stable_memory_size : nat;
        tomorrow_size : nat;
        signed : vec int;
    };
    cycles : nat;
    a_callback : func (nat) -> (text) query;
    a_service : service { m : (nat) -> () };
    a_reserved : reserved;
    a_nested_opt : opt opt vec opt text;
    idle_cycles_burned_per_day : nat;
}";

const FUTURE_REPLY: &str = r#"(record {
    status = variant { stopping };
    a_vec_of_records = vec { record { name = "α"; weight = 1.5; flag = true }; record { name = ""; weight = -0.0; flag = false } };
    settings = record {
        controllers = vec { principal "aaaaa-aa"; principal "2vxsx-fae" };
        freezing_threshold = 2_592_000;
        wasm_memory_limit = 1_000_000;
        log_visibility = variant { allowed_viewers = vec { principal "aaaaa-aa" } };
        new_limit = opt (-5);
        numbers = record { 1; 2; 3; 4; -1; -2; -3; -4; 0.5 };
    };
    module_hash = opt blob "\00\01\02";
    memory_size = 123_456;
    memory_metrics = record { wasm_memory_size = 100_000; stable_memory_size = 20_000; tomorrow_size = 3; signed = vec { -1; 1_000_000_000_000_000_000_000_000 } };
    cycles = 340_282_366_920_938_463_463_374_607_431_768_211_456_000;
    a_callback = func "aaaaa-aa".get;
    a_service = service "aaaaa-aa";
    a_reserved = null;
    a_nested_opt = opt opt vec { opt "x"; null };
    idle_cycles_burned_per_day = 17;
})"#;

#[test]
fn unknown_fields_of_every_kind_and_unknown_status_tags_in_the_type_are_skipped() {
    let r = decode(&encode(FUTURE_REPLY, FUTURE_REPLY_TYPE)).unwrap();
    assert_eq!(
        r,
        StatusReply {
            status: RunStatus::Stopping,
            // 2^128 * 1000: saturated.
            cycles: u128::MAX,
            memory_size: 123_456,
            memory_metrics: Some(MemoryMetrics {
                wasm_memory_size: 100_000,
                stable_memory_size: 20_000
            }),
            freezing_threshold: 2_592_000,
            wasm_memory_limit: Some(1_000_000),
            idle_cycles_burned_per_day: 17,
            identity: Identity {
                module_hash: Some({
                    let mut h = [0u8; 32];
                    h[..3].copy_from_slice(&[0, 1, 2]);
                    h
                }),
                controllers: vec![Principal::management_canister(), Principal::anonymous()],
                reserved_cycles: 0,
                minimum_incoming_call_cycles: 0,
            },
        }
    );
}

#[test]
fn a_status_tag_the_monitor_does_not_know_is_an_error() {
    let bytes = encode(
        &FUTURE_REPLY.replace(
            "variant { stopping }",
            "variant { migrating = record { to = principal \"aaaaa-aa\" } }",
        ),
        FUTURE_REPLY_TYPE,
    );
    assert_eq!(
        decode(&bytes),
        Err(DecodeError::UnknownStatus {
            tag: field_id("migrating")
        })
    );
}

#[test]
fn missing_required_fields_are_named() {
    let without = |field: &str, ty: &str| {
        let value = FUTURE_REPLY
            .lines()
            .filter(|l| !l.trim_start().starts_with(&format!("{field} =")))
            .collect::<Vec<_>>()
            .join("\n");
        let ty = ty
            .lines()
            .filter(|l| !l.trim_start().starts_with(&format!("{field} :")))
            .collect::<Vec<_>>()
            .join("\n");
        decode(&encode(&value, &ty)).unwrap_err()
    };
    for field in [
        "status",
        "cycles",
        "memory_size",
        "idle_cycles_burned_per_day",
    ] {
        assert_eq!(
            without(field, FUTURE_REPLY_TYPE),
            DecodeError::MissingField { field }
        );
    }
    assert_eq!(
        without("freezing_threshold", FUTURE_REPLY_TYPE),
        DecodeError::MissingField {
            field: "settings.freezing_threshold"
        }
    );
    let no_settings = decode(&encode(
        "(record { status = variant { running }; memory_size = 0; cycles = 0; idle_cycles_burned_per_day = 0 })",
        "record { status : variant { running }; memory_size : nat; cycles : nat; idle_cycles_burned_per_day : nat }",
    ));
    assert_eq!(
        no_settings,
        Err(DecodeError::MissingField { field: "settings" })
    );
}

#[test]
fn required_fields_of_the_wrong_type_are_named() {
    let retyped = |from: &str, to: &str, value_from: &str, value_to: &str| {
        decode(&encode(
            &FUTURE_REPLY.replace(value_from, value_to),
            &FUTURE_REPLY_TYPE.replace(from, to),
        ))
        .unwrap_err()
    };
    assert_eq!(
        retyped("    cycles : nat;", "    cycles : int;", "", ""),
        DecodeError::WrongType {
            field: "cycles",
            expected: "nat"
        }
    );
    assert_eq!(
        retyped(
            "    memory_size : nat;",
            "    memory_size : text;",
            "memory_size = 123_456",
            "memory_size = \"big\""
        ),
        DecodeError::WrongType {
            field: "memory_size",
            expected: "nat"
        }
    );
    assert_eq!(
        decode(&encode(
            "(record { status = \"running\"; settings = record { freezing_threshold = 0 }; memory_size = 0; cycles = 0; idle_cycles_burned_per_day = 0 })",
            "record { status : text; settings : record { freezing_threshold : nat }; memory_size : nat; cycles : nat; idle_cycles_burned_per_day : nat }",
        )),
        Err(DecodeError::WrongType {
            field: "status",
            expected: "variant"
        })
    );
    assert_eq!(
        decode(&encode(
            "(record { status = variant { running }; settings = opt record { freezing_threshold = 0 }; memory_size = 0; cycles = 0; idle_cycles_burned_per_day = 0 })",
            "record { status : variant { running }; settings : opt record { freezing_threshold : nat }; memory_size : nat; cycles : nat; idle_cycles_burned_per_day : nat }",
        )),
        Err(DecodeError::WrongType {
            field: "settings",
            expected: "record"
        })
    );
}

#[test]
fn fixed_width_naturals_are_read_too() {
    let bytes = encode(
        "(record { status = variant { running }; settings = record { freezing_threshold = 7 : nat32 }; \
         memory_size = 65_536 : nat64; cycles = 255 : nat8; idle_cycles_burned_per_day = 513 : nat16 })",
        "record { status : variant { running }; settings : record { freezing_threshold : nat32 }; \
         memory_size : nat64; cycles : nat8; idle_cycles_burned_per_day : nat16 }",
    );
    let r = decode(&bytes).unwrap();
    assert_eq!(
        (
            r.freezing_threshold,
            r.memory_size,
            r.cycles,
            r.idle_cycles_burned_per_day
        ),
        (7, 65_536, 255, 513)
    );
}

#[test]
fn every_truncation_of_a_reply_is_an_error() {
    let bytes = encode(FUTURE_REPLY, FUTURE_REPLY_TYPE);
    for len in 0..bytes.len() {
        let err = decode(&bytes[..len]).expect_err("a cut reply cannot be read");
        assert!(
            matches!(err, DecodeError::Truncated { .. } | DecodeError::BadMagic),
            "cut at {len}: {err}"
        );
    }
}

// ---- hand-made wire bytes ----

fn leb(mut v: u128) -> Vec<u8> {
    let mut out = vec![];
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn sleb(v: i64) -> Vec<u8> {
    let mut out = vec![];
    let mut v = v;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A reply built by hand: the type table is `[reply record, status variant, settings record]`
/// followed by `extra_table` entries; the reply record has the five required fields plus `extra`
/// (`(name, type reference, value bytes)`), and `cycles` holds the raw bytes `cycles`.
fn handmade(extra_table: &[Vec<u8>], extra: &[(&str, i64, Vec<u8>)], cycles: Vec<u8>) -> Vec<u8> {
    handmade_with_status(status_tag("running"), extra_table, extra, cycles)
}

/// The status tags in wire (id) order.
fn status_tags() -> [u32; 3] {
    let mut tags = [
        field_id("running"),
        field_id("stopping"),
        field_id("stopped"),
    ];
    tags.sort();
    tags
}

/// The tag index of the status `name` on the wire.
fn status_tag(name: &str) -> u128 {
    status_tags()
        .iter()
        .position(|t| *t == field_id(name))
        .unwrap() as u128
}

/// [`handmade`] with the status variant's tag index `status`.
fn handmade_with_status(
    status: u128,
    extra_table: &[Vec<u8>],
    extra: &[(&str, i64, Vec<u8>)],
    cycles: Vec<u8>,
) -> Vec<u8> {
    let mut fields: Vec<(u32, i64, Vec<u8>)> = vec![
        (field_id("status"), 1, leb(status)),
        (field_id("settings"), 2, leb(30)),
        (field_id("memory_size"), NAT, leb(10)),
        (field_id("cycles"), NAT, cycles),
        (field_id("idle_cycles_burned_per_day"), NAT, leb(20)),
    ];
    fields.extend(
        extra
            .iter()
            .map(|(name, ty, value)| (field_id(name), *ty, value.clone())),
    );
    fields.sort_by_key(|f| f.0);
    let mut out = b"DIDL".to_vec();
    out.extend(leb(3 + extra_table.len() as u128));
    out.extend(sleb(RECORD));
    out.extend(leb(fields.len() as u128));
    for (id, ty, _) in &fields {
        out.extend(leb(*id as u128));
        out.extend(sleb(*ty));
    }
    out.extend(sleb(VARIANT));
    out.extend(leb(3));
    for id in status_tags() {
        out.extend(leb(id as u128));
        out.extend(sleb(NULL));
    }
    out.extend(sleb(RECORD));
    out.extend(leb(1));
    out.extend(leb(field_id("freezing_threshold") as u128));
    out.extend(sleb(NAT));
    for entry in extra_table {
        out.extend(entry);
    }
    out.extend(leb(1));
    out.extend(sleb(0));
    for (_, _, value) in fields {
        out.extend(value);
    }
    out
}

#[test]
fn the_handmade_reply_reads() {
    let r = decode(&handmade(&[], &[], leb(5))).unwrap();
    assert_eq!(
        r,
        StatusReply {
            status: RunStatus::Running,
            cycles: 5,
            memory_size: 10,
            memory_metrics: None,
            freezing_threshold: 30,
            wasm_memory_limit: None,
            idle_cycles_burned_per_day: 20,
            identity: Identity::default(),
        }
    );
}

#[test]
fn naturals_accept_overlong_encodings_and_saturate_beyond_128_bits() {
    let read = |cycles: Vec<u8>| decode(&handmade(&[], &[], cycles)).map(|r| r.cycles);
    assert_eq!(read(vec![0x85, 0x80, 0x80, 0x00]), Ok(5));
    assert_eq!(read(leb(u128::MAX)), Ok(u128::MAX));
    assert_eq!(read(leb(1 << 127)), Ok(1 << 127));
    // 2^128: one bit past u128.
    let mut big = vec![0x80; 18];
    big.push(0x04);
    assert_eq!(read(big), Ok(u128::MAX));
    // 40 bytes of ones, then overlong zeros.
    let mut huge = vec![0xff; 40];
    huge.extend([0x80, 0x00]);
    assert_eq!(read(huge), Ok(u128::MAX));
    assert!(matches!(
        read(vec![0x80, 0x80]),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn lengths_and_type_codes_beyond_64_bits_are_refused() {
    // A text whose length takes 11 LEB128 bytes with significant bits past bit 63.
    let mut len = vec![0xff; 10];
    len.push(0x01);
    let bytes = handmade(&[], &[("note", TEXT, len)], leb(1));
    assert!(matches!(
        decode(&bytes),
        Err(DecodeError::NumberTooLarge { .. })
    ));
    // A 10-byte signed type code.
    let mut bad = b"DIDL".to_vec();
    bad.extend([
        1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ]);
    assert!(matches!(
        decode(&bad),
        Err(DecodeError::NumberTooLarge { .. })
    ));
}

#[test]
fn a_future_type_in_the_table_and_its_value_are_skipped() {
    // Type 3: opcode -25 with a 2-byte description; its value: 3 bytes of data, 0 references.
    let mut future = sleb(-25);
    future.extend([2, 0xde, 0xad]);
    let value = vec![3, 0, 1, 2, 3];
    let r = decode(&handmade(&[future], &[("later", 3, value)], leb(9))).unwrap();
    assert_eq!(r.cycles, 9);
}

#[test]
fn malformed_type_tables_are_refused() {
    let table_error = |bytes: &[u8]| match decode(bytes) {
        Err(DecodeError::BadTypeTable { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    // Field ids out of order.
    let mut unsorted = b"DIDL".to_vec();
    unsorted.extend(sleb(1).iter().chain(&sleb(RECORD)).chain(&leb(2)));
    unsorted.extend(
        leb(5)
            .iter()
            .chain(&sleb(NAT))
            .chain(&leb(4))
            .chain(&sleb(NAT)),
    );
    assert_eq!(table_error(&unsorted), "field ids not in increasing order");
    // A reference past the end of the table.
    let mut dangling = b"DIDL".to_vec();
    dangling.extend(sleb(1).iter().chain(&sleb(OPT)).chain(&sleb(1)));
    assert_eq!(
        table_error(&dangling),
        "type reference is neither a primitive type nor a table index"
    );
    // A primitive type as a table entry.
    let mut primitive = b"DIDL".to_vec();
    primitive.extend(sleb(1).iter().chain(&sleb(NAT)));
    assert_eq!(
        table_error(&primitive),
        "a type table entry must be a composite type"
    );
    // An unknown primitive code (-20 is record, valid only in the table) as a field type.
    let mut reserved_code = b"DIDL".to_vec();
    reserved_code.extend(sleb(1).iter().chain(&sleb(RECORD)).chain(&leb(1)));
    reserved_code.extend(leb(0).iter().chain(&sleb(-20)));
    assert_eq!(
        table_error(&reserved_code),
        "type reference is neither a primitive type nor a table index"
    );
    assert_eq!(decode(b"DIDX\x00\x00"), Err(DecodeError::BadMagic));
    assert_eq!(decode(b"DIDL\x00\x00"), Err(DecodeError::NotARecord));
    assert_eq!(
        decode(b"DIDL\x00\x01\x7d\x05"),
        Err(DecodeError::NotARecord)
    );
}

#[test]
fn malformed_values_are_refused() {
    let bad_value = |extra_table: &[Vec<u8>], ty: i64, value: Vec<u8>| match decode(&handmade(
        extra_table,
        &[("junk", ty, value)],
        leb(1),
    )) {
        Err(DecodeError::BadValue { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(bad_value(&[], BOOL, vec![2]), "bool is neither 0 nor 1");
    assert_eq!(
        bad_value(&[], PRINCIPAL, vec![0]),
        "opaque or malformed reference"
    );
    assert_eq!(
        bad_value(&[], PRINCIPAL, vec![1, 30]),
        "principal longer than 29 bytes"
    );
    assert_eq!(bad_value(&[], EMPTY, vec![]), "a value of type empty");
    let opt_nat: Vec<u8> = sleb(OPT).into_iter().chain(sleb(NAT)).collect();
    assert_eq!(
        bad_value(&[opt_nat], 3, vec![2]),
        "opt flag is neither 0 nor 1"
    );
    let one_tag: Vec<u8> = sleb(VARIANT)
        .into_iter()
        .chain(leb(1))
        .chain(leb(0))
        .chain(sleb(NULL))
        .collect();
    assert_eq!(bad_value(&[one_tag], 3, leb(1)), "variant tag out of range");
    // The status variant's tag out of range.
    assert!(matches!(
        decode(&handmade_with_status(3, &[], &[], leb(1))),
        Err(DecodeError::BadValue {
            reason: "variant tag out of range",
            ..
        })
    ));
    let stopped = decode(&handmade_with_status(
        status_tag("stopped"),
        &[],
        &[],
        leb(1),
    ))
    .unwrap();
    assert_eq!(stopped.status, RunStatus::Stopped);
}

#[test]
fn endless_nesting_and_huge_vectors_of_nothing_are_refused() {
    // Type 3 = opt 3: a chain of `opt` flags deeper than any honest reply.
    let self_opt: Vec<u8> = sleb(OPT).into_iter().chain(sleb(3)).collect();
    let bytes = handmade(&[self_opt], &[("deep", 3, vec![1; 100])], leb(1));
    assert_eq!(decode(&bytes), Err(DecodeError::TooComplex));
    // Type 3 = vec null with 2^60 elements: nothing to read, but too many to walk.
    let vec_null: Vec<u8> = sleb(VEC).into_iter().chain(sleb(NULL)).collect();
    let bytes = handmade(&[vec_null], &[("many", 3, leb(1 << 60))], leb(1));
    assert_eq!(decode(&bytes), Err(DecodeError::TooComplex));
}

#[test]
fn errors_say_what_was_wrong() {
    assert_eq!(
        DecodeError::MissingField { field: "cycles" }.to_string(),
        "field `cycles` is missing"
    );
    assert!(DecodeError::UnknownStatus { tag: 7 }
        .to_string()
        .contains("expected running, stopping or stopped"));
}

// ---- properties ----

fn any_nat() -> impl Strategy<Value = Nat> {
    prop_oneof![
        any::<u64>().prop_map(Nat::from),
        any::<u128>().prop_map(Nat::from),
        (any::<u128>(), any::<u128>())
            .prop_map(|(a, b)| Nat::from(a) * Nat::from(b) + Nat::from(b)),
    ]
}

fn any_principal() -> impl Strategy<Value = Principal> {
    prop::collection::vec(any::<u8>(), 0..=29).prop_map(|b| Principal::from_slice(&b))
}

fn any_status() -> impl Strategy<Value = CanisterStatusType> {
    prop_oneof![
        Just(CanisterStatusType::Running),
        Just(CanisterStatusType::Stopping),
        Just(CanisterStatusType::Stopped),
    ]
}

fn any_log_visibility() -> impl Strategy<Value = LogVisibility> {
    prop_oneof![
        Just(LogVisibility::Controllers),
        Just(LogVisibility::Public),
        prop::collection::vec(any_principal(), 0..3).prop_map(LogVisibility::AllowedViewers),
    ]
}

fn any_snapshot_visibility() -> impl Strategy<Value = SnapshotVisibility> {
    prop_oneof![
        Just(SnapshotVisibility::Controllers),
        Just(SnapshotVisibility::Public),
        prop::collection::vec(any_principal(), 0..3).prop_map(SnapshotVisibility::AllowedViewers),
    ]
}

fn any_settings() -> impl Strategy<Value = DefiniteCanisterSettings> {
    (
        prop::collection::vec(any_principal(), 0..4),
        [
            any_nat(),
            any_nat(),
            any_nat(),
            any_nat(),
            any_nat(),
            any_nat(),
            any_nat(),
            any_nat(),
        ],
        any_log_visibility(),
        any_snapshot_visibility(),
        prop::collection::vec(
            (".{0,8}", ".{0,8}").prop_map(|(name, value)| EnvironmentVariable { name, value }),
            0..3,
        ),
    )
        .prop_map(|(controllers, [a, b, c, d, e, f, g, h], log, snap, env)| {
            DefiniteCanisterSettings {
                controllers,
                compute_allocation: a,
                memory_allocation: b,
                freezing_threshold: c,
                reserved_cycles_limit: d,
                log_visibility: log,
                log_memory_limit: e,
                snapshot_visibility: snap,
                status_visibility: StatusVisibility::Public,
                minimum_incoming_canister_call_cycles: h,
                wasm_memory_limit: f,
                wasm_memory_threshold: g,
                environment_variables: env,
            }
        })
}

fn any_reply() -> impl Strategy<Value = CanisterStatusResult> {
    (
        any_status(),
        any::<bool>(),
        any::<u64>(),
        any_settings(),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        prop::collection::vec(any_nat(), 9),
        [any_nat(), any_nat(), any_nat(), any_nat()],
        prop::collection::vec(any_nat(), 4),
    )
        .prop_map(
            |(
                status,
                ready,
                version,
                settings,
                module_hash,
                m,
                [size, cycles, reserved, idle],
                q,
            )| {
                CanisterStatusResult {
                    status,
                    ready_for_migration: ready,
                    version,
                    settings,
                    module_hash,
                    memory_size: size,
                    memory_metrics: FullMemoryMetrics {
                        wasm_memory_size: m[0].clone(),
                        stable_memory_size: m[1].clone(),
                        global_memory_size: m[2].clone(),
                        wasm_binary_size: m[3].clone(),
                        custom_sections_size: m[4].clone(),
                        canister_history_size: m[5].clone(),
                        wasm_chunk_store_size: m[6].clone(),
                        snapshots_size: m[7].clone(),
                        log_memory_store_size: m[8].clone(),
                    },
                    cycles,
                    reserved_cycles: reserved,
                    idle_cycles_burned_per_day: idle,
                    query_stats: QueryStats {
                        num_calls_total: q[0].clone(),
                        num_instructions_total: q[1].clone(),
                        request_payload_bytes_total: q[2].clone(),
                        response_payload_bytes_total: q[3].clone(),
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For any reply the management canister can send, the reader agrees with Candid's decoder.
    #[test]
    fn agrees_with_candid_on_any_reply(reply in any_reply()) {
        let bytes = candid::encode_one(&reply).unwrap();
        let by_candid: CanisterStatusResult = candid::decode_one(&bytes).unwrap();
        prop_assert_eq!(decode(&bytes).unwrap(), expected(&by_candid));
    }

    /// Corrupting bytes of a reply never panics; whenever Candid still decodes it, the reader
    /// agrees.
    #[test]
    fn corrupted_replies_are_refused_or_read_as_candid_reads_them(
        reply in any_reply(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = candid::encode_one(&reply).unwrap();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let ours = decode(&bytes);
        if let Ok(by_candid) = candid::decode_one::<CanisterStatusResult>(&bytes) {
            prop_assert_eq!(ours, Ok(expected(&by_candid)));
        }
    }

    /// Arbitrary bytes after the magic never panic.
    #[test]
    fn garbage_never_panics(tail in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut bytes = b"DIDL".to_vec();
        bytes.extend(tail);
        let _ = decode(&bytes);
    }
}
