//! Principals of canisters and the subnet, and opaque message ids.

use candid::Principal;

/// The first canister id of the emulated application subnet (real PocketIC's range start).
pub const FIRST_CANISTER_ID: &str = "lxzze-o7777-77777-aaaaa-cai";

/// Number of canister ids in the subnet's range.
pub const RANGE_SIZE: u64 = 1 << 20;

/// The canister id with index `n`: 8 bytes big-endian followed by 0x01 0x01.
pub fn canister_id(n: u64) -> Principal {
    let mut bytes = [1u8; 10];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    Principal::from_slice(&bytes)
}

/// The index of a canister id, if it has the canister id shape.
pub fn canister_index(id: &Principal) -> Option<u64> {
    let bytes = id.as_slice();
    if bytes.len() != 10 || bytes[8] != 1 || bytes[9] != 1 {
        return None;
    }
    Some(u64::from_be_bytes(bytes[..8].try_into().ok()?))
}

/// The index of [`FIRST_CANISTER_ID`].
pub fn first_canister_index() -> u64 {
    let p = Principal::from_text(FIRST_CANISTER_ID).expect("a valid principal");
    canister_index(&p).expect("a canister id")
}

/// The id of the emulated subnet (a fixed self-authenticating-looking principal).
pub fn subnet_id() -> Principal {
    Principal::from_slice(&[
        0x53, 0x49, 0x4d, 0x2d, 0x73, 0x75, 0x62, 0x6e, 0x65, 0x74, 2,
    ])
}

/// The id of an ingress message: 32 opaque bytes, unique within a `Sim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId([u8; 32]);

impl MessageId {
    /// The id for sequence number `n`.
    pub(crate) fn new(n: u64) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"ic-sim ingress");
        h.update(n.to_be_bytes());
        Self(h.finalize().into())
    }

    /// Parses an id from its bytes (32 bytes).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_canister_id_round_trips() {
        let n = first_canister_index();
        assert_eq!(canister_id(n).to_text(), FIRST_CANISTER_ID);
    }
}
