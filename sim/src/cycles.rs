//! The fee schedule of a 13-node application subnet and the freezing threshold arithmetic.

/// Base fee of executing an update message (or callback, heartbeat, timer).
pub const UPDATE_MESSAGE_EXECUTION_FEE: u128 = 5_000_000;
/// Fee per executed wasm instruction.
pub const INSTRUCTION_FEE: u128 = 1;
/// Base fee of an inter-canister call.
pub const XNET_CALL_FEE: u128 = 260_000;
/// Fee per byte of an inter-canister request or response.
pub const XNET_BYTE_FEE: u128 = 1_000;
/// Fee for receiving an ingress message.
pub const INGRESS_MESSAGE_RECEPTION_FEE: u128 = 1_200_000;
/// Fee per byte of an ingress message.
pub const INGRESS_BYTE_RECEPTION_FEE: u128 = 2_000;
/// Fee of creating a canister.
pub const CANISTER_CREATION_FEE: u128 = 500_000_000_000;
/// Storage fee, cycles per GiB per second.
pub const STORAGE_FEE_GIB_SECOND: u128 = 127_000;
/// Largest inter-canister response; its transmission cost is reserved at call time.
pub const MAX_RESPONSE_BYTES: u128 = 2 * 1024 * 1024;
/// Longest bounded-wait timeout, in seconds.
pub const MAX_BOUNDED_WAIT_SECONDS: u64 = 300;
/// Default freezing threshold, in seconds (30 days).
pub const DEFAULT_FREEZING_THRESHOLD: u64 = 2_592_000;

const GIB: u128 = 1 << 30;

/// Cycles charged for executing a message of `instructions` instructions.
pub fn execution_fee(instructions: u64) -> u128 {
    UPDATE_MESSAGE_EXECUTION_FEE + INSTRUCTION_FEE * u128::from(instructions)
}

/// Cycles charged to the caller when it performs a call (method name and payload bytes).
pub fn call_fee(method_name_len: u64, payload_len: u64) -> u128 {
    XNET_CALL_FEE + XNET_BYTE_FEE * u128::from(method_name_len + payload_len)
}

/// Cycles reserved at call time for the largest possible response.
pub fn response_reservation() -> u128 {
    XNET_BYTE_FEE * MAX_RESPONSE_BYTES
}

/// Part of the reservation refunded when a response of `bytes` arrives.
pub fn response_refund(bytes: u64) -> u128 {
    response_reservation().saturating_sub(XNET_BYTE_FEE * u128::from(bytes))
}

/// Cycles charged to a canister for receiving an ingress message.
pub fn ingress_fee(method_name_len: u64, payload_len: u64) -> u128 {
    INGRESS_MESSAGE_RECEPTION_FEE
        + INGRESS_BYTE_RECEPTION_FEE * u128::from(method_name_len + payload_len)
}

/// Storage cost of `bytes` held for `nanos` nanoseconds.
pub fn storage_fee(bytes: u64, nanos: u64) -> u128 {
    u128::from(bytes) * STORAGE_FEE_GIB_SECOND * u128::from(nanos) / (GIB * 1_000_000_000)
}

/// Cycles a canister of `memory_bytes` burns per day while idle.
pub fn idle_cycles_burned_per_day(memory_bytes: u64) -> u128 {
    u128::from(memory_bytes) * STORAGE_FEE_GIB_SECOND * 86_400 / GIB
}

/// The freezing reserve: what the canister would burn idle during `freezing_threshold` seconds.
pub fn freezing_reserve(memory_bytes: u64, freezing_threshold: u64) -> u128 {
    u128::from(memory_bytes) * STORAGE_FEE_GIB_SECOND * u128::from(freezing_threshold) / GIB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_gib_for_one_second_costs_the_storage_fee() {
        assert_eq!(storage_fee(1 << 30, 1_000_000_000), STORAGE_FEE_GIB_SECOND);
        assert_eq!(freezing_reserve(1 << 30, 10), 10 * STORAGE_FEE_GIB_SECOND);
        assert_eq!(call_fee(3, 7), 260_000 + 10_000);
    }
}
