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

/// The subnet's root key: a BLS12-381 G2 public key, DER-wrapped as the IC wraps it. It is fixed:
/// `ic-sim-server` holds the matching secret key and signs certificates with it (its tests check
/// that the two belong together).
const ROOT_KEY_DER_HEX: &str = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c0503020103610091440e4e08fac373f2bd845d545c9932fa06003b6b24f06f3ee04a4f5ef7920152d85d2d50dd32fd4dd4a00a68709fd50f8a8501f3b96b9d2ca8b951960331876249fb9c82e9fa232ad4f19ddb4878de5de93fd1c58642e76a4459efccc1fec0";

/// The subnet's root key (DER).
pub fn root_key() -> Vec<u8> {
    hex::decode(ROOT_KEY_DER_HEX).expect("a hex constant")
}

/// The id of the emulated subnet: self-authenticating from its root key, as the IC derives the
/// root subnet's id (agents find the subnet of a certificate without delegation this way).
pub fn subnet_id() -> Principal {
    Principal::self_authenticating(root_key())
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
