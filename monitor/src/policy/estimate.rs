//! Burn-rate and growth estimates from successive samples.

use crate::status_reply::sample::{Sample, DAY_SECONDS};

/// Weight of the newest interval in the smoothed estimate.
const ALPHA: f64 = 0.5;

/// Smoothed rates of change, per second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Cycles burned per second (positive when the balance falls).
    pub cycles_burn: f64,
    /// Heap growth, bytes per second.
    pub heap_growth: f64,
    /// Stable memory growth, bytes per second.
    pub stable_growth: f64,
    /// Total memory growth, bytes per second.
    pub total_growth: f64,
}

/// The new estimate from the old one and the newest interval's rate. It rises at once to a
/// faster rate and falls back by smoothing: an underestimate could let a canister cross its
/// threshold between polls, an overestimate only costs an early poll.
fn smooth(old: f64, new: f64, first: bool) -> f64 {
    if first {
        new
    } else {
        (ALPHA * new + (1.0 - ALPHA) * old).max(new)
    }
}

impl Estimate {
    /// The estimate after observing `next`, given the previous sample (if any).
    ///
    /// A rising balance (a top-up) says nothing about the burn rate, so the cycles estimate keeps
    /// its previous value then; it never falls below the idle burn the IC reports. Rates rise at
    /// once and fall by smoothing (see `smooth`).
    pub fn update(&self, prev: Option<&Sample>, next: &Sample) -> Estimate {
        let idle = next.idle_burn_per_day as f64 / DAY_SECONDS as f64;
        let Some(prev) = prev else {
            return Estimate {
                cycles_burn: idle,
                ..Default::default()
            };
        };
        let dt = next.at_ns.saturating_sub(prev.at_ns) as f64 / 1e9;
        if dt <= 0.0 {
            return *self;
        }
        let first = *self == Estimate::default();
        let rate = |a: f64, b: f64| (b - a) / dt;
        let burn = if next.cycles <= prev.cycles {
            smooth(
                self.cycles_burn,
                (prev.cycles - next.cycles) as f64 / dt,
                first,
            )
        } else {
            self.cycles_burn
        };
        Estimate {
            cycles_burn: burn.max(idle),
            heap_growth: smooth(
                self.heap_growth,
                rate(prev.heap_bytes as f64, next.heap_bytes as f64),
                first,
            ),
            stable_growth: smooth(
                self.stable_growth,
                rate(prev.stable_bytes as f64, next.stable_bytes as f64),
                first,
            ),
            total_growth: smooth(
                self.total_growth,
                rate(prev.total_bytes as f64, next.total_bytes as f64),
                first,
            ),
        }
    }

    /// Seconds until the balance falls from `balance` to `floor` at the estimated burn rate.
    pub fn seconds_until_cycles(&self, balance: u128, floor: u128) -> Option<u64> {
        if balance <= floor {
            return Some(0);
        }
        (self.cycles_burn > 0.0)
            .then(|| ((balance - floor) as f64 / self.cycles_burn).min(u64::MAX as f64) as u64)
    }
}

/// Seconds until `value` grows to `limit` at `growth` bytes per second.
pub fn seconds_until_growth(value: u64, limit: u64, growth: f64) -> Option<u64> {
    if value >= limit {
        return Some(0);
    }
    (growth > 0.0).then(|| ((limit - value) as f64 / growth).min(u64::MAX as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_reply::sample::tests::sample;

    #[test]
    fn first_sample_uses_the_idle_burn() {
        let mut s = sample(0, 1_000, 0);
        s.idle_burn_per_day = 86_400 * 10;
        let e = Estimate::default().update(None, &s);
        assert_eq!(e.cycles_burn, 10.0);
    }

    #[test]
    fn burn_rate_and_growth_follow_successive_samples() {
        let a = sample(0, 1_000_000, 100);
        let b = sample(10, 900_000, 1_100);
        let e = Estimate::default().update(Some(&a), &b);
        assert_eq!(e.cycles_burn, 10_000.0);
        assert_eq!(e.heap_growth, 100.0);
        let c = sample(20, 700_000, 1_100);
        let e2 = e.update(Some(&b), &c);
        // A faster burn is taken at once; a slower growth is smoothed: half the new 0/s, half
        // the old 100/s.
        assert_eq!(e2.cycles_burn, 20_000.0);
        assert_eq!(e2.heap_growth, 50.0);
        let d = sample(30, 600_000, 1_100);
        // Slower again: half the new 10,000/s, half the old 20,000/s.
        assert_eq!(e2.update(Some(&c), &d).cycles_burn, 15_000.0);
    }

    #[test]
    fn the_first_measured_rate_replaces_the_idle_burn_it_started_from() {
        let mut a = sample(0, 1_000_000, 0);
        a.idle_burn_per_day = 86_400 * 10;
        let mut b = sample(10, 990_000, 0);
        b.idle_burn_per_day = a.idle_burn_per_day;
        let seeded = Estimate::default().update(None, &a);
        assert_eq!(seeded.update(Some(&a), &b).cycles_burn, 1_000.0);
    }

    #[test]
    fn a_top_up_does_not_make_the_burn_rate_negative() {
        let a = sample(0, 1_000, 0);
        let b = sample(10, 500, 0);
        let e = Estimate::default().update(Some(&a), &b);
        let c = sample(20, 5_000, 0);
        assert_eq!(e.update(Some(&b), &c).cycles_burn, 50.0);
    }

    #[test]
    fn time_to_threshold() {
        let e = Estimate {
            cycles_burn: 10.0,
            ..Default::default()
        };
        assert_eq!(e.seconds_until_cycles(1_000, 500), Some(50));
        assert_eq!(e.seconds_until_cycles(400, 500), Some(0));
        assert_eq!(Estimate::default().seconds_until_cycles(1_000, 500), None);
        assert_eq!(seconds_until_growth(100, 200, 10.0), Some(10));
        assert_eq!(seconds_until_growth(100, 200, -1.0), None);
    }
}
