//! What a status reply says of who a canister is and who controls it: its module hash, its
//! controllers and the cycles settings that decide what watching it costs.

use candid::Principal;

/// The module hash, controllers and cycles settings of one status reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// `module_hash`; absent when no code is installed.
    pub module_hash: Option<[u8; 32]>,
    /// `settings.controllers`, in the reply's order.
    pub controllers: Vec<Principal>,
    /// `reserved_cycles` (0 on replicas that predate it).
    pub reserved_cycles: u128,
    /// `settings.minimum_incoming_canister_call_cycles` (0 on replicas that predate it).
    pub minimum_incoming_call_cycles: u128,
}

impl Identity {
    /// A 64-bit digest of the controllers, the same whatever their order: the sum of a
    /// per-principal FNV-1a hash. A record keeps it to notice a change without storing the list.
    pub fn controllers_digest(&self) -> u64 {
        self.controllers.iter().fold(0u64, |sum, p| {
            let h = p.as_slice().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            sum.wrapping_add(h)
        })
    }

    /// The first 8 bytes of the module hash (already a SHA-256), 0 without code.
    pub fn module_digest(&self) -> u64 {
        self.module_hash.map_or(0, |h| {
            u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) | 1
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u8) -> Principal {
        Principal::from_slice(&[n; 10])
    }

    #[test]
    fn the_controllers_digest_ignores_order_and_sees_any_change() {
        let a = Identity {
            controllers: vec![p(1), p(2)],
            ..Default::default()
        };
        let b = Identity {
            controllers: vec![p(2), p(1)],
            ..Default::default()
        };
        let c = Identity {
            controllers: vec![p(1)],
            ..Default::default()
        };
        assert_eq!(a.controllers_digest(), b.controllers_digest());
        assert_ne!(a.controllers_digest(), c.controllers_digest());
    }

    #[test]
    fn the_module_digest_is_never_zero_with_code() {
        let none = Identity::default();
        let zero = Identity {
            module_hash: Some([0; 32]),
            ..Default::default()
        };
        assert_eq!(none.module_digest(), 0);
        assert_ne!(zero.module_digest(), 0);
    }
}
