//! Capped exponential backoff with jitter, for delivery retries and failing status polls.

/// Retry timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base_seconds: u64,
    pub max_seconds: u64,
}

/// A deterministic 64-bit mix (splitmix64), used as the jitter source.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Backoff {
    /// The capped exponential delay before retry number `attempt` (1-based), without jitter.
    pub fn ceiling(&self, attempt: u32) -> u64 {
        let exp = attempt.saturating_sub(1).min(63);
        self.base_seconds
            .saturating_mul(1u64.checked_shl(exp).unwrap_or(u64::MAX))
            .min(self.max_seconds)
            .max(1)
    }

    /// Delay before retry `attempt`: uniformly in [ceiling/2, ceiling], picked by `seed`, so
    /// retries of many targets spread out instead of arriving together.
    pub fn delay(&self, attempt: u32, seed: u64) -> u64 {
        let c = self.ceiling(attempt);
        let half = c / 2;
        half + mix(seed ^ attempt as u64) % (c - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base_seconds: 5,
        max_seconds: 300,
    };

    #[test]
    fn grows_exponentially_then_caps() {
        let c: Vec<u64> = (1..=8).map(|a| B.ceiling(a)).collect();
        assert_eq!(c, vec![5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(B.ceiling(u32::MAX), 300);
    }

    #[test]
    fn jitter_stays_within_half_and_full_ceiling_and_varies() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let d = B.delay(4, seed);
            assert!((20..=40).contains(&d), "{d}");
            seen.insert(d);
        }
        assert!(seen.len() > 10, "jitter spreads retries");
    }

    #[test]
    fn same_seed_same_delay() {
        assert_eq!(B.delay(3, 42), B.delay(3, 42));
    }
}
