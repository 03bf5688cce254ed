//! Cryptographic randomness: ChaCha20 seeded from the management canister's `raw_rand` during
//! post-init; every function errors until then instead of returning weak values.
//!
//! The generator lives on the heap. Use it in updates: a query's state changes are discarded, so
//! repeated queries would see the same values.

use std::cell::RefCell;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

thread_local! {
    static RNG: RefCell<Option<ChaCha20Rng>> = const { RefCell::new(None) };
}

/// Why randomness is unavailable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RandomError {
    /// `raw_rand` has not been called yet (the `seed_rng` step is pending); wait for readiness.
    NotSeeded,
}

impl std::fmt::Display for RandomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RandomError::NotSeeded => write!(
                f,
                "the RNG is not seeded yet: wait until hooks_readiness reports Ready (step seed_rng)"
            ),
        }
    }
}

impl std::error::Error for RandomError {}

/// Fills `buf` with random bytes.
pub fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    RNG.with_borrow_mut(|rng| {
        rng.as_mut().ok_or(RandomError::NotSeeded)?.fill_bytes(buf);
        Ok(())
    })
}

/// A random `u64`.
pub fn random_u64() -> Result<u64, RandomError> {
    RNG.with_borrow_mut(|rng| Ok(rng.as_mut().ok_or(RandomError::NotSeeded)?.next_u64()))
}

/// Whether the RNG has been seeded.
pub fn is_seeded() -> bool {
    RNG.with_borrow(|rng| rng.is_some())
}

pub(crate) fn seed(seed: [u8; 32]) {
    RNG.set(Some(ChaCha20Rng::from_seed(seed)));
}

pub(crate) fn unseed() {
    RNG.set(None);
}

/// Fetches 32 bytes from `raw_rand` (bounded-wait) and seeds the generator.
pub(crate) async fn seed_from_raw_rand() -> Result<(), String> {
    let response =
        ic_cdk::call::Call::bounded_wait(candid::Principal::management_canister(), "raw_rand")
            .await
            .map_err(|e| format!("raw_rand failed: {e}"))?;
    let bytes: Vec<u8> = response
        .candid()
        .map_err(|e| format!("raw_rand reply: {e}"))?;
    let seed: [u8; 32] = bytes
        .get(..32)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("raw_rand returned {} bytes, expected 32", bytes.len()))?;
    self::seed(seed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_before_seeding_then_gives_seed_determined_values() {
        unseed();
        assert_eq!(random_u64(), Err(RandomError::NotSeeded));
        assert_eq!(fill_random(&mut [0u8; 4]), Err(RandomError::NotSeeded));
        seed([1; 32]);
        let a = random_u64().unwrap();
        seed([1; 32]);
        assert_eq!(random_u64().unwrap(), a);
        seed([2; 32]);
        assert_ne!(random_u64().unwrap(), a);
        let mut buf = [0u8; 64];
        fill_random(&mut buf).unwrap();
        assert!(buf.iter().any(|b| *b != 0));
    }
}
