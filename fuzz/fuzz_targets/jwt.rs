//! JWT-SVIDs: validation never panics and never accepts a token the process did not sign
//! (fuzz input cannot forge or tamper a signature), and a minted token validates back to the
//! same SPIFFE ID, key id, expiry and audience, or fails for exactly the reason its claims give.
//!
//! The first input byte picks the mode; the rest is the token text (forged), the claims
//! (round trip) or a byte mask over a freshly minted token (tampered).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::arbitrary::{Result as ArbitraryResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use spire_ca::jwt::{
    CLOCK_SKEW_LEEWAY_SECS, JwtError, JwtSvidClaims, MAX_TOKEN_BYTES, mint_jwt_svid,
    validate_jwt_svid,
};
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{Key, KeyManager, KeyType};
use spire_spiffe::{Bundle, JwtAuthority, SpiffeId};

const NOW: i64 = 1_750_000_000;
const AUDIENCE: &str = "fuzz-audience";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let _ = match mode % 3 {
        0 => {
            forged(rest);
            Ok(())
        }
        1 => round_trip(&mut Unstructured::new(rest)),
        _ => tampered(&mut Unstructured::new(rest)),
    };
});

/// Arbitrary text is never a valid JWT-SVID. The bundle holds keys that never sign anything,
/// so no valid token exists anywhere in the process for the fuzzer to learn from comparisons:
/// an Ok here can only mean validation accepted a bad signature.
fn forged(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    let audience = [AUDIENCE.to_owned()];
    let result = validate_jwt_svid(&token, &|td| Some(bundle(td, forge_keys())), &audience, NOW);
    assert!(
        result.is_err(),
        "validated a token no key signed: {result:?}\n{token}"
    );
}

/// Claims built from the input are minted, then validated with the signing key's bundle.
fn round_trip(u: &mut Unstructured<'_>) -> ArbitraryResult<()> {
    let (kid, key) = &signing_keys()[u.choose_index(3)?];
    let sub = if u.arbitrary()? {
        subject_in_example_org(u)?
    } else {
        u.arbitrary::<String>()?
    };
    let aud: Vec<String> = u.arbitrary()?;
    let iat: i64 = u.arbitrary()?;
    let exp = iat.saturating_add(i64::from(u.arbitrary::<i32>()?));
    let now = iat.saturating_add(i64::from(u.arbitrary::<i16>()?));
    let claims = JwtSvidClaims {
        sub,
        aud,
        exp,
        iat,
        iss: u.arbitrary()?,
        jti: u.arbitrary()?,
    };
    // A kid of the input's choosing half the time, so the empty-kid rule is reached too.
    let kid = if u.arbitrary()? {
        u.arbitrary::<String>()?
    } else {
        (*kid).to_owned()
    };
    let audience: Vec<&str> = claims
        .aud
        .iter()
        .map(String::as_str)
        .filter(|a| !a.is_empty())
        .collect();
    let expected_audience = match u.arbitrary::<bool>()? {
        true if !audience.is_empty() => audience[u.choose_index(audience.len())?].to_owned(),
        _ => u.arbitrary::<String>()?,
    };

    let minted = mint_jwt_svid(key.as_ref(), &kid, &claims);
    let should_mint = SpiffeId::new(&claims.sub).is_ok() && !kid.is_empty() && !audience.is_empty();
    let token = match minted {
        Ok(token) if should_mint => token,
        Err(err) if !should_mint => {
            assert!(
                matches!(
                    err,
                    JwtError::InvalidSubject { .. }
                        | JwtError::EmptyKeyId
                        | JwtError::EmptyAudience
                ),
                "unexpected mint error {err:?}"
            );
            return Ok(());
        }
        other => panic!("mint gave {other:?} for {claims:?} kid {kid:?}"),
    };

    let bundle_for = |td: &str| {
        let mut bundle = bundle(td, &[]);
        bundle.jwt_authorities.push(authority(&kid, key.as_ref()));
        Some(bundle)
    };
    let result = validate_jwt_svid(
        &token,
        &bundle_for,
        std::slice::from_ref(&expected_audience),
        now,
    );
    if token.len() > MAX_TOKEN_BYTES {
        assert!(
            matches!(result, Err(JwtError::TooLarge { .. })),
            "{result:?}"
        );
    } else if now.saturating_sub(CLOCK_SKEW_LEEWAY_SECS) > exp {
        assert!(
            matches!(result, Err(JwtError::Expired { .. })),
            "{result:?}"
        );
    } else if now.saturating_add(CLOCK_SKEW_LEEWAY_SECS) < iat {
        assert!(
            matches!(result, Err(JwtError::IssuedInFuture { .. })),
            "{result:?}"
        );
    } else if !audience.contains(&expected_audience.as_str()) {
        assert!(
            matches!(result, Err(JwtError::AudienceMismatch { .. })),
            "{result:?}"
        );
    } else {
        let svid = result.unwrap_or_else(|e| panic!("our own token failed validation: {e:?}"));
        assert_eq!(svid.spiffe_id.to_string(), claims.sub);
        assert_eq!(svid.key_id, kid);
        assert_eq!(svid.expires_at, exp);
        assert_eq!(svid.claims.get("sub"), Some(&json!(claims.sub)));
        assert_eq!(svid.claims.get("aud"), Some(&json!(audience)));
        assert_eq!(svid.claims.get("iat"), Some(&json!(iat)));
        assert_eq!(svid.claims.get("iss"), claims.iss.map(Value::from).as_ref());
        assert_eq!(svid.claims.get("jti"), claims.jti.map(Value::from).as_ref());
    }
    Ok(())
}

/// A token minted here and changed by the input's byte mask never validates. ECDSA tokens are
/// re-signed every run (random nonces); RSA PKCS#1 v1.5 signatures have a single valid form,
/// and base64url without padding has one encoding per byte string, so any change breaks it.
fn tampered(u: &mut Unstructured<'_>) -> ArbitraryResult<()> {
    let (kid, key) = &signing_keys()[u.choose_index(3)?];
    let claims = JwtSvidClaims {
        sub: "spiffe://example.org/fuzz".to_owned(),
        aud: vec![AUDIENCE.to_owned()],
        exp: NOW + 300,
        iat: NOW,
        iss: None,
        jti: None,
    };
    let token = mint_jwt_svid(key.as_ref(), kid, &claims).expect("fixed valid claims mint");
    let mut bytes = token.clone().into_bytes();
    while !u.is_empty() {
        let at = u.choose_index(bytes.len())?;
        bytes[at] ^= u.arbitrary::<u8>()?;
    }
    let Ok(changed) = String::from_utf8(bytes) else {
        return Ok(());
    };
    let bundle_for = |td: &str| {
        let mut bundle = bundle(td, &[]);
        bundle.jwt_authorities.push(authority(kid, key.as_ref()));
        Some(bundle)
    };
    let result = validate_jwt_svid(&changed, &bundle_for, &[AUDIENCE.to_owned()], NOW);
    if changed == token {
        assert!(result.is_ok(), "the untouched token validates: {result:?}");
    } else {
        assert!(
            result.is_err(),
            "a tampered token validated: {result:?}\n{token}\n{changed}"
        );
    }
    Ok(())
}

/// `spiffe://example.org/` plus path characters, some of them ones the ID rules refuse.
fn subject_in_example_org(u: &mut Unstructured<'_>) -> ArbitraryResult<String> {
    const PATH_CHARS: &[u8] = b"abcz09-._/%A~:@";
    let len = u.int_in_range(0..=40)?;
    let mut sub = String::from("spiffe://example.org/");
    for _ in 0..len {
        sub.push(char::from(*u.choose(PATH_CHARS)?));
    }
    Ok(sub)
}

type SigningKey = (&'static str, Arc<dyn Key>);

/// One key of each type JWT-SVIDs are signed with, generated once per process.
fn signing_keys() -> &'static [SigningKey; 3] {
    static KEYS: OnceLock<[SigningKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| generate(["kid-ec-p256", "kid-ec-p384", "kid-rsa-2048"]))
}

/// Keys that are only ever published, never used to sign: see [`forged`].
fn forge_keys() -> &'static [SigningKey; 3] {
    static KEYS: OnceLock<[SigningKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| generate(["kid-ec-p256", "kid-ec-p384", "kid-rsa-2048"]))
}

fn generate(kids: [&'static str; 3]) -> [SigningKey; 3] {
    let km = MemoryKeyManager::new();
    let types = [KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048];
    std::array::from_fn(|i| {
        let key = km
            .generate_key(kids[i], types[i])
            .expect("the memory KeyManager generates keys");
        (kids[i], key)
    })
}

fn bundle(trust_domain: &str, keys: &[SigningKey]) -> Bundle {
    Bundle {
        trust_domain: trust_domain.to_owned(),
        jwt_authorities: keys
            .iter()
            .map(|(kid, key)| authority(kid, key.as_ref()))
            .collect(),
        ..Bundle::default()
    }
}

fn authority(kid: &str, key: &dyn Key) -> JwtAuthority {
    JwtAuthority {
        key_id: kid.to_owned(),
        public_key_der: key.public_key_der().to_vec(),
        expires_at: 0,
        tainted: false,
    }
}
