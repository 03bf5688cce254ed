//! What a status sample, or a failed status call, leads to: the events to raise, the top-up to
//! make and when to poll next. A function of the registration, its watch state, the sample and
//! the configuration; the monitor assigns the events' ids and stores the result.

use crate::api::{
    Config, ErrorEvent, ErrorSource, EventOrigin, HookEvent, LowCyclesEvent, LowMemoryEvent,
    Registration, NS,
};
use crate::policy::call_error::CallError;
use crate::policy::scheduler;
use crate::policy::topup::{self, TopUp};
use crate::policy::triggers::{level_flag, level_high, level_low, Firing, Level};
use crate::state::watch::{TriggerId, WatchState};
use crate::status_reply::sample::{RunStatus, Sample, DAY_SECONDS};
use candid::Principal;
use canister_hooks_types::backoff::{mix, Backoff};

/// Consecutive transient status failures tolerated before raising an error event.
pub const TRANSIENT_FAILURES_BEFORE_EVENT: u32 = 3;

/// What a sample leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleDecision {
    /// Events to raise, their ids still 0 (the monitor assigns them, in this order).
    pub events: Vec<HookEvent>,
    /// Cycles to deposit now, per the top-up policy.
    pub top_up: Option<u128>,
    /// Seconds until the next poll.
    pub next_poll_delay_s: u64,
}

/// What a failed status call leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureDecision {
    /// A `status_unreadable` error event to raise, its id still 0.
    pub event: Option<HookEvent>,
    /// Seconds until the next poll.
    pub next_poll_delay_s: u64,
}

/// `event` with its id set to `id`.
pub fn with_id(mut event: HookEvent, id: u64) -> HookEvent {
    match &mut event {
        HookEvent::LowCycles(e) => e.id = id,
        HookEvent::LowMemory(e) => e.id = id,
        HookEvent::Error(e) => e.id = id,
    }
    event
}

/// Decides what `sample` of `reg`'s canister leads to, updating its watch state `w` (estimate,
/// triggers, last sample, failure streak). `monitor` (the monitor's id) is the events' origin.
pub fn evaluate(
    reg: &Registration,
    w: &mut WatchState,
    sample: Sample,
    now_ns: u64,
    config: &Config,
    own_balance: u128,
    monitor: Principal,
) -> SampleDecision {
    let monitor = EventOrigin::Monitor(monitor);
    let est = w.estimate.update(w.last_sample.as_ref(), &sample);
    w.estimate = est;
    w.polls += 1;
    w.consecutive_failures = 0;
    w.last_failure.clear();
    let now_s = now_ns / NS;
    let (hyst, reminder) = (reg.hysteresis_percent, reg.reminder_interval_seconds);
    w.trigger(TriggerId::StatusUnreadable)
        .observe(Level::Recovered, now_s, None);

    let mut events = vec![];
    let mut cycles_low = false;
    if let Some(threshold) = reg.cycles_threshold {
        let level = level_low(sample.cycles, threshold, hyst);
        cycles_low = level == Level::Crossed;
        if w.trigger(TriggerId::Cycles)
            .observe(level, now_s, reminder)
            .is_some()
        {
            events.push(HookEvent::LowCycles(LowCyclesEvent {
                id: 0,
                origin: monitor.clone(),
                balance: sample.cycles,
                threshold,
                burn_rate_per_day: (est.cycles_burn * DAY_SECONDS as f64) as u128,
                seconds_to_freeze: est.seconds_until_cycles(sample.cycles, sample.freezing_reserve),
                observed_at_ns: sample.at_ns,
            }));
        }
    }
    for (metric, threshold) in reg.memory.iter() {
        let Some(value) = sample.metric(metric) else {
            continue;
        };
        let level = level_high(value, threshold, hyst);
        if w.trigger(TriggerId::Memory(metric))
            .observe(level, now_s, reminder)
            .is_some()
        {
            events.push(HookEvent::LowMemory(LowMemoryEvent {
                id: 0,
                origin: monitor.clone(),
                metric,
                value,
                threshold,
                limit: (sample.wasm_memory_limit > 0).then_some(sample.wasm_memory_limit),
                observed_at_ns: sample.at_ns,
            }));
        }
    }
    for (trigger, faulty) in faults(&sample) {
        if let Some(f) = w
            .trigger(trigger)
            .observe(level_flag(faulty), now_s, reminder)
        {
            events.push(HookEvent::Error(ErrorEvent {
                id: 0,
                origin: monitor.clone(),
                source: ErrorSource::System(trigger.name().into()),
                message: fault_message(trigger, &sample),
                reject_code: None,
                time_ns: sample.at_ns,
                count: if f == Firing::Reminder { 2 } else { 1 },
            }));
        }
    }
    let top_up = match (&reg.top_up, cycles_low) {
        (Some(policy), true) => match topup::decide(
            policy,
            &w.spending,
            now_s / DAY_SECONDS,
            own_balance,
            config.top_up_reserve_cycles,
        ) {
            TopUp::Deposit(amount) => Some(amount),
            TopUp::BudgetExhausted | TopUp::ReserveProtected => None,
        },
        _ => None,
    };
    // Without a previous sample there is no rate yet: look again soon to learn it.
    let next_poll_delay_s = if w.last_sample.is_none() {
        reg.poll.min_interval_seconds
    } else {
        scheduler::next_poll_delay(reg, &sample, &est, config.poll_fraction_percent)
    };
    w.last_sample = Some(sample);
    SampleDecision {
        events,
        top_up,
        next_poll_delay_s,
    }
}

/// The fault triggers and whether `s` shows each fault.
fn faults(s: &Sample) -> [(TriggerId, bool); 3] {
    [
        (
            TriggerId::Frozen,
            s.freezing_reserve > 0 && s.cycles <= s.freezing_reserve,
        ),
        (TriggerId::Stopped, s.status != RunStatus::Running),
        (
            TriggerId::HeapAtLimit,
            s.wasm_memory_limit > 0 && s.heap_bytes.saturating_add(65_536) > s.wasm_memory_limit,
        ),
    ]
}

/// The message of a fault event (only built when the fault fires).
fn fault_message(trigger: TriggerId, s: &Sample) -> String {
    match trigger {
        TriggerId::Frozen => format!(
            "balance {} is at or below the freezing reserve {}: the canister is frozen or about to freeze",
            s.cycles, s.freezing_reserve
        ),
        TriggerId::Stopped => format!("the canister is {} (not running)", s.status.name()),
        _ => format!(
            "heap {} bytes is at its wasm_memory_limit {}",
            s.heap_bytes, s.wasm_memory_limit
        ),
    }
}

/// Decides what a failed status call of `reg`'s canister leads to, updating its watch state:
/// the polling backs off and, once the failure is clearly not transient, a `status_unreadable`
/// error event is raised (never while `access_lost`: that fault has its own event).
pub fn evaluate_failure(
    reg: &Registration,
    w: &mut WatchState,
    err: &CallError,
    now_ns: u64,
    config: &Config,
    monitor: Principal,
    access_lost: bool,
) -> FailureDecision {
    w.consecutive_failures = w.consecutive_failures.saturating_add(1);
    w.last_failure = err.describe();
    let failures = w.consecutive_failures;
    let raise = !access_lost && (!err.transient || failures >= TRANSIENT_FAILURES_BEFORE_EVENT);
    let fired = raise
        && w.trigger(TriggerId::StatusUnreadable)
            .observe(Level::Crossed, now_ns / NS, reg.reminder_interval_seconds)
            .is_some();
    let backoff = Backoff::doubling_seconds(
        config
            .backoff_base_seconds
            .max(reg.poll.min_interval_seconds),
        reg.poll.max_interval_seconds,
    );
    let next_poll_delay_s = scheduler::clamp(
        reg.poll,
        backoff.jittered_seconds(failures, mix(now_ns) ^ w.polls),
    );
    let event = fired.then(|| {
        HookEvent::Error(ErrorEvent {
            id: 0,
            origin: EventOrigin::Monitor(monitor),
            source: ErrorSource::System(TriggerId::StatusUnreadable.name().into()),
            message: format!(
                "canister_status failed ({failures} in a row): {}; {}",
                err.describe(),
                err.status_fix(&monitor.to_text())
            ),
            reject_code: err.reject_code,
            time_ns: now_ns,
            count: failures as u64,
        })
    });
    FailureDecision {
        event,
        next_poll_delay_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TopUpPolicy;
    use crate::policy::validation::tests::{args, canister};
    use crate::policy::validation::{validate, Context};
    use crate::status_reply::sample::tests::sample;

    const T: u128 = 1_000_000_000_000;

    fn registration(cycles_threshold: u128) -> Registration {
        let mut a = args(1);
        a.cycles_threshold = Some(cycles_threshold);
        a.top_up = Some(TopUpPolicy {
            amount: T,
            daily_budget: 2 * T,
        });
        let context = Context {
            monitor_id: canister(999),
            config: &Config::default(),
            now_ns: 0,
            self_registered: false,
        };
        validate(&a, &context).unwrap()
    }

    #[test]
    fn a_low_sample_raises_one_event_and_a_top_up_then_nothing_while_still_low() {
        let reg = registration(5 * T);
        let mut w = WatchState::default();
        let config = Config::default();
        let monitor = canister(999);
        let first = evaluate(
            &reg,
            &mut w,
            sample(100, 4 * T, 0),
            100 * NS,
            &config,
            100 * T,
            monitor,
        );
        assert!(matches!(
            first.events.as_slice(),
            [HookEvent::LowCycles(LowCyclesEvent { id: 0, balance, threshold, .. })]
                if *balance == 4 * T && *threshold == 5 * T
        ));
        assert_eq!(first.top_up, Some(T));
        assert_eq!(
            first.next_poll_delay_s, reg.poll.min_interval_seconds,
            "no rate yet"
        );
        assert_eq!(w.polls, 1);

        let second = evaluate(
            &reg,
            &mut w,
            sample(200, 4 * T - 1, 0),
            200 * NS,
            &config,
            100 * T,
            monitor,
        );
        assert!(
            second.events.is_empty(),
            "the trigger fired once and waits to re-arm"
        );
        assert_eq!(second.top_up, Some(T), "still low: the budget decides");
    }

    #[test]
    fn a_failed_status_call_backs_off_and_raises_one_event_once_not_transient() {
        let reg = registration(5 * T);
        let mut w = WatchState::default();
        let config = Config::default();
        let transient = CallError::rejected(2, "busy");
        let first = evaluate_failure(&reg, &mut w, &transient, NS, &config, canister(999), false);
        assert_eq!(first.event, None, "a transient failure waits for a streak");
        assert!(first.next_poll_delay_s >= reg.poll.min_interval_seconds);
        let refused = CallError::rejected(4, "not a controller");
        let second = evaluate_failure(
            &reg,
            &mut w,
            &refused,
            2 * NS,
            &config,
            canister(999),
            false,
        );
        let Some(HookEvent::Error(e)) = second.event else {
            panic!("{second:?}")
        };
        assert_eq!(e.count, 2);
        assert_eq!(e.reject_code, Some(4));
        assert_eq!(w.consecutive_failures, 2);
        let third = evaluate_failure(
            &reg,
            &mut w,
            &refused,
            3 * NS,
            &config,
            canister(999),
            false,
        );
        assert_eq!(third.event, None, "raised once until a sample recovers it");
    }
}
