//! Capped exponential backoff for retries, optionally jittered so many retries spread out.

use std::time::Duration;

/// Delay schedule `initial * multiplier^(failures-1)`, never more than `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub initial: Duration,
    /// Upper bound on any delay.
    pub max: Duration,
    /// Growth factor per further failure (1 = constant delay).
    pub multiplier: u32,
}

impl Default for Backoff {
    /// 1 s, doubling, capped at 5 minutes.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            multiplier: 2,
        }
    }
}

/// A deterministic 64-bit mix (splitmix64), the jitter source; also spreads any seed.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Backoff {
    /// Doubling from `initial_seconds` (at least 1 s), capped at `max_seconds`.
    pub const fn doubling_seconds(initial_seconds: u64, max_seconds: u64) -> Self {
        const fn at_least_one(s: u64) -> u64 {
            if s == 0 {
                1
            } else {
                s
            }
        }
        Backoff {
            initial: Duration::from_secs(at_least_one(initial_seconds)),
            max: Duration::from_secs(at_least_one(max_seconds)),
            multiplier: 2,
        }
    }

    /// Delay to wait after the `failures`-th consecutive failure (1-based; 0 means no wait).
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let initial = self.initial.min(self.max);
        let mut delay = initial;
        for _ in 1..failures {
            match delay.checked_mul(self.multiplier.max(1)) {
                Some(next) if next < self.max => delay = next,
                _ => return self.max,
            }
        }
        delay
    }

    /// [`Self::delay`] in nanoseconds, saturating.
    pub fn delay_ns(&self, failures: u32) -> u64 {
        u64::try_from(self.delay(failures).as_nanos()).unwrap_or(u64::MAX)
    }

    /// [`Self::delay`] with jitter, in whole seconds: uniformly in `[delay/2, delay]`, picked by
    /// `seed`, so retries of many targets spread out instead of arriving together.
    pub fn jittered_seconds(&self, failures: u32, seed: u64) -> u64 {
        let ceiling = self.delay(failures).as_secs();
        let half = ceiling / 2;
        half + mix(seed ^ failures as u64) % (ceiling - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_from_initial_then_caps() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=11).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        let c = Backoff::doubling_seconds(5, 300);
        let secs: Vec<u64> = (1..=8).map(|n| c.delay(n).as_secs()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(c.delay(u32::MAX).as_secs(), 300);
    }

    #[test]
    fn no_failure_means_no_wait() {
        assert_eq!(Backoff::default().delay(0), Duration::ZERO);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let b = Backoff {
            initial: Duration::from_secs(u64::MAX / 2),
            max: Duration::MAX,
            multiplier: 3,
        };
        assert_eq!(b.delay(u32::MAX), Duration::MAX);
        assert_eq!(b.delay_ns(5), u64::MAX);
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay_and_varies() {
        let b = Backoff::doubling_seconds(5, 300);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let d = b.jittered_seconds(4, seed);
            assert!((20..=40).contains(&d), "{d}");
            seen.insert(d);
        }
        assert!(seen.len() > 10, "jitter spreads retries");
    }

    #[test]
    fn same_seed_same_jittered_delay() {
        let b = Backoff::doubling_seconds(5, 300);
        assert_eq!(b.jittered_seconds(3, 42), b.jittered_seconds(3, 42));
    }

    proptest! {
        #[test]
        fn delay_is_monotone_and_capped(init in 1u64..10_000, max in 1u64..1_000_000, mult in 1u32..5, n in 1u32..200) {
            let b = Backoff { initial: Duration::from_millis(init), max: Duration::from_millis(max), multiplier: mult };
            prop_assert!(b.delay(n) <= b.max);
            prop_assert!(b.delay(n) <= b.delay(n + 1));
            prop_assert!(b.delay(1) == b.initial.min(b.max));
        }
    }
}
