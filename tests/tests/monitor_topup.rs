//! Top-ups: a target that keeps running low is topped up by its policy's amount, never beyond its
//! daily budget (a new day allows more), and never out of the monitor's reserve.

use candid::Principal;
use canister_hooks_testkit::monitor::{
    AdminError, Config, ConfigUpdate, EventKind, RegisterArgs, TopUpPolicy, NS,
};
use integration_tests::fleet::{fast_config, Fleet, T};
use std::time::Duration;

const THRESHOLD: u128 = 4 * T;
const DAY_SECONDS: u64 = 86_400;

fn register_with_top_up(fleet: &Fleet, load: Principal, policy: TopUpPolicy) {
    fleet.set_balance(load, THRESHOLD + T);
    fleet.register(RegisterArgs {
        cycles_threshold: Some(THRESHOLD),
        top_up: Some(policy),
        ..Fleet::register_args(load)
    });
}

fn seconds_into_day(fleet: &Fleet) -> u64 {
    fleet.now_ns() / NS % DAY_SECONDS
}

/// Brings `load` down to 3 T, has the monitor poll it, and runs a few seconds for the top-up,
/// calling `check` after every step; returns the cycles deposited meanwhile.
fn run_low(fleet: &Fleet, load: Principal, check: impl Fn()) -> u128 {
    fleet.set_balance(load, 3 * T);
    deposited_during(fleet, load, || {
        fleet.poll_now(load);
        for _ in 0..3 {
            check();
            fleet.step(2);
        }
        check();
    })
}

/// Cycles deposited into `load` while `run` runs, measured on the target: its balance gain.
fn deposited_during(fleet: &Fleet, load: Principal, run: impl FnOnce()) -> u128 {
    let before = fleet.pic.cycle_balance(load);
    run();
    fleet.pic.cycle_balance(load).saturating_sub(before)
}

/// Within `tolerance` of each other.
fn close(a: u128, b: u128, tolerance: u128) -> bool {
    a.abs_diff(b) <= tolerance
}

#[test]
fn top_ups_stay_within_the_daily_budget_and_a_new_day_allows_more() {
    let fleet = Fleet::new(fast_config());
    // The budget is per calendar day (UTC): start early in one, wherever the clock starts.
    if seconds_into_day(&fleet) > DAY_SECONDS / 2 {
        let to_midnight = DAY_SECONDS - seconds_into_day(&fleet);
        fleet
            .pic
            .advance_time(Duration::from_secs(to_midnight + 60));
    }
    let load = fleet.add_load();
    let policy = TopUpPolicy {
        amount: T,
        daily_budget: 5 * T / 2,
    };
    register_with_top_up(&fleet, load, policy);
    let reserve = fleet
        .watcher()
        .query::<_, Config>("get_config", ())
        .unwrap()
        .top_up_reserve_cycles;
    let monitor_start = fleet.pic.cycle_balance(fleet.monitor);

    // Run low five times; each time the monitor tops up while the budget lasts.
    let mut deposited = 0;
    for _ in 0..5 {
        deposited += run_low(&fleet, load, || {
            let state = fleet.canister_state(load);
            assert!(state.topped_up_today <= policy.daily_budget, "{state:?}");
            assert!(fleet.pic.cycle_balance(fleet.monitor) >= reserve);
        });
    }
    let state = fleet.canister_state(load);
    assert_eq!(state.topped_up_today, policy.daily_budget);
    assert_eq!(state.topped_up_total, policy.daily_budget);
    let stats = fleet.stats();
    assert_eq!(
        (stats.top_ups, stats.top_up_cycles),
        (3, policy.daily_budget),
        "1 T, 1 T, then the half left of the budget"
    );
    assert!(
        close(deposited, policy.daily_budget, T / 100),
        "the target gained {deposited}"
    );
    assert!(monitor_start - fleet.pic.cycle_balance(fleet.monitor) >= policy.daily_budget);
    assert!(
        fleet.pic.cycle_balance(load) < THRESHOLD,
        "still low, but the budget is spent"
    );
    let day = fleet.now_ns() / NS / DAY_SECONDS;

    // The next day the budget is fresh: one top-up lifts the target out of the low range.
    fleet.set_balance(load, THRESHOLD - T / 2);
    fleet.run_for(10, 5);
    assert_eq!(
        fleet.canister_state(load).topped_up_today,
        policy.daily_budget
    );
    let to_midnight = DAY_SECONDS - seconds_into_day(&fleet);
    fleet.pic.advance_time(Duration::from_secs(to_midnight));
    let gained = deposited_during(&fleet, load, || fleet.run_for(120, 5));
    assert_eq!(fleet.now_ns() / NS / DAY_SECONDS, day + 1);
    let state = fleet.canister_state(load);
    assert_eq!(
        state.topped_up_today, T,
        "one top-up, then the balance is above the threshold"
    );
    assert_eq!(state.topped_up_total, policy.daily_budget + T);
    assert!(close(gained, T, T / 100), "the target gained {gained}");
}

#[test]
fn top_ups_never_spend_the_monitor_reserve() {
    let fleet = Fleet::new(fast_config());
    let load = fleet.add_load();
    register_with_top_up(
        &fleet,
        load,
        TopUpPolicy {
            amount: T,
            daily_budget: 100 * T,
        },
    );
    // Leave 1.5 T above the reserve.
    let reserve = fleet.pic.cycle_balance(fleet.monitor) - 3 * T / 2;
    let set: Result<Config, AdminError> = fleet.update(
        fleet.monitor,
        "set_config",
        (ConfigUpdate {
            top_up_reserve_cycles: Some(reserve),
            ..Default::default()
        },),
    );
    set.unwrap();

    for _ in 0..4 {
        run_low(&fleet, load, || {
            assert!(
                fleet.pic.cycle_balance(fleet.monitor) >= reserve,
                "the monitor spent into its reserve"
            );
        });
    }
    let state = fleet.canister_state(load);
    assert!(
        state.topped_up_total > T && state.topped_up_total <= 3 * T / 2,
        "topped up only what lay above the reserve: {}",
        state.topped_up_total
    );
    let stats = fleet.stats();
    assert_eq!(
        stats.top_ups, 2,
        "1 T, then the rest above the reserve: {stats:?}"
    );
    // Still low, budget left, but nothing more to give.
    let gained = run_low(&fleet, load, || {});
    assert_eq!((gained, fleet.stats().top_ups), (0, 2));
    assert!(fleet.canister_state(load).topped_up_today < 100 * T);
    assert!(fleet.pic.cycle_balance(fleet.monitor) >= reserve);
    assert!(
        !fleet.events_of(load, EventKind::LowCycles).is_empty(),
        "the target is still told it is low"
    );
}
