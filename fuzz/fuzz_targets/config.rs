//! Configuration parsing (HCL1 or JSON) never panics, nor does turning an accepted document
//! into a server or agent config; an accepted document re-encoded as JSON parses back to an
//! equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use spire_config::{AgentConfig, ServerConfig, parse_str};

/// serde_json refuses documents nested 128 containers deep or more. The HCL parser caps its
/// own block depth, but `key "l1" "l2" ... { }` wraps the body in one object per label, so an
/// accepted HCL file can map to a deeper value than JSON input may have. Only values within
/// serde_json's limit must round-trip; the rest are checked for "no panic" only.
const SERDE_JSON_MAX_DEPTH: usize = 127;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(value) = parse_str(&text, "fuzz") else {
        return;
    };
    assert!(
        value.is_object(),
        "parse_str returns an object at the top level"
    );
    let _ = ServerConfig::from_value(value.clone(), "fuzz");
    let _ = AgentConfig::from_value(value.clone(), "fuzz");

    let json = serde_json::to_string(&value).expect("a serde_json::Value always serializes");
    if depth(&value) > SERDE_JSON_MAX_DEPTH {
        return;
    }
    let again = parse_str(&json, "fuzz-json")
        .unwrap_or_else(|e| panic!("the JSON form of an accepted config must parse: {e}\n{json}"));
    assert!(
        same(&again, &value),
        "JSON round trip changed the value\n{json}\n{again:?}\n{value:?}"
    );
});

/// Equality, except that floats may differ in their last bits. Keys, strings, booleans,
/// integers and the kind of every number (integer or float) must match exactly.
///
/// Floats are not an identity: serde_json without its `float_roundtrip` feature (which the
/// workspace does not enable) reads decimal text with a fast algorithm that can land one ULP
/// off the nearest f64. `{"a": 8066...680}` (an integer too large for u64, so a float) reads
/// as 8.066666666666666e60, prints as that, and reads back as 8.066666666666667e60.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        _ => a == b,
    }
}

/// Containers on the deepest path: `{}` and `[]` count 1, scalars 0.
fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
