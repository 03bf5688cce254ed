//! The instance's certified state (spec "The system state tree") and certificates over it: the
//! tree built from the engine and the call log, pruned to the requested paths, its root hash
//! signed with the root key (spec "Certification"; no delegation: the one subnet is the root).

use super::call_log::CallLog;
use super::keys::{NodeKey, RootKey};
use super::state_tree::LabeledTree;
use candid::Principal;
use ic_certification::certificate::Certificate;
use ic_sim::{CertifiedData, Sim};
use serde::Serialize;
use std::sync::OnceLock;

/// Domain separator of the signed root hash.
const STATE_ROOT_DOMAIN: &[u8] = b"\x0Dic-state-root";

/// The keys every instance signs with.
pub struct Keys {
    /// The root key.
    pub root: RootKey,
    /// The subnet's nodes.
    pub nodes: Vec<NodeKey>,
}

/// The keys, derived once.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        root: RootKey::new(),
        nodes: NodeKey::subnet_nodes(),
    })
}

/// A value as self-described CBOR, as the IC encodes CBOR values in the state tree.
pub fn cbor<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut serializer = serde_cbor::Serializer::new(Vec::new());
    serializer.self_describe().expect("writing to a vector");
    value.serialize(&mut serializer).expect("serialisable");
    serializer.into_inner()
}

fn leb128(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    leb128::write::unsigned(&mut out, n).expect("writing to a vector");
    out
}

/// The state tree: `/time`, `/subnet`, `/canister_ranges`, `/request_status`, `/canister`.
pub fn state_tree(sim: &Sim, log: &CallLog, keys: &Keys) -> LabeledTree {
    let mut tree = LabeledTree::new();
    tree.insert(&[b"time"], leb128(sim.time_ns()));
    let subnet = sim.subnet_id();
    let subnet_id = subnet.as_slice();
    let ranges: Vec<(Principal, Principal)> = sim.canister_ranges();
    let ranges_cbor = serde_cbor::to_vec(&ranges).expect("serialisable");
    tree.insert(
        &[b"subnet", subnet_id, b"public_key"],
        keys.root.public_key_der(),
    );
    tree.insert(&[b"subnet", subnet_id, b"type"], b"application".to_vec());
    tree.insert(
        &[b"subnet", subnet_id, b"canister_ranges"],
        ranges_cbor.clone(),
    );
    for node in &keys.nodes {
        tree.insert(
            &[
                b"subnet",
                subnet_id,
                b"node",
                node.id.as_slice(),
                b"public_key",
            ],
            node.public_key_der.clone(),
        );
    }
    let shard = ranges[0].0;
    tree.insert(
        &[b"canister_ranges", subnet_id, shard.as_slice()],
        ranges_cbor,
    );
    for (request_id, call) in log.iter() {
        let mut put = |field: &[u8], value: Vec<u8>| {
            tree.insert(&[b"request_status", request_id, field], value)
        };
        match sim.ingress_status(&call.message) {
            None => put(b"status", b"processing".to_vec()),
            Some(Ok(reply)) => {
                put(b"status", b"replied".to_vec());
                put(b"reply", reply);
            }
            Some(Err(error)) => {
                put(b"status", b"rejected".to_vec());
                put(b"reject_code", leb128(error.reject_code as u64));
                put(b"reject_message", error.message.into_bytes());
                put(b"error_code", error_code(error.error_code).into_bytes());
            }
        }
    }
    for canister in sim.canister_ids() {
        let id = canister.as_slice();
        if let Ok(Some(hash)) = sim.module_hash(canister) {
            tree.insert(&[b"canister", id, b"module_hash"], hash.to_vec());
        }
        if let Ok(controllers) = sim.controllers(canister) {
            tree.insert(&[b"canister", id, b"controllers"], cbor(&controllers));
        }
        if let Ok(data) = sim.certified_data(canister) {
            tree.insert(&[b"canister", id, b"certified_data"], data);
        }
        // Public metadata only: private sections are for controllers, and the tree is shared.
        for (name, section) in sim.public_metadata(canister).unwrap_or_default() {
            tree.insert(&[b"canister", id, b"metadata", name.as_bytes()], section);
        }
    }
    tree
}

/// The IC's textual error code, e.g. `IC0503`.
pub fn error_code(code: ic_sim::ErrorCode) -> String {
    format!("IC{:04}", code as u32)
}

/// The CBOR certificate revealing `paths` (and `/time`) of `tree`.
pub fn certificate(tree: &LabeledTree, paths: &[Vec<Vec<u8>>], keys: &Keys) -> Vec<u8> {
    let mut paths = paths.to_vec();
    paths.push(vec![b"time".to_vec()]);
    let witness = tree.witness(&paths);
    let mut message = STATE_ROOT_DOMAIN.to_vec();
    message.extend_from_slice(&witness.digest());
    let certificate = Certificate {
        tree: witness,
        signature: keys.root.sign(&message),
        delegation: None,
    };
    cbor(&certificate)
}

/// The certificate a query call's target canister reads (spec "Certified data"): its
/// `/canister/<id>/certified_data` and `/time`, signed like every certificate of the instance.
pub fn data_certificate(subject: &CertifiedData, keys: &Keys) -> Vec<u8> {
    let path: Vec<Vec<u8>> = vec![
        b"canister".to_vec(),
        subject.canister_id.as_slice().to_vec(),
        b"certified_data".to_vec(),
    ];
    let mut tree = LabeledTree::new();
    tree.insert(&[b"time"], leb128(subject.time_ns));
    let labels: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
    tree.insert(&labels, subject.data.clone());
    certificate(&tree, &[path], keys)
}

/// Signs the data certificates of an instance's query calls with the instance's root key.
pub fn data_certifier() -> ic_sim::DataCertifier {
    std::sync::Arc::new(|subject| data_certificate(subject, keys()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_certification::hash_tree::LookupResult;

    fn decode(bytes: &[u8]) -> Certificate<Vec<u8>> {
        serde_cbor::from_slice(bytes).unwrap()
    }

    /// The root key's raw BLS12-381 point (the DER wrapping removed).
    fn root_public_key(keys: &Keys) -> Vec<u8> {
        keys.root.public_key_der()[37..].to_vec()
    }

    fn assert_signed_by_root(certificate: &Certificate<Vec<u8>>, keys: &Keys) {
        let mut message = STATE_ROOT_DOMAIN.to_vec();
        message.extend_from_slice(&certificate.tree.digest());
        assert_eq!(
            ic_verify_bls_signature::verify_bls_signature(
                &certificate.signature,
                &message,
                &root_public_key(keys)
            ),
            Ok(())
        );
    }

    #[test]
    fn data_certificates_reveal_the_certified_data_and_the_time() {
        let keys = keys();
        let subject = CertifiedData {
            canister_id: Principal::from_slice(&[1; 10]),
            data: vec![9; 32],
            time_ns: 42,
        };
        let certificate = decode(&data_certificate(&subject, keys));
        assert_signed_by_root(&certificate, keys);
        assert_eq!(
            certificate.tree.lookup_path([
                b"canister".as_slice(),
                subject.canister_id.as_slice(),
                b"certified_data"
            ]),
            LookupResult::Found(subject.data.as_slice())
        );
        assert_eq!(
            certificate.tree.lookup_path([b"time".as_slice()]),
            LookupResult::Found(leb128(42).as_slice())
        );
    }

    #[test]
    fn certificates_verify_under_the_root_key_and_reveal_what_was_asked() {
        let mut sim = Sim::default();
        let canister = sim.create_canister();
        let keys = keys();
        let tree = state_tree(&sim, &CallLog::default(), keys);
        let controllers = vec![
            b"canister".to_vec(),
            canister.as_slice().to_vec(),
            b"controllers".to_vec(),
        ];
        let certificate = decode(&certificate(&tree, &[controllers], keys));
        assert_signed_by_root(&certificate, keys);
        let LookupResult::Found(time) = certificate.tree.lookup_path([b"time".as_slice()]) else {
            panic!("the time is always revealed")
        };
        assert_eq!(
            leb128::read::unsigned(&mut &time[..]).unwrap(),
            sim.time_ns()
        );
        let LookupResult::Found(value) = certificate.tree.lookup_path([
            b"canister".as_slice(),
            canister.as_slice(),
            b"controllers",
        ]) else {
            panic!("the controllers were requested")
        };
        let listed: Vec<Principal> = serde_cbor::from_slice(value).unwrap();
        assert_eq!(listed, vec![Principal::anonymous()]);
        // A certificate altered after signing no longer verifies.
        let mut other = STATE_ROOT_DOMAIN.to_vec();
        other.extend_from_slice(&tree.witness(&[]).digest().map(|b| b ^ 1));
        assert!(ic_verify_bls_signature::verify_bls_signature(
            &certificate.signature,
            &other,
            &root_public_key(keys)
        )
        .is_err());
    }

    #[test]
    fn the_subnet_lists_its_nodes_and_ranges() {
        let sim = Sim::default();
        let keys = keys();
        let tree = state_tree(&sim, &CallLog::default(), keys);
        let certificate = decode(&certificate(&tree, &[vec![b"subnet".to_vec()]], keys));
        let subnet = sim.subnet_id();
        let node = &keys.nodes[0];
        assert_eq!(
            certificate.tree.lookup_path([
                b"subnet".as_slice(),
                subnet.as_slice(),
                b"node",
                node.id.as_slice(),
                b"public_key"
            ]),
            LookupResult::Found(node.public_key_der.as_slice())
        );
        let LookupResult::Found(ranges) = certificate.tree.lookup_path([
            b"subnet".as_slice(),
            subnet.as_slice(),
            b"canister_ranges",
        ]) else {
            panic!("ranges revealed")
        };
        let ranges: Vec<(Principal, Principal)> = serde_cbor::from_slice(ranges).unwrap();
        assert_eq!(ranges, sim.canister_ranges());
    }
}
