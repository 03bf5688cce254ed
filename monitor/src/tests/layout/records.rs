//! Golden bytes of every record the monitor keeps in stable memory: the per-canister record
//! (registration and watch state), the counters, config and read settings cells, the admins and
//! canister index keys, the outbox entries and due keys, dead letters, event-log entries, the slots header and
//! the memory manager's header (which memory id holds which structure).

use std::borrow::Cow;
use std::fmt::Debug;

use candid::Principal;
use ic_stable_structures::{Memory, Storable, VectorMemory};

use super::pinned;
use crate::api::*;
use crate::monitor::Monitor;
use crate::policy::estimate::Estimate;
use crate::policy::scheduler::PollWindow;
use crate::policy::topup::Spending;
use crate::policy::validation::tests::canister;
use crate::state::counters::Counters;
use crate::state::identities::RecordedIdentity;
use crate::state::outbox::OutboxEntry;
use crate::state::read_settings::StoredReadSettings;
use crate::state::slots::{Slots, IN_USE};
use crate::state::store::{CanisterRecord, EXTENSION_AT, RECORD_BYTES};
use crate::state::stored::Stored;
use crate::state::watch::WatchState;
use crate::state::watch_extension::{WatchExtension, EXTENSION_BYTES};
use crate::status_reply::sample::{RunStatus, Sample};

/// Checks that `encode` turns `value` into the checked-in bytes of `name` and that `decode`
/// turns them back into `value`.
fn assert_pinned<T: PartialEq + Debug>(
    name: &str,
    value: &T,
    encode: impl Fn(&T) -> Vec<u8>,
    decode: impl Fn(&[u8]) -> T,
) {
    let golden = pinned(&format!("{name}.golden"), || encode(value));
    let first_difference = encode(value).iter().zip(&golden).position(|(a, b)| a != b);
    assert_eq!(
        encode(value),
        golden,
        "{name}: the encoding changed (first at byte {first_difference:?}), so an upgraded \
         monitor would misread what it stored"
    );
    assert_eq!(
        &decode(&golden),
        value,
        "{name}: the pinned bytes no longer decode to the same value"
    );
}

/// [`assert_pinned`] for a value a stable structure stores through [`Storable`].
pub(super) fn assert_storable_pinned<T: Storable + PartialEq + Debug>(name: &str, value: T) {
    assert_pinned(
        name,
        &value,
        |v| v.to_bytes().into_owned(),
        |b| T::from_bytes(Cow::Borrowed(b)),
    );
}

pub(super) const T0_S: u64 = 1_700_000_000;

fn monitor_id() -> Principal {
    Principal::from_slice(&[0xab; 29])
}

fn admin() -> Principal {
    Principal::self_authenticating([3u8; 32])
}

/// A registration with every optional field set and every flag on.
fn full_registration() -> Registration {
    Registration {
        canister_id: canister(7),
        label: "payments-é".into(),
        cycles_threshold: Some(2_000_000_000_000),
        memory: MemoryThresholds {
            heap_bytes: Some(1 << 30),
            stable_bytes: Some(4 << 30),
            total_bytes: Some(6 << 30),
            heap_percent_of_limit: Some(90),
        },
        hooks: Hooks {
            on_low_cycles: true,
            on_low_memory: true,
            on_error: true,
        },
        poll: PollBounds {
            min_interval_seconds: 60,
            max_interval_seconds: 3_600,
        },
        reminder_interval_seconds: Some(21_600),
        hysteresis_percent: 15,
        top_up: Some(TopUpPolicy {
            amount: 500_000_000_000,
            daily_budget: 2_000_000_000_000,
        }),
        self_registered: true,
        registered_at_ns: T0_S * NS,
        updated_at_ns: (T0_S + 86_400) * NS,
    }
}

/// A registration with every optional field unset.
fn bare_registration() -> Registration {
    Registration {
        canister_id: canister(8),
        label: String::new(),
        cycles_threshold: None,
        memory: MemoryThresholds::default(),
        hooks: Hooks {
            on_low_cycles: false,
            on_low_memory: false,
            on_error: true,
        },
        poll: PollBounds {
            min_interval_seconds: 10,
            max_interval_seconds: 86_400,
        },
        reminder_interval_seconds: None,
        hysteresis_percent: 0,
        top_up: None,
        self_registered: false,
        registered_at_ns: T0_S * NS,
        updated_at_ns: T0_S * NS,
    }
}

/// A watch state with a sample, an estimate, fired and armed triggers, failures and spending.
fn full_watch() -> WatchState {
    let mut w = WatchState {
        last_sample: Some(Sample {
            at_ns: (T0_S + 30) * NS,
            cycles: 1_400_000_000_000,
            heap_bytes: 2 << 30,
            stable_bytes: 5 << 30,
            total_bytes: 7 << 30,
            wasm_memory_limit: 3 << 30,
            freezing_reserve: 80_000_000_000,
            idle_burn_per_day: 1_000_000_000,
            status: RunStatus::Stopping,
        }),
        estimate: Estimate {
            cycles_burn: -1.5,
            heap_growth: 1_024.0,
            stable_growth: 0.25,
            total_growth: 2_048.5,
        },
        next_poll: PollWindow {
            earliest_ns: (T0_S + 90) * NS,
            due_ns: (T0_S + 600) * NS,
        },
        polls: 42,
        consecutive_failures: 2,
        last_failure: "status call timed out".into(),
        spending: Spending {
            day: T0_S / 86_400,
            spent: 500_000_000_000,
            total: 1_500_000_000_000,
        },
        missing_hooks: EventKind::LowMemory.bit(),
        ..Default::default()
    };
    for (i, t) in w.triggers.iter_mut().enumerate() {
        t.fired = i % 3 == 0;
        t.last_fired_s = if i % 2 == 0 { T0_S + i as u64 } else { 0 };
    }
    w
}

#[test]
fn canister_records_are_pinned() {
    let full = CanisterRecord {
        registration: full_registration(),
        watch: full_watch(),
        extension: WatchExtension::default(),
    };
    let mut bare = CanisterRecord::new(bare_registration());
    bare.watch.next_poll = PollWindow::at(T0_S * NS);
    // Written before the watch extension existed (zeros in its area): they still read, with
    // nothing recorded for watching.
    for (name, record) in [
        ("canister_record_full", &full),
        ("canister_record_bare", &bare),
    ] {
        let golden = pinned(&format!("{name}.golden"), || {
            let mut bytes = record.encode();
            bytes[EXTENSION_AT..EXTENSION_AT + EXTENSION_BYTES].fill(0);
            bytes
        });
        assert_eq!(
            &CanisterRecord::decode(&golden),
            record,
            "{name}: a record written before the watch extension no longer reads"
        );
    }
    let watching = CanisterRecord {
        extension: WatchExtension {
            access: WatchAccess::StatusViewer,
            recorded: true,
            module_digest: 0x0123_4567_89ab_cdef,
            controllers_digest: 0xfedc_ba98_7654_3210,
            minimum_incoming_call_cycles: 1_000_000,
            reserved_cycles: 5_000_000_000,
            hook_cycles_total: 3_000_000,
        },
        ..full
    };
    assert_pinned(
        "canister_record_with_watch_extension",
        &watching,
        CanisterRecord::encode,
        CanisterRecord::decode,
    );
}

#[test]
fn recorded_identities_and_expected_changes_are_pinned() {
    assert_storable_pinned(
        "recorded_identity",
        Stored(RecordedIdentity {
            module_hash: Some(serde_bytes::ByteBuf::from(vec![0xab; 32])),
            controllers: vec![monitor_id(), admin()],
        }),
    );
    assert_storable_pinned(
        "expected_change",
        Stored(ExpectedChange {
            module_hash: Some(serde_bytes::ByteBuf::from(vec![0xcd; 32])),
            controllers: Some(vec![admin()]),
            any_module: false,
            until_ns: T0_S * NS,
        }),
    );
}

#[test]
fn run_status_codes_are_pinned() {
    let statuses = [RunStatus::Running, RunStatus::Stopping, RunStatus::Stopped];
    assert_pinned(
        "run_status_codes",
        &statuses.to_vec(),
        |s| s.iter().map(|s| s.code()).collect(),
        |b| b.iter().map(|c| RunStatus::from_code(*c)).collect(),
    );
}

#[test]
fn counters_cell_is_pinned() {
    assert_storable_pinned(
        "counters",
        Counters {
            next_event_id: 1_234,
            stats: Stats {
                polls: 10_000,
                poll_failures: 12,
                events: 1_234,
                deliveries: 1_100,
                delivery_failures: 40,
                dead_lettered: 7,
                redriven: 3,
                top_ups: 5,
                top_up_cycles: 30_000_000_000_000,
                errors_reported: 900,
                ..Default::default()
            },
        },
    );
}

/// A configuration with every field away from its default.
fn config(max_concurrent_backups: Option<u32>) -> Config {
    Config {
        max_registrations: 500,
        allow_self_registration: true,
        max_concurrent_status_calls: 20,
        max_concurrent_deliveries: 8,
        call_timeout_seconds: 30,
        min_interval_floor_seconds: 20,
        default_poll: PollBounds {
            min_interval_seconds: 120,
            max_interval_seconds: 7_200,
        },
        poll_fraction_percent: 30,
        default_hysteresis_percent: 12,
        delivery_max_attempts: 4,
        delivery_max_age_seconds: 3_600,
        backoff_base_seconds: 2,
        backoff_max_seconds: 120,
        event_log_capacity: 2_000,
        top_up_reserve_cycles: 10_000_000_000_000,
        max_concurrent_backups,
    }
}

#[test]
fn config_cell_is_pinned() {
    assert_storable_pinned("config_with_backups", Stored(config(Some(7))));
}

/// A configuration stored before backups existed reads with the default backup concurrency.
#[test]
fn a_config_written_before_backups_still_reads() {
    let written = pinned("config.golden", || {
        unreachable!("a configuration of an earlier layout")
    });
    let read = Stored::<Config>::from_bytes(Cow::Owned(written));
    assert_eq!(read.0, config(None));
    assert_eq!(read.0.backup_concurrency(), 10);
}

#[test]
fn read_settings_cell_is_pinned() {
    assert_storable_pinned(
        "read_settings",
        StoredReadSettings {
            read_policy: ReadPolicy::Restricted {
                viewers: vec![admin(), canister(7)],
            },
            http_pages: HttpPages::MetricsWithToken,
            metrics_token_sha256: Some(serde_bytes::ByteBuf::from(vec![0x5a; 32])),
            metrics_token_rotated_at_ns: Some(T0_S * NS),
        },
    );
    assert_storable_pinned("read_settings_default", StoredReadSettings::default());
}

#[test]
fn admin_and_canister_index_keys_are_pinned() {
    assert_storable_pinned("admin_key", admin());
    assert_storable_pinned("canister_index_key", canister(7));
    assert_storable_pinned("canister_index_value", 3u32);
}

/// One event of each kind, every optional field set.
fn events() -> [(&'static str, HookEvent); 3] {
    [
        (
            "low_cycles",
            HookEvent::LowCycles(LowCyclesEvent {
                id: 41,
                origin: EventOrigin::Monitor(monitor_id()),
                balance: 1_400_000_000_000,
                threshold: 2_000_000_000_000,
                burn_rate_per_day: 90_000_000_000,
                seconds_to_freeze: Some(1_300_000),
                observed_at_ns: (T0_S + 30) * NS,
            }),
        ),
        (
            "low_memory",
            HookEvent::LowMemory(LowMemoryEvent {
                id: 42,
                origin: EventOrigin::Monitor(monitor_id()),
                metric: MemoryMetric::HeapPercentOfLimit,
                value: 93,
                threshold: 90,
                limit: Some(3 << 30),
                observed_at_ns: (T0_S + 30) * NS,
            }),
        ),
        (
            "error",
            HookEvent::Error(ErrorEvent {
                id: 43,
                origin: EventOrigin::SelfRaised,
                source: ErrorSource::Timer("process".into()),
                message: "poison job value 1666".into(),
                reject_code: Some(5),
                time_ns: (T0_S + 31) * NS,
                count: 3,
            }),
        ),
    ]
}

#[test]
fn outbox_entries_and_keys_are_pinned() {
    for (kind, event) in events() {
        assert_storable_pinned(
            &format!("outbox_entry_{kind}"),
            OutboxEntry {
                event,
                created_at_ns: (T0_S + 30) * NS,
                attempts: 2,
                next_attempt_ns: (T0_S + 36) * NS,
                last_error: "deadline expired".into(),
            },
        );
    }
    assert_storable_pinned("outbox_key", (canister(7), 42u64));
    assert_storable_pinned("outbox_due_key", ((T0_S + 36) * NS, canister(7)));
}

#[test]
fn dead_letters_are_pinned() {
    let [.., (_, event)] = events();
    assert_storable_pinned(
        "dead_letter",
        Stored(DeadLetter {
            id: 43,
            canister_id: canister(7),
            event,
            attempts: 4,
            created_at_ns: (T0_S + 31) * NS,
            dead_at_ns: (T0_S + 95) * NS,
            reason: "gave up after 4 attempts; last error: trapped".into(),
        }),
    );
}

#[test]
fn event_log_entries_are_pinned() {
    let [low_cycles, low_memory, error] = events();
    let statuses = [
        (low_cycles, DeliveryStatus::Pending),
        (
            low_memory,
            DeliveryStatus::Delivered {
                at_ns: (T0_S + 31) * NS,
                attempts: 2,
            },
        ),
        (
            error.clone(),
            DeliveryStatus::DeadLettered {
                at_ns: (T0_S + 95) * NS,
                reason: "the canister was unregistered before delivery".into(),
            },
        ),
        (
            ("error_not_subscribed", error.1),
            DeliveryStatus::NotSubscribed,
        ),
    ];
    for ((kind, event), delivery) in statuses {
        assert_storable_pinned(
            &format!("event_record_{kind}"),
            Stored(EventRecord {
                id: event.id(),
                canister_id: canister(7),
                created_at_ns: (T0_S + 30) * NS,
                event,
                delivery,
            }),
        );
    }
}

#[test]
fn slots_header_and_free_entries_are_pinned() {
    let memory = VectorMemory::default();
    let mut slots = Slots::init(memory.clone(), RECORD_BYTES as u32);
    for _ in 0..4 {
        let slot = slots.allocate();
        slots.write(slot, &[IN_USE]);
    }
    slots.free(1);
    slots.free(3);
    let last_slot = 32 + 3 * RECORD_BYTES as u64;
    let mut written = [0u8; 32 + 5];
    memory.read(0, &mut written[..32]);
    memory.read(last_slot, &mut written[32..]);
    let golden = pinned("slots_header_and_free_entry.golden", || written.to_vec());
    assert_eq!(
        written.as_slice(),
        golden,
        "the slots header (magic, version, slot size, count, free-list head) or a free slot's \
         link changed"
    );
    // The pinned header and free-list link, read by the current code.
    let reopened = VectorMemory::default();
    reopened.grow(1);
    reopened.write(0, &golden[..32]);
    reopened.write(last_slot, &golden[32..]);
    let mut slots = Slots::init(reopened, RECORD_BYTES as u32);
    assert_eq!(slots.count(), 4);
    assert_eq!(slots.allocate(), 3, "the last freed slot is reused first");
    assert_eq!(slots.allocate(), 1, "then the one it links to");
    assert_eq!(slots.allocate(), 4);
}

#[test]
fn memory_manager_header_is_pinned() {
    let memory = VectorMemory::default();
    Monitor::init(memory.clone(), monitor_id());
    let mut header = vec![0; 65_536];
    memory.read(0, &mut header);
    let used = header.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    header.truncate(used);
    let golden = pinned("memory_manager_header.golden", || header.clone());
    let first_difference = header.iter().zip(&golden).position(|(a, b)| a != b);
    assert!(
        header.len() == golden.len() && first_difference.is_none(),
        "the monitor's memory manager header changed at byte {first_difference:?} (bucket size, \
         the memory ids of the structures or the order they are first written in)"
    );
}
