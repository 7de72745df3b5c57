//! Workload keys and CSRs for new X509-SVIDs, and reading the validity of what comes back.

use std::time::SystemTime;

use spire_secret::SecretBytes;

use crate::cache::from_unix_seconds;

use super::settings::WorkloadKeyType;

/// Why a workload key or CSR could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot create a workload CSR for entry {entry_id}: {source}")]
pub struct MintError {
    pub entry_id: String,
    #[source]
    pub source: rcgen::Error,
}

/// A fresh workload key (PKCS#8 DER) and a CSR over it with no subject and no SAN: the server
/// takes the SPIFFE ID and DNS names from the entry.
pub fn workload_key_and_csr(
    entry_id: &str,
    key_type: WorkloadKeyType,
) -> Result<(SecretBytes, Vec<u8>), MintError> {
    let wrap = |source| MintError {
        entry_id: entry_id.to_owned(),
        source,
    };
    let alg = match key_type {
        WorkloadKeyType::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        WorkloadKeyType::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
    };
    let key = rcgen::KeyPair::generate_for(alg).map_err(wrap)?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key).map_err(wrap)?;
    Ok((key.serialize_der().into(), csr.der().to_vec()))
}

/// The validity window of a signed SVID: read from its leaf certificate; when the leaf cannot
/// be parsed, from `received_at` to the server-reported `expires_at`.
pub fn svid_validity(
    cert_chain: &[Vec<u8>],
    expires_at: i64,
    received_at: SystemTime,
) -> (SystemTime, SystemTime) {
    let parsed = cert_chain
        .first()
        .and_then(|leaf| x509_parser::parse_x509_certificate(leaf).ok())
        .map(|(_, cert)| {
            (
                from_unix_seconds(cert.validity().not_before.timestamp()),
                from_unix_seconds(cert.validity().not_after.timestamp()),
            )
        });
    parsed.unwrap_or((received_at, from_unix_seconds(expires_at)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cache::unix_seconds;

    #[test]
    fn csr_is_a_der_request_and_key_is_pkcs8() {
        let (key, csr) = workload_key_and_csr("e1", WorkloadKeyType::EcP256).expect("P-256 keygen");
        assert_eq!(csr.first(), Some(&0x30), "DER SEQUENCE");
        let parsed = <x509_parser::certification_request::X509CertificationRequest as x509_parser::prelude::FromDer<_>>::from_der(&csr);
        let (_, request) = parsed.expect("CSR parses");
        assert!(
            request
                .certification_request_info
                .subject
                .iter()
                .next()
                .is_none()
        );
        assert!(rcgen::KeyPair::try_from(key.expose_secret()).is_ok());
    }

    #[test]
    fn validity_comes_from_the_leaf_certificate() {
        let key = rcgen::KeyPair::generate().expect("keygen");
        let cert = rcgen::CertificateParams::default()
            .self_signed(&key)
            .expect("self-signed");
        let received = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (not_before, not_after) = svid_validity(&[cert.der().to_vec()], 1, received);
        // rcgen's defaults: 1975-01-01 to 4096-01-01.
        assert_eq!(unix_seconds(not_before), 157_766_400);
        assert!(unix_seconds(not_after) > 4_000_000_000);
    }

    #[test]
    fn unparsable_leaf_falls_back_to_reported_expiry() {
        let received = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let (not_before, not_after) = svid_validity(&[vec![1, 2, 3]], 4600, received);
        assert_eq!(not_before, received);
        assert_eq!(unix_seconds(not_after), 4600);
    }
}
