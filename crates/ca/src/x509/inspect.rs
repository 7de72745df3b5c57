//! Facts read back from DER certificates: expiry and the authority ID SPIRE shows for a CA.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use super::CaError;

/// The NotAfter of a DER certificate.
pub fn cert_not_after(der: &[u8]) -> Result<SystemTime, CaError> {
    let cert = parse(der)?;
    Ok(not_after_of(&cert))
}

/// The subject key identifier of a DER certificate.
pub fn subject_key_id(der: &[u8]) -> Result<Vec<u8>, CaError> {
    let cert = parse(der)?;
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
        .ok_or(CaError::MissingSubjectKeyId)
}

/// The authority ID of a CA certificate as SPIRE's LocalAuthority API shows it: the subject
/// key identifier in lowercase hex.
pub fn authority_id(der: &[u8]) -> Result<String, CaError> {
    subject_key_id(der).map(hex::encode)
}

/// The authority ID a CA made with the public key `spki_der` would carry (SHA-1 of the key
/// bits, lowercase hex): how SPIRE finds the CA journal of a server from its KeyManager keys.
pub fn key_authority_id(spki_der: &[u8]) -> Result<String, CaError> {
    let bits = super::signer::subject_public_key_bits(spki_der).map_err(|reason| {
        CaError::KeyPublicKey {
            key_id: String::new(),
            reason,
        }
    })?;
    Ok(hex::encode(super::signer::key_identifier(&bits)))
}

pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CaError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| CaError::ParseCertificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CaError::ParseCertificate(format!(
            "{} bytes of trailing data",
            rest.len()
        )));
    }
    Ok(cert)
}

pub(crate) fn not_after_of(cert: &X509Certificate<'_>) -> SystemTime {
    let secs = cert.validity().not_after.timestamp();
    // Certificates before 1970 do not occur here; clamp rather than fail.
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}
