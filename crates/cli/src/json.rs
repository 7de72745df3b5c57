//! JSON text exactly as SPIRE's `-output json` writes it.
//!
//! SPIRE marshals with protojson, decodes into a Go `map[string]any` and
//! re-encodes with `encoding/json`: keys end up sorted, the output is compact
//! with one trailing newline, and `<`, `>`, `&`, U+2028 and U+2029 are
//! escaped. This writer reproduces that from a `serde_json::Value`, sorting
//! keys itself so it does not depend on serde_json's map ordering features.

use serde_json::Value;

/// A wire message as SPIRE's `-output json` prints it: the proto crate's
/// protojson serde impls (proto names, unpopulated fields emitted), `null`s
/// removed as SPIRE's cliprinter does, then Go's encoding.
pub fn proto_json<T: serde::Serialize>(message: &T) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(message)?;
    remove_nulls(&mut value);
    remove_empty_fields_newer_than_v1_13(&mut value);
    Ok(to_go_json_line(&value))
}

/// Fields our protos carry that SPIRE v1.13's API SDK does not have yet. SPIRE v1.13 cannot
/// print them, so when they are empty they are left out and scripts see its output unchanged.
const FIELDS_NEWER_THAN_V1_13: [&str; 1] = ["wit_authorities"];

fn remove_empty_fields_newer_than_v1_13(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| {
                !(FIELDS_NEWER_THAN_V1_13.contains(&key.as_str())
                    && v.as_array().is_some_and(Vec::is_empty))
            });
            map.values_mut()
                .for_each(remove_empty_fields_newer_than_v1_13);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(remove_empty_fields_newer_than_v1_13),
        _ => {}
    }
}

/// Drops `null` object members and array elements, recursively (SPIRE's
/// `removeNulls`).
pub fn remove_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(remove_nulls);
        }
        Value::Array(items) => {
            items.retain(|v| !v.is_null());
            items.iter_mut().for_each(remove_nulls);
        }
        _ => {}
    }
}

/// Encodes `value` the way Go's `json.NewEncoder(w).Encode` does (with the
/// trailing newline).
pub fn to_go_json_line(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_value(out, v);
                }
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_writes_compact_with_newline() {
        let v = json!({"b": 1, "a": [true, null], "c": {"z": "", "y": "1"}});
        assert_eq!(
            to_go_json_line(&v),
            "{\"a\":[true,null],\"b\":1,\"c\":{\"y\":\"1\",\"z\":\"\"}}\n"
        );
    }

    #[test]
    fn entry_uses_proto_names_int64_strings_and_drops_unset_messages() {
        use spire_proto::spire::api::types::{Entry, Selector, Spiffeid};
        let e = Entry {
            id: "e1".into(),
            spiffe_id: Some(Spiffeid {
                trust_domain: "example.org".into(),
                path: "/web".into(),
            }),
            selectors: vec![Selector {
                r#type: "unix".into(),
                value: "uid:0".into(),
            }],
            x509_svid_ttl: 3600,
            revision_number: 2,
            ..Default::default()
        };
        assert_eq!(
            proto_json(&e).expect("entry serializes"),
            "{\"admin\":false,\"created_at\":\"0\",\"dns_names\":[],\"downstream\":false,\"expires_at\":\"0\",\
             \"federates_with\":[],\"hint\":\"\",\"id\":\"e1\",\"jwt_svid_ttl\":0,\"revision_number\":\"2\",\
             \"selectors\":[{\"type\":\"unix\",\"value\":\"uid:0\"}],\"spiffe_id\":{\"path\":\"/web\",\
             \"trust_domain\":\"example.org\"},\"store_svid\":false,\"x509_svid_ttl\":3600}\n"
        );
    }

    #[test]
    fn bundle_bytes_are_standard_base64() {
        use spire_proto::spire::api::types::{Bundle, X509Certificate};
        let b = Bundle {
            trust_domain: "td".into(),
            x509_authorities: vec![X509Certificate {
                asn1: vec![0xfb, 0xff],
                tainted: false,
            }],
            sequence_number: 7,
            ..Default::default()
        };
        assert_eq!(
            proto_json(&b).expect("bundle serializes"),
            "{\"jwt_authorities\":[],\"refresh_hint\":\"0\",\"sequence_number\":\"7\",\"trust_domain\":\"td\",\
             \"x509_authorities\":[{\"asn1\":\"+/8=\",\"tainted\":false}]}\n"
        );
    }

    #[test]
    fn escapes_html_and_control_characters_like_go() {
        let v = json!("<a&b>\u{1}\n\"\\\u{2028}");
        assert_eq!(
            to_go_json_line(&v),
            "\"\\u003ca\\u0026b\\u003e\\u0001\\n\\\"\\\\\\u2028\"\n"
        );
    }
}
