//! Mint → validate round trips for every key type, and one test per rejection rule.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA512, RSA_PSS_SHA256,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{Key, KeyManager, KeyType};
use spire_spiffe::{Bundle, JwtAuthority};

use super::*;

const NOW: i64 = 1_700_000_000;
const SUB: &str = "spiffe://example.org/workload";
const KID: &str = "kid-A";

fn key(key_type: KeyType) -> Arc<dyn Key> {
    MemoryKeyManager::new()
        .generate_key("JWT-Signer-A", key_type)
        .expect("memory keygen succeeds")
}

fn claims() -> JwtSvidClaims {
    JwtSvidClaims {
        sub: SUB.into(),
        aud: vec!["spire-test".into()],
        exp: NOW + 300,
        iat: NOW,
        iss: None,
        jti: None,
    }
}

fn bundle_with(kid: &str, spki: &[u8]) -> Bundle {
    Bundle {
        trust_domain: "example.org".into(),
        jwt_authorities: vec![JwtAuthority {
            key_id: kid.into(),
            public_key_der: spki.to_vec(),
            expires_at: 0,
            tainted: false,
        }],
        ..Bundle::default()
    }
}

fn validate_with(token: &str, bundle: &Bundle) -> Result<ValidatedJwtSvid, JwtError> {
    let bundle = bundle.clone();
    validate_jwt_svid(
        token,
        &move |td: &str| (td == "example.org").then(|| bundle.clone()),
        &["spire-test".to_owned()],
        NOW,
    )
}

/// Signs arbitrary header and claims JSON with `key` as `alg` says, for rule tests.
fn forge(key: &dyn Key, header: Value, claims: Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let der = key.sign(input.as_bytes()).expect("signs");
    let sig = match key.key_type() {
        KeyType::EcP256 => ecdsa_signature::der_to_fixed(&der, 32).expect("valid DER"),
        KeyType::EcP384 => ecdsa_signature::der_to_fixed(&der, 48).expect("valid DER"),
        _ => der,
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn es256_header() -> Value {
    json!({"alg": "ES256", "kid": KID, "typ": "JWT"})
}

fn good_claims() -> Value {
    json!({"sub": SUB, "aud": ["spire-test"], "exp": NOW + 300, "iat": NOW})
}

/// Forges a token with an ES256 key and validates it against that key's bundle.
fn check_forged(header: Value, claims: Value) -> Result<ValidatedJwtSvid, JwtError> {
    let key = key(KeyType::EcP256);
    let token = forge(key.as_ref(), header, claims);
    validate_with(&token, &bundle_with(KID, key.public_key_der()))
}

#[test]
fn mint_then_validate_round_trips_for_every_key_type() {
    for key_type in [
        KeyType::EcP256,
        KeyType::EcP384,
        KeyType::Rsa2048,
        KeyType::Rsa4096,
    ] {
        let key = key(key_type);
        let token = mint_jwt_svid(key.as_ref(), KID, &claims()).expect("mints");
        let valid = validate_with(&token, &bundle_with(KID, key.public_key_der()))
            .unwrap_or_else(|e| panic!("{key_type} token must validate: {e}"));
        assert_eq!(valid.spiffe_id.as_str(), SUB);
        assert_eq!(valid.key_id, KID);
        assert_eq!(valid.expires_at, NOW + 300);
        assert_eq!(valid.claims["aud"], json!(["spire-test"]));
        assert_eq!(valid.claims["iat"], json!(NOW));
    }
}

#[test]
fn minted_header_names_algorithm_kid_and_type() {
    let expected = [
        (KeyType::EcP256, "ES256"),
        (KeyType::EcP384, "ES384"),
        (KeyType::Rsa2048, "RS256"),
    ];
    for (key_type, alg) in expected {
        let token = mint_jwt_svid(key(key_type).as_ref(), KID, &claims()).expect("mints");
        let header_b64 = token.split('.').next().expect("has a header");
        let header = URL_SAFE_NO_PAD.decode(header_b64).expect("base64url");
        let expected_header = format!(r#"{{"alg":"{alg}","kid":"{KID}","typ":"JWT"}}"#);
        assert_eq!(String::from_utf8(header).expect("utf-8"), expected_header);
    }
}

#[test]
fn minted_claims_match_spire_layout_with_optional_members() {
    let mut c = claims();
    c.aud = vec!["a".into(), String::new(), "b".into()];
    c.iss = Some("https://oidc.example.org".into());
    c.jti = Some("token-1".into());
    let token = mint_jwt_svid(key(KeyType::EcP256).as_ref(), KID, &c).expect("mints");
    let body_b64 = token.split('.').nth(1).expect("has claims");
    let body =
        String::from_utf8(URL_SAFE_NO_PAD.decode(body_b64).expect("base64url")).expect("utf-8");
    let expected = format!(
        r#"{{"aud":["a","b"],"exp":{},"iat":{NOW},"iss":"https://oidc.example.org","jti":"token-1","sub":"{SUB}"}}"#,
        NOW + 300
    );
    assert_eq!(body, expected);
}

#[test]
fn mint_rejects_empty_audience() {
    let mut c = claims();
    c.aud = vec![String::new()];
    let err = mint_jwt_svid(key(KeyType::EcP256).as_ref(), KID, &c).expect_err("no audience");
    assert!(matches!(err, JwtError::EmptyAudience), "{err:?}");
}

#[test]
fn mint_rejects_empty_kid() {
    let err = mint_jwt_svid(key(KeyType::EcP256).as_ref(), "", &claims()).expect_err("no kid");
    assert!(matches!(err, JwtError::EmptyKeyId), "{err:?}");
}

#[test]
fn mint_rejects_subject_that_is_not_a_spiffe_id() {
    let mut c = claims();
    c.sub = "https://example.org/workload".into();
    let err = mint_jwt_svid(key(KeyType::EcP256).as_ref(), KID, &c).expect_err("bad sub");
    assert!(matches!(err, JwtError::InvalidSubject { .. }), "{err:?}");
}

#[test]
fn validates_es512_tokens() {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, &rng).expect("gen");
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, pkcs8.as_ref()).expect("load");
    let spki = pair.public_key().as_der().expect("spki");
    let token = external_token("ES512", |input| {
        pair.sign(&rng, input).expect("sign").as_ref().to_vec()
    });
    let valid = validate_with(&token, &bundle_with(KID, spki.as_ref())).expect("ES512 accepted");
    assert_eq!(valid.spiffe_id.as_str(), SUB);
}

#[test]
fn validates_ps256_and_rs512_tokens() {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("gen");
    let spki = pair.public_key().as_der().expect("spki");
    let rng = SystemRandom::new();
    for (alg, padding) in [
        (
            "PS256",
            &RSA_PSS_SHA256 as &dyn aws_lc_rs::signature::RsaEncoding,
        ),
        ("RS512", &RSA_PKCS1_SHA512),
    ] {
        let token = external_token(alg, |input| {
            let mut sig = vec![0; pair.public_modulus_len()];
            pair.sign(padding, &rng, input, &mut sig).expect("sign");
            sig
        });
        validate_with(&token, &bundle_with(KID, spki.as_ref()))
            .unwrap_or_else(|e| panic!("{alg} must validate: {e}"));
    }
}

fn external_token(alg: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": KID}).to_string()),
        URL_SAFE_NO_PAD.encode(good_claims().to_string())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[test]
fn accepts_single_string_audience() {
    let mut c = good_claims();
    c["aud"] = json!("spire-test");
    check_forged(es256_header(), c).expect("string aud is valid");
}

#[test]
fn rejects_alg_none() {
    let err = check_forged(json!({"alg": "none", "kid": KID}), good_claims()).expect_err("none");
    assert!(matches!(err, JwtError::AlgorithmNone), "{err:?}");
}

#[test]
fn rejects_hmac_algorithms() {
    let err = check_forged(json!({"alg": "HS256", "kid": KID}), good_claims()).expect_err("HS");
    assert!(
        matches!(err, JwtError::HmacAlgorithm(ref a) if a == "HS256"),
        "{err:?}"
    );
}

#[test]
fn rejects_unknown_algorithm() {
    let err = check_forged(json!({"alg": "EdDSA", "kid": KID}), good_claims()).expect_err("alg");
    assert!(matches!(err, JwtError::UnsupportedAlgorithm(_)), "{err:?}");
}

#[test]
fn rejects_missing_algorithm() {
    let err = check_forged(json!({"kid": KID}), good_claims()).expect_err("no alg");
    assert!(matches!(err, JwtError::MissingAlgorithm), "{err:?}");
}

#[test]
fn rejects_missing_kid() {
    let err = check_forged(json!({"alg": "ES256"}), good_claims()).expect_err("no kid");
    assert!(matches!(err, JwtError::MissingKeyId), "{err:?}");
}

#[test]
fn rejects_unexpected_typ() {
    let header = json!({"alg": "ES256", "kid": KID, "typ": "at+jwt"});
    let err = check_forged(header, good_claims()).expect_err("typ");
    assert!(matches!(err, JwtError::UnsupportedType(_)), "{err:?}");
}

#[test]
fn rejects_critical_header_extensions() {
    let header = json!({"alg": "ES256", "kid": KID, "crit": ["b64"], "b64": false});
    let err = check_forged(header, good_claims()).expect_err("crit");
    assert!(matches!(err, JwtError::CriticalHeader(_)), "{err:?}");
}

#[test]
fn rejects_missing_exp() {
    let mut c = good_claims();
    c.as_object_mut().expect("object").remove("exp");
    let err = check_forged(es256_header(), c).expect_err("no exp");
    assert!(matches!(err, JwtError::MissingExpiry), "{err:?}");
}

#[test]
fn rejects_non_numeric_exp() {
    let mut c = good_claims();
    c["exp"] = json!("tomorrow");
    let err = check_forged(es256_header(), c).expect_err("string exp");
    assert!(matches!(err, JwtError::ClaimType("exp")), "{err:?}");
}

#[test]
fn rejects_expired_token_beyond_leeway() {
    let mut c = good_claims();
    c["exp"] = json!(NOW - CLOCK_SKEW_LEEWAY_SECS - 1);
    let err = check_forged(es256_header(), c).expect_err("expired");
    assert!(matches!(err, JwtError::Expired { .. }), "{err:?}");
}

#[test]
fn accepts_token_expired_within_leeway() {
    let mut c = good_claims();
    c["exp"] = json!(NOW - CLOCK_SKEW_LEEWAY_SECS);
    check_forged(es256_header(), c).expect("within go-jose leeway");
}

#[test]
fn rejects_token_not_yet_valid() {
    let mut c = good_claims();
    c["nbf"] = json!(NOW + 3600);
    let err = check_forged(es256_header(), c).expect_err("nbf");
    assert!(matches!(err, JwtError::NotYetValid { .. }), "{err:?}");
}

#[test]
fn rejects_token_issued_in_future() {
    let mut c = good_claims();
    c["iat"] = json!(NOW + 3600);
    let err = check_forged(es256_header(), c).expect_err("iat");
    assert!(matches!(err, JwtError::IssuedInFuture { .. }), "{err:?}");
}

#[test]
fn rejects_missing_aud() {
    let mut c = good_claims();
    c.as_object_mut().expect("object").remove("aud");
    let err = check_forged(es256_header(), c).expect_err("no aud");
    assert!(matches!(err, JwtError::MissingAudience), "{err:?}");
}

#[test]
fn rejects_empty_aud_list() {
    let mut c = good_claims();
    c["aud"] = json!([]);
    let err = check_forged(es256_header(), c).expect_err("empty aud");
    assert!(matches!(err, JwtError::MissingAudience), "{err:?}");
}

#[test]
fn rejects_audience_not_expected() {
    let mut c = good_claims();
    c["aud"] = json!(["someone-else"]);
    let err = check_forged(es256_header(), c).expect_err("aud mismatch");
    assert!(matches!(err, JwtError::AudienceMismatch { .. }), "{err:?}");
}

#[test]
fn rejects_when_no_audience_is_expected() {
    let key = key(KeyType::EcP256);
    let token = mint_jwt_svid(key.as_ref(), KID, &claims()).expect("mints");
    let bundle = bundle_with(KID, key.public_key_der());
    let err = validate_jwt_svid(&token, &|_| Some(bundle.clone()), &[], NOW)
        .expect_err("no expected audience");
    assert!(matches!(err, JwtError::NoExpectedAudience), "{err:?}");
}

#[test]
fn rejects_missing_sub() {
    let mut c = good_claims();
    c.as_object_mut().expect("object").remove("sub");
    let err = check_forged(es256_header(), c).expect_err("no sub");
    assert!(matches!(err, JwtError::MissingSubject), "{err:?}");
}

#[test]
fn rejects_sub_that_is_not_a_spiffe_id() {
    let mut c = good_claims();
    c["sub"] = json!("spiffe://example.org/../admin");
    let err = check_forged(es256_header(), c).expect_err("bad sub");
    assert!(matches!(err, JwtError::InvalidSubject { .. }), "{err:?}");
}

#[test]
fn rejects_unknown_trust_domain() {
    let mut c = good_claims();
    c["sub"] = json!("spiffe://other.org/workload");
    let err = check_forged(es256_header(), c).expect_err("no bundle");
    assert!(
        matches!(err, JwtError::NoBundle(ref td) if td == "other.org"),
        "{err:?}"
    );
}

#[test]
fn rejects_kid_not_in_bundle() {
    let key = key(KeyType::EcP256);
    let token = mint_jwt_svid(key.as_ref(), "kid-unknown", &claims()).expect("mints");
    let err = validate_with(&token, &bundle_with(KID, key.public_key_der())).expect_err("kid");
    assert!(matches!(err, JwtError::KeyNotFound { ref kid, .. } if kid == "kid-unknown"));
}

#[test]
fn rejects_signature_from_another_key() {
    let signer = key(KeyType::EcP256);
    let other = key(KeyType::EcP256);
    let token = mint_jwt_svid(signer.as_ref(), KID, &claims()).expect("mints");
    let err = validate_with(&token, &bundle_with(KID, other.public_key_der())).expect_err("sig");
    assert!(matches!(err, JwtError::BadSignature), "{err:?}");
}

#[test]
fn rejects_tampered_claims() {
    let key = key(KeyType::Rsa2048);
    let token = mint_jwt_svid(key.as_ref(), KID, &claims()).expect("mints");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut forged = claims();
    forged.sub = "spiffe://example.org/admin".into();
    let other = mint_jwt_svid(key.as_ref(), KID, &forged).expect("mints");
    parts[1] = other.split('.').nth(1).expect("claims").to_owned();
    let err = validate_with(&parts.join("."), &bundle_with(KID, key.public_key_der()))
        .expect_err("tampered");
    assert!(matches!(err, JwtError::BadSignature), "{err:?}");
}

#[test]
fn rejects_alg_confusion_es384_header_on_p256_key() {
    let key = key(KeyType::EcP256);
    let header = json!({"alg": "ES384", "kid": KID});
    let token = forge(key.as_ref(), header, good_claims());
    let err = validate_with(&token, &bundle_with(KID, key.public_key_der())).expect_err("alg");
    assert!(matches!(err, JwtError::BadSignature), "{err:?}");
}

#[test]
fn rejects_oversized_token() {
    let token = "a".repeat(MAX_TOKEN_BYTES + 1);
    let err = validate_with(&token, &Bundle::default()).expect_err("too large");
    assert!(matches!(err, JwtError::TooLarge { .. }), "{err:?}");
}

#[test]
fn rejects_wrong_segment_count() {
    let err = validate_with("a.b", &Bundle::default()).expect_err("two segments");
    assert!(matches!(err, JwtError::SegmentCount(2)), "{err:?}");
    let err = validate_with("a.b.c.d.e", &Bundle::default()).expect_err("JWE-like");
    assert!(matches!(err, JwtError::SegmentCount(5)), "{err:?}");
}

#[test]
fn rejects_bad_base64() {
    let err = validate_with("!!!.e30.e30", &Bundle::default()).expect_err("bad base64");
    assert!(
        matches!(err, JwtError::Base64 { segment: "header" }),
        "{err:?}"
    );
}

#[test]
fn rejects_padded_base64() {
    let header = URL_SAFE_NO_PAD.encode(es256_header().to_string()) + "==";
    let err = validate_with(&format!("{header}.e30.e30"), &Bundle::default()).expect_err("padding");
    assert!(matches!(err, JwtError::Base64 { .. }), "{err:?}");
}

#[test]
fn rejects_non_object_json() {
    let header = URL_SAFE_NO_PAD.encode("[1,2]");
    let err = validate_with(&format!("{header}.e30.e30"), &Bundle::default()).expect_err("json");
    assert!(
        matches!(
            err,
            JwtError::Json {
                segment: "header",
                ..
            }
        ),
        "{err:?}"
    );
    let header = URL_SAFE_NO_PAD.encode(es256_header().to_string());
    let claims = URL_SAFE_NO_PAD.encode("{not json");
    let err =
        validate_with(&format!("{header}.{claims}.e30"), &Bundle::default()).expect_err("json");
    assert!(
        matches!(
            err,
            JwtError::Json {
                segment: "claims",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn generate_kid_is_32_alphanumeric_chars() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = generate_kid(&mut rng);
    let b = generate_kid(&mut rng);
    assert_eq!(a.len(), KID_LEN);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
    assert_ne!(a, b);
}
