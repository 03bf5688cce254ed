//! `dfx canister call --output json`: a reply as the JSON dfx prints, which it makes with the
//! `idl2json` crate (0.10, default options, no type names): records and variants are objects
//! (a variant one field), `opt` an array of zero or one value, blobs arrays of numbers, 64-bit and
//! unbounded numbers strings (JSON numbers lose precision past 2^53), smaller numbers numbers, and
//! principals text; each value of the reply one pretty-printed document.

use candid::types::value::{IDLField, IDLValue};
use candid::IDLArgs;
use serde_json::{Map, Value};

/// The reply `args` as `dfx canister call --output json` prints it.
pub fn reply(args: &IDLArgs) -> String {
    args.args
        .iter()
        .map(|value| serde_json::to_string_pretty(&json(value)).expect("JSON values print"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn json(value: &IDLValue) -> Value {
    use IDLValue::*;
    match value {
        Bool(b) => Value::Bool(*b),
        Null => Value::Null,
        Text(s) => Value::String(s.clone()),
        Number(s) => Value::String(s.clone()),
        Float64(f) => float(*f),
        Float32(f) => float(f64::from(*f)),
        Opt(inner) => Value::Array(vec![json(inner)]),
        None => Value::Array(vec![]),
        Vec(items) => Value::Array(items.iter().map(json).collect()),
        Blob(bytes) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
        Record(fields) => Value::Object(fields.iter().map(field).collect()),
        Variant(v) => Value::Object(Map::from_iter([field(&v.0)])),
        Principal(p) | Service(p) => Value::String(p.to_text()),
        Func(p, method) => Value::Object(Map::from_iter([
            ("principal".to_string(), Value::String(p.to_text())),
            ("code".to_string(), Value::String(method.clone())),
        ])),
        Int(i) => Value::String(i.to_string()),
        Nat(n) => Value::String(n.to_string()),
        Nat64(n) => Value::String(n.to_string()),
        Int64(i) => Value::String(i.to_string()),
        Nat8(n) => Value::from(*n),
        Nat16(n) => Value::from(*n),
        Nat32(n) => Value::from(*n),
        Int8(i) => Value::from(*i),
        Int16(i) => Value::from(*i),
        Int32(i) => Value::from(*i),
        Reserved => Value::String(value.to_string()),
    }
}

fn field(f: &IDLField) -> (String, Value) {
    (f.id.to_string(), json(&f.val))
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or_else(|| Value::String("NaN".into()), Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_as_dfx_prints_them() {
        let field = |name: &str, val| IDLField {
            id: candid::types::Label::Named(name.into()),
            val,
        };
        let view = IDLValue::Record(vec![
            field("id", IDLValue::Nat64(7)),
            field("attempts", IDLValue::Nat32(3)),
            field("hash", IDLValue::Blob(vec![1, 255])),
            field("error", IDLValue::None),
            field("who", IDLValue::Principal(candid::Principal::anonymous())),
            field(
                "outcome",
                IDLValue::Variant(candid::types::value::VariantValue(
                    Box::new(field("Succeeded", IDLValue::Null)),
                    0,
                )),
            ),
        ]);
        let args = IDLArgs::new(&[IDLValue::Opt(Box::new(view)), IDLValue::Text("x".into())]);
        let documents: Vec<Value> = serde_json::Deserializer::from_str(&reply(&args))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            documents,
            [
                serde_json::json!([{
                    "id": "7", "attempts": 3, "hash": [1, 255], "error": [], "who": "2vxsx-fae",
                    "outcome": { "Succeeded": null }
                }]),
                serde_json::json!("x"),
            ]
        );
    }
}
