//! JWK <-> SPKI DER conversions against fixed openssl vectors.

use serde_json::{Map, Value};
use spire_spiffe::{EcCurve, JwkError, JwkPublicKey};

use crate::testdata::*;

fn params(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).expect("test vector is JSON") {
        Value::Object(map) => map,
        other => panic!("test vector is not an object: {other}"),
    }
}

fn encoded(key: &JwkPublicKey) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("kty".into(), key.kty().into());
    if let Some(crv) = key.crv() {
        map.insert("crv".into(), crv.into());
    }
    for (name, value) in key.encoded_params() {
        map.insert(name.into(), value.into());
    }
    map
}

const VECTORS: [(&str, &[u8], &str); 5] = [
    ("ec_p256", EC_P256_SPKI, EC_P256_JWK),
    ("ec_p384", EC_P384_SPKI, EC_P384_JWK),
    ("ec_p521", EC_P521_SPKI, EC_P521_JWK),
    ("rsa2048", RSA2048_SPKI, RSA2048_JWK),
    ("ed25519", ED25519_SPKI, ED25519_JWK),
];

#[test]
fn spki_der_converts_to_the_openssl_jwk_parameters() {
    for (name, spki, jwk) in VECTORS {
        let key = JwkPublicKey::from_spki_der(spki).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(encoded(&key), params(jwk), "{name}");
    }
}

#[test]
fn jwk_parameters_encode_to_the_openssl_spki_der() {
    for (name, spki, jwk) in VECTORS {
        let key =
            JwkPublicKey::from_jwk_params(&params(jwk)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.to_spki_der(), spki, "{name}");
    }
}

#[test]
fn reads_ec_curve_and_coordinates() {
    let JwkPublicKey::Ec { curve, x, y } =
        JwkPublicKey::from_spki_der(EC_P521_SPKI).expect("valid")
    else {
        panic!("P-521 vector is not EC");
    };
    assert_eq!(curve, EcCurve::P521);
    assert_eq!((x.len(), y.len()), (66, 66));
}

#[test]
fn rsa_exponent_is_minimal() {
    let key = JwkPublicKey::from_spki_der(RSA2048_SPKI).expect("valid");
    let JwkPublicKey::Rsa { n, e } = key else {
        panic!("RSA vector is not RSA")
    };
    assert_eq!(e, [1, 0, 1]);
    assert_eq!(n.len(), 256);
}

#[test]
fn rsa_parameters_with_leading_zeros_are_accepted_and_trimmed() {
    let mut jwk = params(RSA2048_JWK);
    jwk.insert("e".into(), "AAEAAQ".into()); // 0x00 0x01 0x00 0x01
    let key = JwkPublicKey::from_jwk_params(&jwk).expect("leading zeros tolerated");
    assert_eq!(key.to_spki_der(), RSA2048_SPKI);
}

#[test]
fn refuses_wrong_coordinate_length() {
    let mut jwk = params(EC_P256_JWK);
    jwk.insert("x".into(), "AAAA".into());
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::BadLength {
            param: "x",
            expected: 32,
            actual: 3
        })
    );
}

#[test]
fn refuses_unknown_key_type_and_curve() {
    let mut jwk = params(EC_P256_JWK);
    jwk.insert("crv".into(), "secp256k1".into());
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::UnsupportedCurve("secp256k1".into()))
    );
    jwk.insert("kty".into(), "oct".into());
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::UnsupportedKeyType("oct".into()))
    );
}

#[test]
fn refuses_missing_and_non_string_parameters() {
    let mut jwk = params(EC_P256_JWK);
    jwk.remove("y");
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::MissingParam("y"))
    );
    jwk.insert("y".into(), 5.into());
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::ParamNotString("y"))
    );
}

#[test]
fn refuses_padded_or_standard_base64() {
    let mut jwk = params(EC_P256_JWK);
    jwk.insert(
        "x".into(),
        "EGZW9ulhHPJqineTpVPV69wmaiHSa1KpX/9HcOOA/WU=".into(),
    );
    assert!(matches!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::BadBase64 { param: "x", .. })
    ));
}

#[test]
fn refuses_zero_rsa_modulus() {
    let mut jwk = params(RSA2048_JWK);
    jwk.insert("n".into(), "AAA".into());
    assert_eq!(
        JwkPublicKey::from_jwk_params(&jwk),
        Err(JwkError::Zero("n"))
    );
}

#[test]
fn refuses_spki_with_trailing_bytes_or_garbage() {
    let mut long = EC_P256_SPKI.to_vec();
    long.push(0);
    assert_eq!(
        JwkPublicKey::from_spki_der(&long),
        Err(JwkError::TrailingBytes(1))
    );
    assert!(matches!(
        JwkPublicKey::from_spki_der(b"not der"),
        Err(JwkError::BadSpki(_))
    ));
}

#[test]
fn refuses_compressed_ec_point() {
    let key = JwkPublicKey::from_spki_der(EC_P256_SPKI).expect("valid");
    let JwkPublicKey::Ec { x, .. } = key else {
        panic!("not EC")
    };
    // Same SPKI layout with a 33-byte compressed point: header changes length bytes.
    let mut compressed = vec![0x30, 0x39, 0x30, 0x13];
    compressed.extend_from_slice(&EC_P256_SPKI[4..23]); // the AlgorithmIdentifier body
    compressed.extend_from_slice(&[0x03, 0x22, 0x00, 0x02]);
    compressed.extend_from_slice(&x);
    assert_eq!(
        JwkPublicKey::from_spki_der(&compressed),
        Err(JwkError::BadEcPoint { expected: 65 })
    );
}
