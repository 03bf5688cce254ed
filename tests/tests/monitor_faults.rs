//! Faulty targets: one whose hook traps, one that never replies, one that is stopped and one that
//! is deleted. Each time a healthy target beside it is still polled on schedule and gets its hook
//! at once, while the faulty target's event is retried, then dead-lettered with a reason that
//! says what happened; a redrive delivers it once the target is healthy again.

use candid::Principal;
use canister_hooks::events::ErrorSource;
use canister_hooks_testkit::monitor::{
    ConfigUpdate, DeadLetter, DeliveryStatus, EventKind, HookEvent, PollBounds, RedriveError,
    RegisterArgs, NS,
};
use integration_tests::fleet::{fast_config, Fleet, HookMode, T, TARGET_CYCLES};

/// Attempts before an event is dead-lettered in these tests.
const MAX_ATTEMPTS: u32 = 3;
/// The healthy target's longest polling interval.
const HEALTHY_MAX_INTERVAL: u64 = 20;
const THRESHOLD: u128 = 4 * T;

/// A monitor with a healthy and a soon-to-be faulty load canister, both above their cycles
/// threshold and watched closely.
struct Pair {
    fleet: Fleet,
    healthy: Principal,
    faulty: Principal,
}

fn pair() -> Pair {
    let fleet = Fleet::new(ConfigUpdate {
        delivery_max_attempts: Some(MAX_ATTEMPTS),
        ..fast_config()
    });
    let healthy = fleet.add_load();
    let faulty = fleet.add_load();
    for load in [healthy, faulty] {
        fleet.set_balance(load, THRESHOLD + T / 2);
        fleet.register(RegisterArgs {
            cycles_threshold: Some(THRESHOLD),
            poll: Some(PollBounds {
                min_interval_seconds: 5,
                max_interval_seconds: HEALTHY_MAX_INTERVAL,
            }),
            ..Fleet::register_args(load)
        });
    }
    fleet.run_for(10, 5);
    Pair {
        fleet,
        healthy,
        faulty,
    }
}

impl Pair {
    /// Burns the healthy target below its threshold, then runs until the faulty target has a
    /// dead letter, checking at every 2 s step that the healthy target's polls are never
    /// overdue. Returns the dead letters.
    fn run_outage(&self) -> Vec<DeadLetter> {
        let f = &self.fleet;
        f.burn(self.healthy, T);
        f.run_until(120, 2, "the faulty target's event dead-lettered", |f| {
            let next = f.canister_state(self.healthy).next_poll_ns;
            assert!(
                next + 2 * NS >= f.now_ns(),
                "the healthy target's poll is overdue by {} s",
                (f.now_ns() - next) / NS
            );
            !f.dead_letters(Some(self.faulty)).is_empty()
        });
        f.dead_letters(Some(self.faulty))
    }

    /// [`Pair::run_outage`], then what every outage must give: the healthy target served (see
    /// [`Pair::assert_healthy_served`]) and the faulty target's events dead-lettered with a reason
    /// containing `reason` (see [`Pair::assert_dead_letters`]). Returns the dead letters.
    fn outage_dead_letters(&self, reason: &str) -> Vec<DeadLetter> {
        let letters = self.run_outage();
        self.assert_healthy_served(&letters);
        self.assert_dead_letters(&letters, reason);
        letters
    }

    /// Checks that the healthy target's low-cycles event was delivered at the first attempt,
    /// within seconds of the poll that saw it and before the faulty target's events gave up.
    fn assert_healthy_served(&self, letters: &[DeadLetter]) {
        let f = &self.fleet;
        let record = f
            .delivered(self.healthy, EventKind::LowCycles)
            .expect("the healthy target got its hook");
        let DeliveryStatus::Delivered { at_ns, attempts } = record.delivery else {
            unreachable!()
        };
        assert_eq!(attempts, 1);
        assert!(
            at_ns - record.created_at_ns <= 5 * NS,
            "delivered {} s after the event",
            (at_ns - record.created_at_ns) / NS
        );
        let first_dead = letters.iter().map(|d| d.dead_at_ns).min().unwrap();
        assert!(
            at_ns < first_dead,
            "the healthy target was served while the faulty one was still retried"
        );
        assert_eq!(f.load_received(self.healthy), vec![record.event]);
        let state = f.canister_state(self.healthy);
        assert_eq!((state.pending_events, state.consecutive_failures), (0, 0));
    }

    /// Checks the dead letters of the faulty target: every attempt made, the reason contains
    /// `reason`, and the event log agrees.
    fn assert_dead_letters(&self, letters: &[DeadLetter], reason: &str) {
        let f = &self.fleet;
        for d in letters {
            assert_eq!(d.canister_id, self.faulty);
            assert_eq!(d.attempts, MAX_ATTEMPTS, "{d:?}");
            assert!(
                d.reason
                    .contains(&format!("gave up after {MAX_ATTEMPTS} attempts"))
                    && d.reason.contains(reason),
                "reason: {}",
                d.reason
            );
            match f.event(d.id).delivery {
                DeliveryStatus::DeadLettered { reason, .. } => assert_eq!(reason, d.reason),
                other => panic!("event {} is {other:?} in the log", d.id),
            }
        }
        assert!(f.stats().delivery_failures >= MAX_ATTEMPTS as u64 * letters.len() as u64);
        assert_eq!(f.canister_state(self.faulty).pending_events, 0);
    }

    /// Redrives every dead letter of the faulty target and runs until they are delivered.
    fn redrive_and_deliver(&self, letters: &[DeadLetter]) {
        let f = &self.fleet;
        let redriven: Result<u64, RedriveError> =
            f.update(f.monitor, "redrive_canister", (self.faulty,));
        assert_eq!(redriven, Ok(letters.len() as u64));
        assert!(f.dead_letters(Some(self.faulty)).is_empty());
        f.run_until(60, 2, "the redriven events delivered", |f| {
            letters
                .iter()
                .all(|d| matches!(f.event(d.id).delivery, DeliveryStatus::Delivered { .. }))
        });
        let received = f.load_received_ids(self.faulty);
        for d in letters {
            let copies = received.iter().filter(|id| **id == d.id).count();
            assert_eq!(copies, 1, "event {} handled once: {received:?}", d.id);
        }
        assert_eq!(f.stats().redriven, letters.len() as u64);
    }
}

#[test]
fn a_target_whose_hook_traps_is_retried_then_dead_lettered_and_redrive_delivers() {
    let p = pair();
    let f = &p.fleet;
    f.set_hook_mode(p.faulty, HookMode::Trap);
    f.burn(p.faulty, T);
    let letters = p.outage_dead_letters("hook told to trap");
    let d = &letters[0];
    assert!(matches!(d.event, HookEvent::LowCycles(_)));
    // The trap message quotes a missing-method reject; it is still a trap, retried to the limit,
    // and the hook is not marked missing.
    assert_eq!(d.attempts, MAX_ATTEMPTS, "{d:?}");
    assert!(f.canister_state(p.faulty).missing_hooks.is_empty());
    assert!(
        d.dead_at_ns - d.created_at_ns >= 3 * NS,
        "the retries waited their backoff (at least 1 s, then 2 s)"
    );
    assert!(
        f.load_received(p.faulty).is_empty(),
        "a trapping handler records nothing"
    );

    f.set_hook_mode(p.faulty, HookMode::Normal);
    p.redrive_and_deliver(&letters);
    assert_eq!(f.load_received(p.faulty), vec![letters[0].event.clone()]);
}

#[test]
fn a_target_that_never_replies_times_out_then_dead_letters_and_redrive_delivers() {
    let p = pair();
    let f = &p.fleet;
    f.set_hook_mode(p.faulty, HookMode::Slow(u32::MAX));
    f.burn(p.faulty, T);
    // The first attempt times out (10 s); the retries find the first still being handled.
    let letters = p.outage_dead_letters("is being handled by an earlier delivery");
    let d = &letters[0];
    assert!(
        d.dead_at_ns - d.created_at_ns >= 10 * NS,
        "the first attempt waited for the call timeout"
    );
    assert_eq!(
        f.load_received_ids(p.faulty),
        vec![d.id],
        "the target got the event but never answered"
    );

    f.set_hook_mode(p.faulty, HookMode::Normal);
    p.redrive_and_deliver(&letters);
}

#[test]
fn a_stopped_target_is_reported_retried_dead_lettered_and_served_after_a_restart() {
    let p = pair();
    let f = &p.fleet;
    f.pic.stop_canister(p.faulty, Some(f.admin)).unwrap();
    let letters = p.outage_dead_letters("is stopped");
    let HookEvent::Error(e) = &letters[0].event else {
        panic!("{:?}", letters[0])
    };
    assert_eq!(e.source, ErrorSource::System("stopped".into()));

    f.pic.start_canister(p.faulty, Some(f.admin)).unwrap();
    p.redrive_and_deliver(&letters);
    f.poll_now(p.faulty);
    assert!(
        f.trigger(p.faulty, "stopped").armed,
        "re-armed once running again"
    );
}

#[test]
fn a_deleted_target_is_reported_retried_and_dead_lettered_without_blocking_others() {
    let p = pair();
    let f = &p.fleet;
    f.pic.stop_canister(p.faulty, Some(f.admin)).unwrap();
    f.pic.delete_canister(p.faulty, Some(f.admin)).unwrap();
    let letters = p.outage_dead_letters("reject 3");
    let HookEvent::Error(e) = &letters[0].event else {
        panic!("{:?}", letters[0])
    };
    assert_eq!(e.source, ErrorSource::System("status_unreadable".into()));
    assert!(e.message.contains("does not exist"), "{}", e.message);
    let state = f.canister_state(p.faulty);
    assert!(state.consecutive_failures >= 1, "{state:?}");
    assert!(
        state.next_poll_ns > f.now_ns(),
        "failing polls are backed off, not repeated at once"
    );

    // A redrive cannot help a canister that no longer exists: the event fails again.
    let redriven: Result<u64, RedriveError> = f.update(f.monitor, "redrive_canister", (p.faulty,));
    assert_eq!(redriven, Ok(1));
    f.run_until(60, 2, "the redriven event dead-lettered again", |f| {
        f.dead_letters(Some(p.faulty))
            .iter()
            .any(|d| d.id == letters[0].id)
    });
    // Unregistering is the fix; then a redrive is refused, naming the canister.
    let r: Result<(), canister_hooks_testkit::monitor::RegistrationError> =
        f.update(f.monitor, "unregister", (p.faulty,));
    r.unwrap();
    let refused: Result<u64, RedriveError> = f.update(f.monitor, "redrive", (letters[0].id,));
    assert_eq!(
        refused,
        Err(RedriveError::NotRegistered {
            canister_id: p.faulty
        })
    );
}

#[test]
fn a_target_without_the_hook_is_dead_lettered_at_once_and_marked_missing() {
    // The probe publishes its interface (`candid:service` metadata) and it has no hooks: the
    // monitor reads that after the failed delivery, so the failure is permanent (no retries).
    let f = Fleet::new(fast_config());
    let probe = f.add_hookless();
    f.register(RegisterArgs {
        cycles_threshold: Some(2 * TARGET_CYCLES),
        ..Fleet::register_args(probe)
    });
    f.run_until(60, 1, "a dead letter for the hookless probe", |f| {
        !f.dead_letters(Some(probe)).is_empty()
    });
    let letters = f.dead_letters(Some(probe));
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].attempts, 1, "{letters:?}");
    assert!(
        letters[0]
            .reason
            .contains("does not export the hook `on_low_cycles`"),
        "{letters:?}"
    );
    // Registration read the interface already: every hook is known to be missing.
    assert_eq!(
        f.canister_state(probe).missing_hooks,
        ["on_low_cycles", "on_low_memory", "on_error"]
    );
}
