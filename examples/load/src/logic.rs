//! Pure parts of the load canister: sizing and the bounded log of received hook events.

/// Bytes per Wasm/stable page.
pub const PAGE: u64 = 65_536;
/// Largest single growth request (heap or stable), to stay well within one message's limits.
pub const MAX_GROWTH_BYTES: u64 = 256 << 20;
/// Received events kept (oldest dropped first).
pub const MAX_RECEIVED: u64 = 1_000;

/// Pages needed to hold `bytes`.
pub fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE)
}

/// Checks a growth request and returns it, or says what is allowed.
pub fn check_growth(bytes: u64) -> Result<u64, String> {
    if bytes == 0 || bytes > MAX_GROWTH_BYTES {
        return Err(format!(
            "grow by 1..={MAX_GROWTH_BYTES} bytes per call (got {bytes}); call repeatedly for more"
        ));
    }
    Ok(bytes)
}

/// The key of the oldest received event to drop so that at most `MAX_RECEIVED` remain, given the
/// first retained key and the next key to be written.
pub fn to_evict(first: u64, next: u64) -> Option<u64> {
    (next.saturating_sub(first) >= MAX_RECEIVED).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up() {
        assert_eq!(pages_for(0), 0);
        assert_eq!(pages_for(1), 1);
        assert_eq!(pages_for(PAGE), 1);
        assert_eq!(pages_for(PAGE + 1), 2);
    }

    #[test]
    fn growth_requests_are_bounded() {
        assert!(check_growth(0).is_err());
        assert!(check_growth(MAX_GROWTH_BYTES + 1)
            .unwrap_err()
            .contains("call repeatedly"));
        assert_eq!(check_growth(10), Ok(10));
    }

    #[test]
    fn the_received_log_keeps_at_most_its_capacity() {
        assert_eq!(to_evict(0, MAX_RECEIVED - 1), None);
        assert_eq!(to_evict(0, MAX_RECEIVED), Some(0));
        assert_eq!(to_evict(5, 5 + MAX_RECEIVED), Some(5));
    }
}
