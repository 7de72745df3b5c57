//! Minting: a compact JWS signed through the KeyManager, so the private key never enters
//! this crate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use spire_plugin::Key;
use spire_spiffe::SpiffeId;

use super::JwtError;
use super::algorithm::Algorithm;
use super::ecdsa_signature::der_to_fixed;

/// The claims of a JWT-SVID as SPIRE's credential template builds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSvidClaims {
    /// The SPIFFE ID the token identifies.
    pub sub: String,
    /// Audiences; empty strings are dropped (as SPIRE does) and at least one must remain.
    pub aud: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: i64,
    /// `jwt_issuer` from the server config, when set.
    pub iss: Option<String>,
    /// A unique token id, for entries with `jwt_svid_include_jti`.
    pub jti: Option<String>,
}

/// Mints a JWT-SVID signed by `key` under key id `kid`.
///
/// Header: `alg` (ES256 for ec-p256, ES384 for ec-p384, RS256 for RSA), `kid`, `typ: "JWT"`.
/// Claims: `aud` (always a JSON array, as SPIRE emits it), `exp`, `iat`, `iss`/`jti` when set,
/// `sub`. Members are emitted in sorted order, as Go's JSON encoder does for SPIRE.
pub fn mint_jwt_svid(key: &dyn Key, kid: &str, claims: &JwtSvidClaims) -> Result<String, JwtError> {
    SpiffeId::new(&claims.sub).map_err(|source| JwtError::InvalidSubject {
        sub: claims.sub.clone(),
        source,
    })?;
    if kid.is_empty() {
        return Err(JwtError::EmptyKeyId);
    }
    let audience: Vec<&str> = claims
        .aud
        .iter()
        .map(String::as_str)
        .filter(|a| !a.is_empty())
        .collect();
    if audience.is_empty() {
        return Err(JwtError::EmptyAudience);
    }

    let algorithm = Algorithm::for_key_type(key.key_type());
    let header = json!({ "alg": algorithm.as_str(), "kid": kid, "typ": "JWT" });
    let mut body = Map::new();
    body.insert("aud".into(), json!(audience));
    body.insert("exp".into(), json!(claims.exp));
    body.insert("iat".into(), json!(claims.iat));
    if let Some(iss) = &claims.iss {
        body.insert("iss".into(), json!(iss));
    }
    if let Some(jti) = &claims.jti {
        body.insert("jti".into(), json!(jti));
    }
    body.insert("sub".into(), json!(claims.sub));

    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(body).to_string())
    );
    let signature = key.sign(signing_input.as_bytes()).map_err(JwtError::Sign)?;
    let signature = match algorithm.ecdsa_scalar_len() {
        Some(scalar_len) => der_to_fixed(&signature, scalar_len)?,
        None => signature,
    };
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}
