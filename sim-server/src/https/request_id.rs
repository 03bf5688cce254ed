//! Representation-independent hashing of structured data (spec "Representation-independent
//! hashing of structured data"): request ids are this hash of a request's `content` map, taken
//! over the CBOR value as received, so every field the sender signed counts.

use serde_cbor::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// A value the hash is not defined for, naming what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnhashableValue(pub String);

impl fmt::Display for UnhashableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot hash {} (request fields are blobs, text, numbers, arrays and maps)",
            self.0
        )
    }
}

/// The representation-independent hash of a CBOR map.
pub fn hash_of_map(map: &Value) -> Result<[u8; 32], UnhashableValue> {
    match map {
        Value::Map(_) => hash_of_value(map),
        other => Err(UnhashableValue(format!("{other:?} as a map"))),
    }
}

fn hash_of_value(value: &Value) -> Result<[u8; 32], UnhashableValue> {
    Ok(match value {
        Value::Bytes(bytes) => Sha256::digest(bytes).into(),
        Value::Text(text) => Sha256::digest(text.as_bytes()).into(),
        Value::Integer(n) => Sha256::digest(leb128(*n)).into(),
        Value::Array(items) => {
            let mut hasher = Sha256::new();
            for item in items {
                hasher.update(hash_of_value(item)?);
            }
            hasher.finalize().into()
        }
        Value::Map(fields) => {
            let mut pairs = Vec::with_capacity(fields.len());
            for (key, field) in fields {
                let Value::Text(name) = key else {
                    return Err(UnhashableValue(format!("the map key {key:?}")));
                };
                let mut pair = Sha256::digest(name.as_bytes()).to_vec();
                pair.extend_from_slice(&hash_of_value(field)?);
                pairs.push(pair);
            }
            pairs.sort();
            Sha256::digest(pairs.concat()).into()
        }
        Value::Tag(_, inner) => hash_of_value(inner)?,
        other => return Err(UnhashableValue(format!("{other:?}"))),
    })
}

/// Shortest unsigned LEB128 for naturals, signed LEB128 for negative integers.
fn leb128(n: i128) -> Vec<u8> {
    let mut out = Vec::new();
    if n >= 0 {
        leb128::write::unsigned(&mut out, n as u64).expect("writing to a vector");
    } else {
        leb128::write::signed(&mut out, n as i64).expect("writing to a vector");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn map(fields: Vec<(&str, Value)>) -> Value {
        Value::Map(
            fields
                .into_iter()
                .map(|(k, v)| (Value::Text(k.to_string()), v))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn the_specs_worked_request_id_example() {
        let content = map(vec![
            ("request_type", Value::Text("call".into())),
            ("sender", Value::Bytes(vec![0x04])),
            ("ingress_expiry", Value::Integer(1_685_570_400_000_000_000)),
            (
                "canister_id",
                Value::Bytes(vec![0, 0, 0, 0, 0, 0, 0x04, 0xD2]),
            ),
            ("method_name", Value::Text("hello".into())),
            ("arg", Value::Bytes(b"DIDL\x00\xFD*".to_vec())),
        ]);
        assert_eq!(
            hex::encode(hash_of_map(&content).unwrap()),
            "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"
        );
    }

    #[test]
    fn the_specs_nested_map_example() {
        let inner = map(vec![("arg", Value::Bytes(b"DIDL\x00\x00".to_vec()))]);
        let outer = map(vec![("reply", inner.clone())]);
        let mut pair = Sha256::digest(b"reply").to_vec();
        pair.extend_from_slice(&hash_of_map(&inner).unwrap());
        assert_eq!(
            hash_of_map(&outer).unwrap(),
            <[u8; 32]>::from(Sha256::digest(&pair))
        );
    }

    #[test]
    fn numbers_use_the_specs_leb128_forms() {
        assert_eq!(leb128(0), vec![0x00]);
        assert_eq!(leb128(624_485), vec![0xE5, 0x8E, 0x26]);
        assert_eq!(leb128(-123_456), vec![0xC0, 0xBB, 0x78]);
    }

    #[test]
    fn agrees_with_the_agents_request_ids() {
        // What ic-agent signs: its own request id of the typed content.
        let content = ic_transport_types::EnvelopeContent::ReadState {
            ingress_expiry: 1_700_000_000_000_000_000,
            sender: candid::Principal::anonymous(),
            paths: vec![
                vec!["time".into()],
                vec!["subnet".into(), b"\x01\x02".into()],
            ],
        };
        let as_value: Value =
            serde_cbor::from_slice(&serde_cbor::to_vec(&content).unwrap()).unwrap();
        assert_eq!(hash_of_map(&as_value).unwrap(), *content.to_request_id());
    }

    #[test]
    fn floats_and_non_text_keys_are_refused() {
        assert!(hash_of_map(&map(vec![("x", Value::Float(1.0))])).is_err());
        let odd = Value::Map(BTreeMap::from([(Value::Integer(1), Value::Null)]));
        assert!(hash_of_map(&odd).unwrap_err().0.contains("map key"));
        assert!(hash_of_map(&Value::Text("x".into())).is_err());
    }
}
