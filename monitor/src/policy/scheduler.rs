//! When to poll a canister next: a fraction of the predicted time to its nearest threshold,
//! clamped to the registration's polling bounds.

use crate::api::{MemoryMetric, PollBounds, Registration, NS};
use crate::policy::estimate::{seconds_until_growth, Estimate};
use crate::status_reply::sample::Sample;

/// Longest a poll may start before it is due. A poll may start early when a timer tick runs
/// anyway (the watchdog's every ten minutes, or another canister's due poll), so polls of
/// slowly-changing canisters share ticks instead of each paying for one of its own.
pub const MAX_EARLY_START_SECONDS: u64 = 15 * 60;

/// When a poll may run: from `earliest_ns` (if a tick runs anyway) to `due_ns` (a tick is armed
/// for it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollWindow {
    pub earliest_ns: u64,
    pub due_ns: u64,
}

impl PollWindow {
    /// A poll due at `at_ns`, not to start before.
    pub fn at(at_ns: u64) -> Self {
        Self {
            earliest_ns: at_ns,
            due_ns: at_ns,
        }
    }

    /// A poll due `delay_seconds` after `now_ns`; it may start up to an eighth of the delay early,
    /// at most [`MAX_EARLY_START_SECONDS`].
    pub fn after(now_ns: u64, delay_seconds: u64) -> Self {
        let early = (delay_seconds / 8).min(MAX_EARLY_START_SECONDS);
        Self {
            earliest_ns: now_ns.saturating_add((delay_seconds - early).saturating_mul(NS)),
            due_ns: now_ns.saturating_add(delay_seconds.saturating_mul(NS)),
        }
    }
}

/// Wasm32 heap ceiling, used when a canister has no explicit `wasm_memory_limit`.
const HEAP_CEILING: u64 = 4 << 30;

/// Seconds until the nearest watched limit is reached, if any is approaching.
///
/// Below its cycles threshold the next limit is the freezing reserve; above a memory threshold it
/// is the heap ceiling (the canister's limit, or 4 GiB): the canister stays watched while low.
pub fn seconds_to_nearest_limit(
    reg: &Registration,
    sample: &Sample,
    est: &Estimate,
) -> Option<u64> {
    let mut nearest: Option<u64> = None;
    let mut consider = |t: Option<u64>| {
        if let Some(t) = t {
            nearest = Some(nearest.map_or(t, |n| n.min(t)));
        }
    };
    if let Some(threshold) = reg.cycles_threshold {
        let floor = if sample.cycles > threshold {
            threshold
        } else {
            sample.freezing_reserve
        };
        consider(
            est.seconds_until_cycles(sample.cycles, floor)
                .filter(|t| *t > 0),
        );
    }
    let heap_limit = if sample.wasm_memory_limit > 0 {
        sample.wasm_memory_limit
    } else {
        HEAP_CEILING
    };
    for (metric, threshold) in reg.memory.iter() {
        let (value, growth, threshold, ceiling) = match metric {
            MemoryMetric::Heap => (sample.heap_bytes, est.heap_growth, threshold, heap_limit),
            MemoryMetric::Stable => (sample.stable_bytes, est.stable_growth, threshold, u64::MAX),
            MemoryMetric::Total => (sample.total_bytes, est.total_growth, threshold, u64::MAX),
            MemoryMetric::HeapPercentOfLimit => {
                if sample.wasm_memory_limit == 0 {
                    continue;
                }
                let bytes = (sample.wasm_memory_limit as u128 * threshold as u128 / 100) as u64;
                (sample.heap_bytes, est.heap_growth, bytes, heap_limit)
            }
        };
        let target = if value < threshold {
            threshold
        } else {
            ceiling
        };
        consider(seconds_until_growth(value, target, growth).filter(|t| *t > 0));
    }
    nearest
}

/// Seconds to wait before the next poll.
pub fn next_poll_delay(
    reg: &Registration,
    sample: &Sample,
    est: &Estimate,
    fraction_percent: u8,
) -> u64 {
    clamp(
        reg.poll,
        seconds_to_nearest_limit(reg, sample, est)
            .map(|t| t.saturating_mul(fraction_percent as u64) / 100)
            .unwrap_or(u64::MAX),
    )
}

/// `seconds` clamped to the polling bounds.
pub fn clamp(bounds: PollBounds, seconds: u64) -> u64 {
    seconds.clamp(bounds.min_interval_seconds, bounds.max_interval_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Config, MemoryThresholds};
    use crate::policy::validation::tests::args;
    use crate::policy::validation::{validate, Context};
    use crate::status_reply::sample::tests::sample;

    fn reg() -> Registration {
        let mut a = args(1);
        a.cycles_threshold = Some(1_000_000_000_000);
        a.memory = Some(MemoryThresholds {
            heap_bytes: Some(1 << 30),
            ..Default::default()
        });
        validate(
            &a,
            &Context {
                monitor_id: crate::policy::validation::tests::canister(999),
                config: &Config::default(),
                now_ns: 0,
                self_registered: false,
            },
        )
        .unwrap()
    }

    #[test]
    fn an_idle_canister_is_polled_at_the_maximum_interval() {
        let r = reg();
        let s = sample(0, 10_000_000_000_000, 1 << 20);
        assert_eq!(
            next_poll_delay(&r, &s, &Estimate::default(), 25),
            r.poll.max_interval_seconds
        );
    }

    #[test]
    fn a_burning_canister_is_polled_at_a_fraction_of_its_time_to_threshold() {
        let r = reg();
        let s = sample(0, 2_000_000_000_000, 1 << 20);
        // 1 T cycles above the threshold, burning 1 B per second: 1,000 s away; poll in 250 s.
        let e = Estimate {
            cycles_burn: 1e9,
            ..Default::default()
        };
        assert_eq!(next_poll_delay(&r, &s, &e, 25), 250);
    }

    #[test]
    fn a_very_fast_burn_is_clamped_to_the_minimum_interval() {
        let r = reg();
        let s = sample(0, 2_000_000_000_000, 1 << 20);
        let e = Estimate {
            cycles_burn: 1e12,
            ..Default::default()
        };
        assert_eq!(next_poll_delay(&r, &s, &e, 25), r.poll.min_interval_seconds);
    }

    #[test]
    fn heap_growth_counts_too_and_the_nearest_limit_wins() {
        let r = reg();
        let s = sample(0, 10_000_000_000_000, (1 << 30) - 4_000_000);
        let e = Estimate {
            cycles_burn: 1.0,
            heap_growth: 1_000.0,
            ..Default::default()
        };
        assert_eq!(seconds_to_nearest_limit(&r, &s, &e), Some(4_000));
        assert_eq!(next_poll_delay(&r, &s, &e, 25), 1_000);
    }

    #[test]
    fn a_poll_may_start_an_eighth_of_its_delay_early_at_most_fifteen_minutes() {
        let now = 1_000 * NS;
        assert_eq!(
            PollWindow::after(now, 80),
            PollWindow {
                earliest_ns: now + 70 * NS,
                due_ns: now + 80 * NS
            }
        );
        let day = PollWindow::after(now, 86_400);
        assert_eq!(day.due_ns - day.earliest_ns, MAX_EARLY_START_SECONDS * NS);
        assert_eq!(PollWindow::after(now, 7), PollWindow::at(now + 7 * NS));
        assert_eq!(PollWindow::after(now, u64::MAX).due_ns, u64::MAX);
    }

    #[test]
    fn below_threshold_the_freezing_reserve_is_the_next_limit() {
        let r = reg();
        let mut s = sample(0, 500_000_000_000, 0);
        s.freezing_reserve = 100_000_000_000;
        let e = Estimate {
            cycles_burn: 1e8,
            ..Default::default()
        };
        assert_eq!(seconds_to_nearest_limit(&r, &s, &e), Some(4_000));
    }
}
