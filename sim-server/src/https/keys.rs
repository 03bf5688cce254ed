//! The instance's keys: the BLS12-381 root key that signs certificates (the IC's scheme:
//! signatures in G1, public keys in G2, ciphersuite `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`)
//! and the Ed25519 keys of the subnet's nodes that sign query responses.
//!
//! The keys are derived from fixed seeds: an emulator keeps no secrets, and fixed keys give every
//! instance the same root key and so the same subnet id (`ic_sim::ids::subnet_id`, derived from
//! the root key as the IC derives a root subnet's id). The engine holds the public key's bytes;
//! a test here checks that they are this secret key's.

use candid::Principal;
use ic_bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use ic_bls12_381::{G1Affine, G1Projective, G2Affine, Scalar};
use sha2::{Digest, Sha256, Sha512};

/// The BLS signature ciphersuite's domain separation tag.
const BLS_DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/// How the IC wraps a 96-byte BLS12-381 G2 public key in DER.
pub const BLS_DER_PREFIX: [u8; 37] = *b"\x30\x81\x82\x30\x1d\x06\x0d\x2b\x06\x01\x04\x01\x82\xdc\x7c\x05\x03\x01\x02\x01\x06\x0c\x2b\x06\x01\x04\x01\x82\xdc\x7c\x05\x03\x02\x01\x03\x61\x00";

/// Number of nodes in the emulated subnet (a 13-node application subnet).
pub const NODE_COUNT: usize = 13;

/// The root key pair.
pub struct RootKey {
    secret: Scalar,
}

impl RootKey {
    /// The instance's (fixed) root key.
    pub fn new() -> Self {
        let wide: [u8; 64] = Sha512::digest(b"ic-sim root key").into();
        Self {
            secret: Scalar::from_bytes_wide(&wide),
        }
    }

    /// The public key, DER-wrapped as the status endpoint and `/subnet/<id>/public_key` give it.
    pub fn public_key_der(&self) -> Vec<u8> {
        let public = G2Affine::from(G2Affine::generator() * self.secret);
        let mut der = BLS_DER_PREFIX.to_vec();
        der.extend_from_slice(&public.to_compressed());
        der
    }

    /// The 48-byte BLS signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let point =
            <G1Projective as HashToCurve<ExpandMsgXmd<Sha256>>>::hash_to_curve(message, BLS_DST);
        G1Affine::from(point * self.secret).to_compressed().to_vec()
    }
}

/// One node of the subnet.
pub struct NodeKey {
    /// The node's id (self-authenticating, from its public key).
    pub id: Principal,
    /// The node's Ed25519 public key, DER-wrapped.
    pub public_key_der: Vec<u8>,
    secret: ic_ed25519::PrivateKey,
}

impl NodeKey {
    /// The subnet's nodes, in a fixed order.
    pub fn subnet_nodes() -> Vec<NodeKey> {
        (0..NODE_COUNT)
            .map(|index| {
                let seed = Sha256::digest(format!("ic-sim node {index}"));
                let secret = ic_ed25519::PrivateKey::generate_from_seed(&seed);
                let public_key_der = secret.public_key().serialize_rfc8410_der();
                NodeKey {
                    id: Principal::self_authenticating(&public_key_der),
                    public_key_der,
                    secret,
                }
            })
            .collect()
    }

    /// The node's Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.secret.sign_message(message).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_agents_bls_verifier() {
        let key = RootKey::new();
        let der = key.public_key_der();
        assert_eq!(der.len(), 133);
        let message = b"\x0dic-state-root some root hash";
        let signature = key.sign(message);
        assert_eq!(signature.len(), 48);
        assert_eq!(
            ic_verify_bls_signature::verify_bls_signature(&signature, message, &der[37..]),
            Ok(())
        );
        assert_eq!(
            ic_verify_bls_signature::verify_bls_signature(
                &signature,
                b"another message",
                &der[37..]
            ),
            Err(())
        );
    }

    #[test]
    fn the_engine_reports_this_root_key_and_the_subnet_id_derived_from_it() {
        let der = RootKey::new().public_key_der();
        let sim = ic_sim::Sim::default();
        assert_eq!(hex::encode(sim.root_key()), hex::encode(&der));
        assert_eq!(sim.subnet_id(), Principal::self_authenticating(&der));
    }

    #[test]
    fn node_signatures_verify_with_their_public_keys() {
        let nodes = NodeKey::subnet_nodes();
        assert_eq!(nodes.len(), NODE_COUNT);
        let node = &nodes[3];
        let public = ic_ed25519::PublicKey::deserialize_rfc8410_der(&node.public_key_der).unwrap();
        assert!(public.verify_signature(b"msg", &node.sign(b"msg")).is_ok());
        assert_ne!(nodes[0].id, nodes[1].id);
    }
}
