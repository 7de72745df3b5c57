//! SPIFFE bundle documents, standard JWKS and PEM, against hand-built golden files.

use spire_spiffe::{Bundle, BundleError, JwtAuthority, X509Authority};

use crate::testdata::*;

fn jwt(key_id: &str, spki: &[u8]) -> JwtAuthority {
    JwtAuthority {
        key_id: key_id.into(),
        public_key_der: spki.to_vec(),
        expires_at: 0,
        tainted: false,
    }
}

fn ca(der: &[u8]) -> X509Authority {
    X509Authority {
        der: der.to_vec(),
        tainted: false,
    }
}

fn golden_bundle() -> Bundle {
    Bundle {
        trust_domain: "example.org".into(),
        x509_authorities: vec![ca(EC_P256_CA_CERT), ca(RSA2048_CA_CERT)],
        jwt_authorities: vec![jwt("kid-p384", EC_P384_SPKI), jwt("kid-rsa", RSA2048_SPKI)],
        refresh_hint: 300,
        sequence_number: 7,
    }
}

fn parse(json: &str) -> Result<Bundle, BundleError> {
    Bundle::from_spiffe_json("example.org", json)
}

#[test]
fn spiffe_json_matches_spire_layout_byte_for_byte() {
    let json = golden_bundle().to_spiffe_json().expect("encodes");
    assert_eq!(json, TWO_CAS_TWO_JWT_KEYS_SPIFFE);
}

#[test]
fn spiffe_json_round_trips() {
    assert_eq!(parse(TWO_CAS_TWO_JWT_KEYS_SPIFFE), Ok(golden_bundle()));
}

#[test]
fn every_curve_and_rsa_round_trip_as_x509_and_jwt_keys() {
    let bundle = Bundle {
        trust_domain: "example.org".into(),
        x509_authorities: [
            EC_P256_CA_CERT,
            EC_P384_CA_CERT,
            EC_P521_CA_CERT,
            RSA2048_CA_CERT,
        ]
        .map(ca)
        .to_vec(),
        jwt_authorities: vec![
            jwt("a", EC_P256_SPKI),
            jwt("b", EC_P384_SPKI),
            jwt("c", EC_P521_SPKI),
            jwt("d", RSA2048_SPKI),
            jwt("e", ED25519_SPKI),
        ],
        refresh_hint: 0,
        sequence_number: 0,
    };
    let json = bundle.to_spiffe_json().expect("encodes");
    assert!(!json.contains("spiffe_sequence") && !json.contains("spiffe_refresh_hint"));
    assert_eq!(parse(&json), Ok(bundle));
}

#[test]
fn empty_bundle_has_empty_keys_array() {
    let bundle = Bundle {
        trust_domain: "example.org".into(),
        ..Bundle::default()
    };
    let json = bundle.to_spiffe_json().expect("encodes");
    assert_eq!(json, "{\n    \"keys\": []\n}");
    assert_eq!(parse(&json), Ok(bundle));
}

#[test]
fn jwks_json_is_standard_jwks_of_jwt_keys() {
    assert_eq!(
        golden_bundle().to_jwks_json().expect("encodes"),
        TWO_JWT_KEYS_JWKS
    );
}

#[test]
fn accepts_trust_domain_as_id() {
    let bundle = Bundle::from_spiffe_json("spiffe://example.org", TWO_CAS_TWO_JWT_KEYS_SPIFFE);
    assert_eq!(bundle.expect("parses").trust_domain, "example.org");
}

#[test]
fn refuses_bad_trust_domain() {
    assert!(matches!(
        Bundle::from_spiffe_json("Example.org", TWO_CAS_TWO_JWT_KEYS_SPIFFE),
        Err(BundleError::TrustDomain(_))
    ));
}

#[test]
fn refuses_bad_json_and_shapes() {
    assert!(matches!(parse("{"), Err(BundleError::Json(_))));
    assert_eq!(parse("[]"), Err(BundleError::NotAnObject));
    assert_eq!(parse("{}"), Err(BundleError::MissingKeys));
    assert_eq!(parse(r#"{"keys": null}"#), Err(BundleError::MissingKeys));
    assert_eq!(parse(r#"{"keys": {}}"#), Err(BundleError::KeysNotArray));
    assert_eq!(
        parse(r#"{"keys": [1]}"#),
        Err(BundleError::KeyNotObject { index: 0 })
    );
}

#[test]
fn refuses_bad_sequence_and_refresh_hint() {
    assert_eq!(
        parse(r#"{"keys": [], "spiffe_sequence": -1}"#),
        Err(BundleError::BadSequence)
    );
    assert_eq!(
        parse(r#"{"keys": [], "spiffe_sequence": "1"}"#),
        Err(BundleError::BadSequence)
    );
    assert_eq!(
        parse(r#"{"keys": [], "spiffe_refresh_hint": 1.5}"#),
        Err(BundleError::BadRefreshHint)
    );
    assert_eq!(
        parse(r#"{"keys": [], "spiffe_refresh_hint": -5}"#),
        Err(BundleError::BadRefreshHint)
    );
}

#[test]
fn refuses_missing_and_unknown_use() {
    assert_eq!(
        parse(r#"{"keys": [{"kty": "EC"}]}"#),
        Err(BundleError::MissingUse { index: 0 })
    );
    assert_eq!(
        parse(r#"{"keys": [{"use": "sig"}]}"#),
        Err(BundleError::UnknownUse {
            index: 0,
            value: "sig".into()
        })
    );
    assert_eq!(
        parse(r#"{"keys": [{"use": 1}]}"#),
        Err(BundleError::UseNotString { index: 0 })
    );
}

#[test]
fn skips_wit_svid_keys() {
    let bundle = parse(r#"{"keys": [{"use": "wit-svid", "kid": "w"}]}"#).expect("parses");
    assert!(bundle.jwt_authorities.is_empty() && bundle.x509_authorities.is_empty());
}

/// The golden document with its first key edited by `edit`.
fn with_first_key(edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(TWO_CAS_TWO_JWT_KEYS_SPIFFE).expect("JSON");
    let key = doc["keys"][0].as_object_mut().expect("key object");
    edit(key);
    doc.to_string()
}

#[test]
fn refuses_x509_key_without_single_certificate() {
    let json = with_first_key(|k| {
        k.remove("x5c");
    });
    assert_eq!(parse(&json), Err(BundleError::MissingX5c { index: 0 }));
    let json = with_first_key(|k| {
        k.insert("x5c".into(), serde_json::json!([]));
    });
    assert_eq!(
        parse(&json),
        Err(BundleError::X5cCount { index: 0, count: 0 })
    );
    let json = with_first_key(|k| {
        k.insert("x5c".into(), serde_json::json!([7]));
    });
    assert_eq!(parse(&json), Err(BundleError::X5cNotStrings { index: 0 }));
}

#[test]
fn refuses_bad_base64_and_bad_certificate() {
    let json = with_first_key(|k| {
        k.insert("x5c".into(), serde_json::json!(["not base64!"]));
    });
    assert!(matches!(
        parse(&json),
        Err(BundleError::X5cBase64 { index: 0, .. })
    ));
    let json = with_first_key(|k| {
        k.insert("x5c".into(), serde_json::json!(["AAAA"]));
    });
    assert!(matches!(
        parse(&json),
        Err(BundleError::BadCertificate { index: 0, .. })
    ));
}

#[test]
fn refuses_x509_key_whose_params_disagree_with_certificate() {
    let json = with_first_key(|k| {
        let y = k["y"].as_str().expect("y").to_owned();
        k.insert("x".into(), y.into());
    });
    assert_eq!(parse(&json), Err(BundleError::X5cKeyMismatch { index: 0 }));
}

#[test]
fn refuses_jwt_key_without_kid_or_with_duplicate_kid() {
    let p256: serde_json::Value = serde_json::from_str(EC_P256_JWK).expect("JSON");
    let mut key = p256.as_object().expect("object").clone();
    key.insert("use".into(), "jwt-svid".into());
    let doc = |keys: Vec<serde_json::Value>| serde_json::json!({ "keys": keys }).to_string();
    assert_eq!(
        parse(&doc(vec![key.clone().into()])),
        Err(BundleError::MissingKid { index: 0 })
    );
    key.insert("kid".into(), "".into());
    assert_eq!(
        parse(&doc(vec![key.clone().into()])),
        Err(BundleError::BadKid { index: 0 })
    );
    key.insert("kid".into(), "k".into());
    assert_eq!(
        parse(&doc(vec![key.clone().into(), key.into()])),
        Err(BundleError::DuplicateKid {
            index: 1,
            kid: "k".into()
        })
    );
}

#[test]
fn refuses_to_encode_unparsable_stored_keys() {
    let mut bundle = golden_bundle();
    bundle.jwt_authorities.push(jwt("broken", b"garbage"));
    assert!(matches!(
        bundle.to_spiffe_json(),
        Err(BundleError::StoredJwtKey { key_id, .. }) if key_id == "broken"
    ));
}

#[test]
fn escapes_kid_like_go() {
    let mut bundle = golden_bundle();
    bundle.jwt_authorities = vec![jwt("a<b>&\"c", EC_P256_SPKI)];
    let json = bundle.to_jwks_json().expect("encodes");
    assert!(
        json.contains(r#""kid": "a\u003cb\u003e\u0026\"c""#),
        "{json}"
    );
}

#[test]
fn pem_matches_openssl_output_and_round_trips() {
    let bundle = Bundle {
        trust_domain: "example.org".into(),
        x509_authorities: vec![ca(EC_P256_CA_CERT), ca(RSA2048_CA_CERT)],
        ..Bundle::default()
    };
    assert_eq!(bundle.x509_pem(), TWO_CA_CERTS_PEM);
    assert_eq!(
        Bundle::from_pem("example.org", TWO_CA_CERTS_PEM),
        Ok(bundle)
    );
}

#[test]
fn pem_refuses_other_blocks_and_empty_input() {
    assert_eq!(
        Bundle::from_pem("example.org", "no pem here"),
        Err(BundleError::NoCertificates)
    );
    let key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    assert_eq!(
        Bundle::from_pem("example.org", key),
        Err(BundleError::NotCertificatePem {
            index: 0,
            tag: "PUBLIC KEY".into()
        })
    );
    let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        Bundle::from_pem("example.org", bad),
        Err(BundleError::BadCertificate { index: 0, .. })
    ));
}
