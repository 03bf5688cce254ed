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
/// Nodes of the emulated subnet: the `n` of the fee formulas that scale with the subnet size.
pub const SUBNET_SIZE: u128 = 13;
/// Largest HTTPS outcall response, and the `max_response_bytes` charged for when none is given.
pub const MAX_HTTP_RESPONSE_BYTES: u64 = 2_000_000;
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

/// Cycles an HTTPS outcall (`http_request`) costs on the subnet: `(3 M + 60 K·n + 400·request
/// bytes + 800·max response bytes)·n` with `n` = [`SUBNET_SIZE`]. `request_size` counts the URL,
/// the header names and values, the body and the transform's method name and context;
/// `max_response_bytes` is the request's limit ([`MAX_HTTP_RESPONSE_BYTES`] when it gives none).
/// The same formula answers `ic0.cost_http_request`.
pub fn http_request_fee(request_size: u64, max_response_bytes: u64) -> u128 {
    let n = SUBNET_SIZE;
    (3_000_000 + 60_000 * n + 400 * u128::from(request_size) + 800 * u128::from(max_response_bytes))
        * n
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

    #[test]
    fn an_https_outcall_costs_the_13_node_schedule() {
        // 49.14 M base, 5,200 per request byte and 10,400 per response byte on 13 nodes.
        assert_eq!(http_request_fee(0, 0), 49_140_000);
        assert_eq!(http_request_fee(1, 0) - http_request_fee(0, 0), 5_200);
        assert_eq!(http_request_fee(0, 1) - http_request_fee(0, 0), 10_400);
        assert_eq!(
            http_request_fee(100, MAX_HTTP_RESPONSE_BYTES),
            49_140_000 + 520_000 + 20_800_000_000
        );
    }
}
