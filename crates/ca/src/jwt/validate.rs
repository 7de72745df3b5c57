//! Validation of JWT-SVIDs, ours or foreign ones: structure, algorithm allow-list, subject,
//! signature under the subject trust domain's JWT authority named by `kid`, then time and
//! audience, in the order SPIRE's `jwtsvid.ValidateToken` applies them.

use aws_lc_rs::signature::UnparsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use spire_spiffe::{Bundle, SpiffeId};

use super::JwtError;
use super::algorithm::Algorithm;

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Clock skew tolerated on `exp`, `nbf` and `iat`: go-jose's default leeway, which SPIRE
/// validates with, so a token SPIRE accepts is accepted here.
pub const CLOCK_SKEW_LEEWAY_SECS: i64 = 60;

/// A JWT-SVID whose signature, subject, lifetime and audience were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedJwtSvid {
    pub spiffe_id: SpiffeId,
    /// Every claim of the token, as the Workload API's ValidateJWTSVID returns them.
    pub claims: Map<String, Value>,
    /// The `kid` of the JWT authority that signed it.
    pub key_id: String,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Validates `token` as a JWT-SVID for one of `audience` at time `now_unix`.
///
/// `bundle_for` is asked for the bundle of the subject's trust domain (by name, e.g.
/// `example.org`); the key is the bundle's JWT authority whose `key_id` equals the header
/// `kid`. Tainted authorities still validate (SPIRE only stops signing with them).
pub fn validate_jwt_svid(
    token: &str,
    bundle_for: &dyn Fn(&str) -> Option<Bundle>,
    audience: &[String],
    now_unix: i64,
) -> Result<ValidatedJwtSvid, JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge {
            len: token.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = segments[..] else {
        return Err(JwtError::SegmentCount(segments.len()));
    };
    let header = decode_object(header_b64, "header")?;
    let algorithm = header_algorithm(&header)?;
    let key_id = header_key_id(&header)?;
    let claims = decode_object(claims_b64, "claims")?;

    let spiffe_id = subject(&claims)?;
    let expires_at = numeric_date(&claims, "exp")?.ok_or(JwtError::MissingExpiry)?;

    let trust_domain = spiffe_id.trust_domain().as_str();
    let bundle = bundle_for(trust_domain).ok_or_else(|| JwtError::NoBundle(trust_domain.into()))?;
    let authority = bundle
        .jwt_authorities
        .iter()
        .find(|a| a.key_id == key_id)
        .ok_or_else(|| JwtError::KeyNotFound {
            kid: key_id.clone(),
            trust_domain: trust_domain.into(),
        })?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwtError::Base64 {
            segment: "signature",
        })?;
    let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
    UnparsedPublicKey::new(algorithm.verifier(), &authority.public_key_der)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| JwtError::BadSignature)?;

    check_lifetime(&claims, expires_at, now_unix)?;
    check_audience(&claims, audience)?;
    Ok(ValidatedJwtSvid {
        spiffe_id,
        claims,
        key_id,
        expires_at,
    })
}

fn decode_object(segment_b64: &str, segment: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment_b64)
        .map_err(|_| JwtError::Base64 { segment })?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JwtError::Json {
            segment,
            message: "not an object".into(),
        }),
        Err(err) => Err(JwtError::Json {
            segment,
            message: err.to_string(),
        }),
    }
}

fn header_algorithm(header: &Map<String, Value>) -> Result<Algorithm, JwtError> {
    let alg = match header.get("alg") {
        None | Some(Value::Null) => return Err(JwtError::MissingAlgorithm),
        Some(Value::String(alg)) => alg,
        Some(other) => return Err(JwtError::UnsupportedAlgorithm(other.to_string())),
    };
    let algorithm = Algorithm::from_header(alg)?;
    match header.get("typ") {
        None => {}
        Some(Value::String(typ)) if typ == "JWT" || typ == "JOSE" => {}
        Some(other) => return Err(JwtError::UnsupportedType(other.to_string())),
    }
    if let Some(crit) = header.get("crit") {
        return Err(JwtError::CriticalHeader(crit.to_string()));
    }
    Ok(algorithm)
}

fn header_key_id(header: &Map<String, Value>) -> Result<String, JwtError> {
    match header.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => Ok(kid.clone()),
        _ => Err(JwtError::MissingKeyId),
    }
}

fn subject(claims: &Map<String, Value>) -> Result<SpiffeId, JwtError> {
    let sub = match claims.get("sub") {
        None | Some(Value::Null) => return Err(JwtError::MissingSubject),
        Some(Value::String(sub)) if sub.is_empty() => return Err(JwtError::MissingSubject),
        Some(Value::String(sub)) => sub,
        Some(_) => return Err(JwtError::ClaimType("sub")),
    };
    SpiffeId::new(sub).map_err(|source| JwtError::InvalidSubject {
        sub: sub.clone(),
        source,
    })
}

/// A NumericDate claim: integer or (as RFC 7519 allows) fractional seconds, truncated.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(secs), _) => Ok(Some(secs)),
            (None, Some(secs)) if secs.is_finite() => Ok(Some(secs as i64)),
            _ => Err(JwtError::ClaimType(name)),
        },
        Some(_) => Err(JwtError::ClaimType(name)),
    }
}

fn check_lifetime(claims: &Map<String, Value>, exp: i64, now: i64) -> Result<(), JwtError> {
    if now.saturating_sub(CLOCK_SKEW_LEEWAY_SECS) > exp {
        return Err(JwtError::Expired { exp, now });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && now.saturating_add(CLOCK_SKEW_LEEWAY_SECS) < nbf
    {
        return Err(JwtError::NotYetValid { nbf, now });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && now.saturating_add(CLOCK_SKEW_LEEWAY_SECS) < iat
    {
        return Err(JwtError::IssuedInFuture { iat, now });
    }
    Ok(())
}

fn check_audience(claims: &Map<String, Value>, expected: &[String]) -> Result<(), JwtError> {
    let actual: Vec<String> = match claims.get("aud") {
        None | Some(Value::Null) => return Err(JwtError::MissingAudience),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or(JwtError::ClaimType("aud"))?,
        Some(_) => return Err(JwtError::ClaimType("aud")),
    };
    if actual.iter().all(String::is_empty) {
        return Err(JwtError::MissingAudience);
    }
    if expected.is_empty() {
        return Err(JwtError::NoExpectedAudience);
    }
    if actual.iter().any(|a| expected.contains(a)) {
        Ok(())
    } else {
        Err(JwtError::AudienceMismatch {
            expected: expected.to_vec(),
            actual,
        })
    }
}
