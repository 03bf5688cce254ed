//! Capped exponential backoff for retrying failed steps.

use std::time::Duration;

/// Delay schedule `initial * multiplier^(attempt-1)`, never more than `max`.
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

impl Backoff {
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
