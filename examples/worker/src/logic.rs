//! The worker's job computation, kept pure so it is tested natively.

/// Whether a job value makes `process` trap (values ending in 666).
pub fn is_poison(value: u64) -> bool {
    value % 1000 == 666
}

/// The result of a job: a few rounds of a cheap mixing function. Panics on poison values.
pub fn process_value(value: u64) -> u64 {
    assert!(
        !is_poison(value),
        "poison job value {value}: refusing to process"
    );
    let mut x = value;
    for _ in 0..16 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    x
}

/// Panics on a value the heartbeat cannot archive (values ending in 999).
pub fn check_archivable(value: u64) {
    assert!(
        value % 1000 != 999,
        "cannot archive job value {value}: values ending in 999 are unarchivable"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poison_values_panic_others_compute() {
        assert!(is_poison(1666));
        assert!(!is_poison(667));
        assert_eq!(process_value(7), process_value(7));
        assert!(std::panic::catch_unwind(|| process_value(666)).is_err());
        assert!(std::panic::catch_unwind(|| check_archivable(1999)).is_err());
        check_archivable(998);
    }
}
