//! Domain types of the identity seam turned into Workload API messages: DER-concatenated
//! X.509 bundles keyed by trust domain ID (`spiffe://td`), standard JWKS for JWT bundles, and
//! JWT claims as a `google.protobuf.Struct`.
//!
//! Nothing here decides who gets what; it only renders what the cache handed over.

use std::collections::HashMap;

use serde_json::{Map, Value};
use spire_proto::prost_types;
use spire_proto::workload::{JwtBundlesResponse, X509BundlesResponse, X509svid, X509svidResponse};
use spire_spiffe::Bundle;
use tonic::Status;

use crate::identity::WorkloadUpdate;

/// Claims every JWT-SVID may carry that ValidateJWTSVID keeps even for foreign trust
/// domains (RFC 7519's registered claims).
const REGISTERED_CLAIMS: [&str; 7] = ["aud", "exp", "iat", "iss", "jti", "nbf", "sub"];

/// `spiffe://<trust domain>` for a trust domain name.
pub(super) fn trust_domain_id(name: &str) -> String {
    format!("spiffe://{name}")
}

/// The roots of `bundle` as concatenated DER certificates.
pub(super) fn x509_bundle_der(bundle: &Bundle) -> Vec<u8> {
    bundle
        .x509_authorities
        .iter()
        .flat_map(|authority| authority.der.iter().copied())
        .collect()
}

/// The FetchX509SVID message for `update` (which must hold at least one identity).
pub(super) fn x509_svid_response(update: &WorkloadUpdate) -> X509svidResponse {
    let bundle = update
        .bundle
        .as_ref()
        .map(x509_bundle_der)
        .unwrap_or_default();
    let svids = update
        .identities
        .iter()
        .map(|identity| X509svid {
            spiffe_id: identity.spiffe_id.clone(),
            x509_svid: identity.cert_chain.concat(),
            x509_svid_key: identity.private_key_pkcs8.expose_secret().to_vec(),
            bundle: bundle.clone(),
            hint: identity.hint.clone(),
        })
        .collect();
    let federated_bundles = update
        .federated_bundles
        .iter()
        .map(|(name, bundle)| (trust_domain_id(name), x509_bundle_der(bundle)))
        .collect();
    X509svidResponse {
        svids,
        crl: Vec::new(),
        federated_bundles,
    }
}

/// The FetchX509Bundles message: the caller's own bundle and its federated bundles.
pub(super) fn x509_bundles_response(update: &WorkloadUpdate) -> X509BundlesResponse {
    X509BundlesResponse {
        crl: Vec::new(),
        bundles: visible_bundles(update)
            .map(|bundle| {
                (
                    trust_domain_id(&bundle.trust_domain),
                    x509_bundle_der(bundle),
                )
            })
            .collect(),
    }
}

/// The FetchJWTBundles message: standard JWKS of the caller's own and federated bundles.
pub(super) fn jwt_bundles_response(update: &WorkloadUpdate) -> Result<JwtBundlesResponse, Status> {
    let mut bundles = HashMap::new();
    for bundle in visible_bundles(update) {
        let jwks = bundle
            .to_jwks_json()
            .map_err(|e| Status::unavailable(format!("could not serialize response: {e}")))?;
        bundles.insert(trust_domain_id(&bundle.trust_domain), jwks.into_bytes());
    }
    Ok(JwtBundlesResponse { bundles })
}

/// The caller's own bundle, then its federated bundles.
pub(super) fn visible_bundles(update: &WorkloadUpdate) -> impl Iterator<Item = &Bundle> {
    update
        .bundle
        .iter()
        .chain(update.federated_bundles.values())
}

/// Drops the claims of a foreign-trust-domain token that are neither registered nor in
/// `allowed` (SPIRE's `allowed_foreign_jwt_claims`).
pub(super) fn keep_allowed_foreign_claims(claims: &mut Map<String, Value>, allowed: &[String]) {
    claims.retain(|name, _| {
        REGISTERED_CLAIMS.contains(&name.as_str()) || allowed.iter().any(|a| a == name)
    });
}

/// The claims as a protobuf Struct, with `aud` always a list (as SPIRE renders it).
pub(super) fn claims_struct(mut claims: Map<String, Value>) -> prost_types::Struct {
    if let Some(aud) = claims.get_mut("aud")
        && let Value::String(single) = aud
    {
        *aud = Value::Array(vec![Value::String(std::mem::take(single))]);
    }
    prost_types::Struct {
        fields: claims
            .into_iter()
            .map(|(name, value)| (name, proto_value(value)))
            .collect(),
    }
}

fn proto_value(value: Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Value::Null => Kind::NullValue(prost_types::NullValue::NullValue.into()),
        Value::Bool(b) => Kind::BoolValue(b),
        // protobuf Struct numbers are doubles, as Go's structpb makes them.
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(proto_value).collect(),
        }),
        Value::Object(fields) => Kind::StructValue(prost_types::Struct {
            fields: fields
                .into_iter()
                .map(|(name, value)| (name, proto_value(value)))
                .collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}
