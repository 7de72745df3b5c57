//! The SPIFFE bundle document (a JWKS with `use`, `spiffe_sequence`, `spiffe_refresh_hint`) and
//! the standard JWKS the Workload API serves.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::{
    Bundle, BundleError, JwtAuthority, X509Authority, certificate_key, parse_trust_domain,
};
use crate::json_out::GoJson;
use crate::jwk::JwkPublicKey;

/// `use` of a key that verifies X509-SVIDs.
pub const USE_X509_SVID: &str = "x509-svid";
/// `use` of a key that verifies JWT-SVIDs.
pub const USE_JWT_SVID: &str = "jwt-svid";
/// `use` of a key that verifies WIT-SVIDs (read and skipped: [`Bundle`] has no WIT keys yet).
pub const USE_WIT_SVID: &str = "wit-svid";

impl Bundle {
    /// The SPIFFE bundle document exactly as `spire-server bundle show -format spiffe` prints
    /// it (without the final newline): go-jose member order, four-space indentation, X.509
    /// authorities first, then JWT authorities; `spiffe_sequence` and `spiffe_refresh_hint`
    /// only when positive. An empty bundle has `"keys": []`.
    ///
    /// Fails only if a stored authority is not a parsable certificate or supported key.
    pub fn to_spiffe_json(&self) -> Result<String, BundleError> {
        let mut keys = Vec::with_capacity(self.x509_authorities.len() + self.jwt_authorities.len());
        for (index, authority) in self.x509_authorities.iter().enumerate() {
            keys.push(x509_jwk(index, authority)?);
        }
        for authority in &self.jwt_authorities {
            keys.push(jwt_jwk(authority, Some(USE_JWT_SVID))?);
        }
        let mut doc = vec![("keys", GoJson::Array(keys))];
        if self.sequence_number > 0 {
            doc.push(("spiffe_sequence", GoJson::Int(self.sequence_number.into())));
        }
        if self.refresh_hint > 0 {
            doc.push(("spiffe_refresh_hint", GoJson::Int(self.refresh_hint.into())));
        }
        Ok(GoJson::Object(doc).to_indented())
    }

    /// The JWT authorities as a standard JWKS (no `use`, no `spiffe_*` members), as the
    /// Workload API's `FetchJWTBundles` serves them.
    pub fn to_jwks_json(&self) -> Result<String, BundleError> {
        let keys = self
            .jwt_authorities
            .iter()
            .map(|authority| jwt_jwk(authority, None))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GoJson::Object(vec![("keys", GoJson::Array(keys))]).to_indented())
    }

    /// Reads a SPIFFE bundle document for `trust_domain` (a name or `spiffe://` ID).
    ///
    /// Keys with `use: "wit-svid"` are accepted and skipped; any other unknown or missing `use`
    /// is an error, as are duplicate `kid`s. `expires_at` and `tainted` are not part of the
    /// document and come back as 0 and false.
    pub fn from_spiffe_json(trust_domain: &str, json: &str) -> Result<Bundle, BundleError> {
        let trust_domain = parse_trust_domain(trust_domain)?;
        let doc: Value =
            serde_json::from_str(json).map_err(|e| BundleError::Json(e.to_string()))?;
        let Value::Object(doc) = doc else {
            return Err(BundleError::NotAnObject);
        };
        let mut bundle = Bundle {
            trust_domain,
            sequence_number: read_sequence(&doc)?,
            refresh_hint: read_refresh_hint(&doc)?,
            ..Bundle::default()
        };
        let keys = match doc.get("keys") {
            None | Some(Value::Null) => return Err(BundleError::MissingKeys),
            Some(Value::Array(keys)) => keys,
            Some(_) => return Err(BundleError::KeysNotArray),
        };
        for (index, key) in keys.iter().enumerate() {
            let Value::Object(key) = key else {
                return Err(BundleError::KeyNotObject { index });
            };
            match key.get("use") {
                None | Some(Value::Null) => return Err(BundleError::MissingUse { index }),
                Some(Value::String(u)) if u == USE_X509_SVID => {
                    bundle.x509_authorities.push(read_x509_key(index, key)?);
                }
                Some(Value::String(u)) if u == USE_JWT_SVID => {
                    let authority = read_jwt_key(index, key)?;
                    if bundle
                        .jwt_authorities
                        .iter()
                        .any(|a| a.key_id == authority.key_id)
                    {
                        return Err(BundleError::DuplicateKid {
                            index,
                            kid: authority.key_id,
                        });
                    }
                    bundle.jwt_authorities.push(authority);
                }
                Some(Value::String(u)) if u == USE_WIT_SVID => {}
                Some(Value::String(u)) => {
                    return Err(BundleError::UnknownUse {
                        index,
                        value: u.clone(),
                    });
                }
                Some(_) => return Err(BundleError::UseNotString { index }),
            }
        }
        Ok(bundle)
    }
}

fn x509_jwk(index: usize, authority: &X509Authority) -> Result<GoJson, BundleError> {
    let key = certificate_key(index, &authority.der)?;
    let mut members = vec![("use", GoJson::Str(USE_X509_SVID.into()))];
    push_key_params(&mut members, &key, None);
    members.push((
        "x5c",
        GoJson::Array(vec![GoJson::Str(STANDARD.encode(&authority.der))]),
    ));
    Ok(GoJson::Object(members))
}

fn jwt_jwk(authority: &JwtAuthority, key_use: Option<&str>) -> Result<GoJson, BundleError> {
    let key = JwkPublicKey::from_spki_der(&authority.public_key_der).map_err(|source| {
        BundleError::StoredJwtKey {
            key_id: authority.key_id.clone(),
            source,
        }
    })?;
    let mut members = Vec::new();
    if let Some(key_use) = key_use {
        members.push(("use", GoJson::Str(key_use.into())));
    }
    push_key_params(&mut members, &key, Some(&authority.key_id));
    Ok(GoJson::Object(members))
}

/// Appends `kty`, `kid`, `crv` and the key parameters in go-jose's member order.
fn push_key_params(
    members: &mut Vec<(&'static str, GoJson)>,
    key: &JwkPublicKey,
    kid: Option<&str>,
) {
    members.push(("kty", GoJson::Str(key.kty().into())));
    if let Some(kid) = kid.filter(|k| !k.is_empty()) {
        members.push(("kid", GoJson::Str(kid.into())));
    }
    if let Some(crv) = key.crv() {
        members.push(("crv", GoJson::Str(crv.into())));
    }
    for (name, value) in key.encoded_params() {
        members.push((name, GoJson::Str(value)));
    }
}

fn read_x509_key(index: usize, key: &Map<String, Value>) -> Result<X509Authority, BundleError> {
    let certs = match key.get("x5c") {
        None | Some(Value::Null) => return Err(BundleError::MissingX5c { index }),
        Some(Value::Array(certs)) => certs,
        Some(_) => return Err(BundleError::X5cNotStrings { index }),
    };
    let [Value::String(cert)] = certs.as_slice() else {
        if certs.len() == 1 {
            return Err(BundleError::X5cNotStrings { index });
        }
        return Err(BundleError::X5cCount {
            index,
            count: certs.len(),
        });
    };
    let der = STANDARD.decode(cert).map_err(|e| BundleError::X5cBase64 {
        index,
        reason: e.to_string(),
    })?;
    let cert_key = certificate_key(index, &der)?;
    // As go-jose does: the JWK's own parameters must describe the certificate's key, so the
    // document cannot say one thing in x5c and another in x/y or n/e.
    let jwk_key =
        JwkPublicKey::from_jwk_params(key).map_err(|source| BundleError::Jwk { index, source })?;
    if jwk_key != cert_key {
        return Err(BundleError::X5cKeyMismatch { index });
    }
    Ok(X509Authority {
        der,
        tainted: false,
    })
}

fn read_jwt_key(index: usize, key: &Map<String, Value>) -> Result<JwtAuthority, BundleError> {
    let key_id = match key.get("kid") {
        None | Some(Value::Null) => return Err(BundleError::MissingKid { index }),
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        Some(_) => return Err(BundleError::BadKid { index }),
    };
    let public_key =
        JwkPublicKey::from_jwk_params(key).map_err(|source| BundleError::Jwk { index, source })?;
    Ok(JwtAuthority {
        key_id,
        public_key_der: public_key.to_spki_der(),
        expires_at: 0,
        tainted: false,
    })
}

fn read_sequence(doc: &Map<String, Value>) -> Result<u64, BundleError> {
    match doc.get("spiffe_sequence") {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v.as_u64().ok_or(BundleError::BadSequence),
    }
}

fn read_refresh_hint(doc: &Map<String, Value>) -> Result<i64, BundleError> {
    match doc.get("spiffe_refresh_hint") {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_i64()
            .filter(|hint| *hint >= 0)
            .ok_or(BundleError::BadRefreshHint),
    }
}
