//! Trust bundles on the wire (`spire.api.types.Bundle`) and their masks.
//!
//! As in SPIRE, authorities coming in over the API are parsed (X.509 certificates must be
//! DER certificates, JWT keys DER SubjectPublicKeyInfo with a key ID) and arrive untainted:
//! tainting is the CA's business, not an API caller's.

use spire_proto::spire::api::types::{
    Bundle as ProtoBundle, BundleMask, JwtKey, X509Certificate as ProtoX509,
};
use spire_spiffe::{Bundle, JwtAuthority, SpiffeIdError, TrustDomain, X509Authority};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Why a wire bundle or authority was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("invalid trust domain: {0}")]
    TrustDomain(#[from] SpiffeIdError),
    #[error("unable to parse X.509 authority: {0}")]
    X509(String),
    #[error("unable to parse JWT authority: {0}")]
    Jwt(String),
}

/// Converts a wire bundle, keyed by its trust domain name (`spiffe://` prefix accepted).
pub fn bundle_from_proto(proto: &ProtoBundle) -> Result<Bundle, BundleError> {
    let td = TrustDomain::from_id_or_name(&proto.trust_domain)?;
    Ok(Bundle {
        trust_domain: td.as_str().to_owned(),
        x509_authorities: x509_authorities_from_proto(&proto.x509_authorities)?,
        jwt_authorities: jwt_authorities_from_proto(&proto.jwt_authorities)?,
        refresh_hint: proto.refresh_hint,
        sequence_number: proto.sequence_number,
    })
}

/// Parses X.509 authorities: each must be exactly one DER certificate.
pub fn x509_authorities_from_proto(certs: &[ProtoX509]) -> Result<Vec<X509Authority>, BundleError> {
    certs
        .iter()
        .map(|cert| {
            let (rest, _) = x509_parser::parse_x509_certificate(&cert.asn1)
                .map_err(|e| BundleError::X509(e.to_string()))?;
            if !rest.is_empty() {
                return Err(BundleError::X509(format!(
                    "{} bytes of trailing data after the certificate",
                    rest.len()
                )));
            }
            Ok(X509Authority {
                der: cert.asn1.clone(),
                tainted: false,
            })
        })
        .collect()
}

/// Parses JWT authorities: a DER SubjectPublicKeyInfo and a non-empty key ID each.
pub fn jwt_authorities_from_proto(keys: &[JwtKey]) -> Result<Vec<JwtAuthority>, BundleError> {
    keys.iter()
        .map(|key| {
            let (rest, _) = SubjectPublicKeyInfo::from_der(&key.public_key)
                .map_err(|e| BundleError::Jwt(e.to_string()))?;
            if !rest.is_empty() {
                return Err(BundleError::Jwt(format!(
                    "{} bytes of trailing data after the public key",
                    rest.len()
                )));
            }
            if key.key_id.is_empty() {
                return Err(BundleError::Jwt("missing key ID".into()));
            }
            Ok(JwtAuthority {
                key_id: key.key_id.clone(),
                public_key_der: key.public_key.clone(),
                expires_at: key.expires_at,
                tainted: false,
            })
        })
        .collect()
}

/// The wire form of a stored bundle.
pub fn proto_from_bundle(bundle: &Bundle) -> ProtoBundle {
    ProtoBundle {
        trust_domain: bundle.trust_domain.clone(),
        x509_authorities: bundle
            .x509_authorities
            .iter()
            .map(|a| ProtoX509 {
                asn1: a.der.clone(),
                tainted: a.tainted,
            })
            .collect(),
        jwt_authorities: bundle
            .jwt_authorities
            .iter()
            .map(|k| JwtKey {
                public_key: k.public_key_der.clone(),
                key_id: k.key_id.clone(),
                expires_at: k.expires_at,
                tainted: k.tainted,
            })
            .collect(),
        refresh_hint: bundle.refresh_hint,
        sequence_number: bundle.sequence_number,
        wit_authorities: Vec::new(),
    }
}

/// Clears the fields `mask` does not ask for (the trust domain is always kept).
pub fn apply_bundle_mask(bundle: &mut ProtoBundle, mask: Option<&BundleMask>) {
    let Some(mask) = mask else {
        return;
    };
    if !mask.refresh_hint {
        bundle.refresh_hint = 0;
    }
    if !mask.sequence_number {
        bundle.sequence_number = 0;
    }
    if !mask.x509_authorities {
        bundle.x509_authorities.clear();
    }
    if !mask.jwt_authorities {
        bundle.jwt_authorities.clear();
    }
    if !mask.wit_authorities {
        bundle.wit_authorities.clear();
    }
}

/// Writes the fields of `update` selected by `mask` (`None`: all) over `stored`.
pub fn merge_bundle(stored: &mut Bundle, update: Bundle, mask: Option<&BundleMask>) {
    let all = mask.is_none();
    let mask = mask.copied().unwrap_or_default();
    if all || mask.x509_authorities {
        stored.x509_authorities = update.x509_authorities;
    }
    if all || mask.jwt_authorities {
        stored.jwt_authorities = update.jwt_authorities;
    }
    if all || mask.refresh_hint {
        stored.refresh_hint = update.refresh_hint;
    }
    if all || mask.sequence_number {
        stored.sequence_number = update.sequence_number;
    }
}
