//! Trust bundles: the X.509 authorities and JWT signing keys of one trust domain, and their
//! documents (SPIFFE JWKS, standard JWKS, PEM).

mod document;
mod error;
mod pem;

pub use document::{USE_JWT_SVID, USE_WIT_SVID, USE_X509_SVID};
pub use error::BundleError;

use crate::TrustDomain;
use crate::jwk::JwkPublicKey;

/// One X.509 root (or intermediate published as an authority) of a trust domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509Authority {
    /// The certificate, DER encoded.
    pub der: Vec<u8>,
    /// Set when the authority was tainted by a forced rotation.
    pub tainted: bool,
}

/// One JWT signing key of a trust domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtAuthority {
    /// The `kid` JWT-SVIDs signed by this key carry.
    pub key_id: String,
    /// The public key as a DER SubjectPublicKeyInfo (PKIX).
    pub public_key_der: Vec<u8>,
    /// Seconds since the Unix epoch after which the key is no longer valid (0 = unset).
    pub expires_at: i64,
    /// Set when the key was tainted by a forced rotation.
    pub tainted: bool,
}

/// The trust bundle of one trust domain, as SPIRE keeps it (`spire.api.types.Bundle`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bundle {
    /// The trust domain name, without scheme (`example.org`).
    pub trust_domain: String,
    pub x509_authorities: Vec<X509Authority>,
    pub jwt_authorities: Vec<JwtAuthority>,
    /// Seconds a consumer should wait before polling again (0 = unset).
    pub refresh_hint: i64,
    /// Bumped on every change of the bundle.
    pub sequence_number: u64,
}

/// Validates the trust domain a document is read for (a name or `spiffe://` ID).
fn parse_trust_domain(trust_domain: &str) -> Result<String, BundleError> {
    Ok(TrustDomain::from_id_or_name(trust_domain)?
        .as_str()
        .to_owned())
}

/// Checks that `der` is exactly one X.509 certificate.
fn check_certificate(index: usize, der: &[u8]) -> Result<(), BundleError> {
    parse_certificate(index, der).map(|_| ())
}

/// The public key of the certificate `der`, as JWK parameters.
fn certificate_key(index: usize, der: &[u8]) -> Result<JwkPublicKey, BundleError> {
    let cert = parse_certificate(index, der)?;
    JwkPublicKey::from_parsed_spki(cert.public_key())
        .map_err(|source| BundleError::Jwk { index, source })
}

fn parse_certificate(
    index: usize,
    der: &[u8],
) -> Result<x509_parser::certificate::X509Certificate<'_>, BundleError> {
    let bad = |reason: String| BundleError::BadCertificate { index, reason };
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| bad(e.to_string()))?;
    if !rest.is_empty() {
        return Err(bad(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        )));
    }
    Ok(cert)
}
