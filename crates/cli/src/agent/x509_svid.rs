//! An `X509SVIDResponse` parsed into what `api fetch x509` prints and
//! writes, with SPIRE's error texts (`parseX509SVIDResponse`).

use std::collections::BTreeMap;

use spire_proto::workload::{X509svid, X509svidResponse};
use spire_secret::SecretBytes;

use crate::error::CliError;
use crate::pretty::pem::split_der_sequence;

/// One certificate: its DER and validity, as Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
}

/// One X.509-SVID with its bundle and the federated bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509SvidView {
    pub spiffe_id: String,
    pub hint: String,
    /// Leaf first, then intermediates.
    pub certificates: Vec<Certificate>,
    /// PKCS#8 DER (never printed by `{:?}`, zeroed on drop).
    pub private_key: SecretBytes,
    pub bundle: Vec<Certificate>,
    /// Keyed by the name the Workload API used (a trust domain ID), sorted.
    pub federated_bundles: BTreeMap<String, Vec<Certificate>>,
}

/// Parses every SVID of `response`, failing as SPIRE does on the first bad one.
pub fn parse_x509_svid_response(
    response: &X509svidResponse,
) -> Result<Vec<X509SvidView>, CliError> {
    if response.svids.is_empty() {
        return Err(CliError::invalid("workload response contains no svids"));
    }
    let mut federated = BTreeMap::new();
    for (domain, der) in &response.federated_bundles {
        let certs = parse_certificates(der).map_err(|e| {
            CliError::invalid(format!(
                "failed to parse bundle for federated domain {domain:?}: {e}"
            ))
        })?;
        if certs.is_empty() {
            return Err(CliError::invalid(format!(
                "no certificates in bundle for federated domain {domain:?}"
            )));
        }
        federated.insert(domain.clone(), certs);
    }
    response
        .svids
        .iter()
        .enumerate()
        .map(|(i, svid)| {
            parse_svid(svid, &federated).map_err(|e| {
                CliError::invalid(format!(
                    "failed to parse svid entry {i} for spiffe id {:?}: {e}",
                    svid.spiffe_id
                ))
            })
        })
        .collect()
}

/// Concatenated DER certificates → parsed certificates (empty input = none).
pub fn parse_certificates(der: &[u8]) -> Result<Vec<Certificate>, String> {
    if der.is_empty() {
        return Ok(Vec::new());
    }
    split_der_sequence(der)?
        .into_iter()
        .map(|one| {
            let (_, cert) = x509_parser::parse_x509_certificate(one)
                .map_err(|e| format!("x509: malformed certificate: {e}"))?;
            let validity = cert.validity();
            Ok(Certificate {
                der: one.to_vec(),
                not_before: validity.not_before.timestamp(),
                not_after: validity.not_after.timestamp(),
            })
        })
        .collect()
}

fn parse_svid(
    svid: &X509svid,
    federated: &BTreeMap<String, Vec<Certificate>>,
) -> Result<X509SvidView, String> {
    let certificates = parse_certificates(&svid.x509_svid)?;
    if certificates.is_empty() {
        return Err("no certificates found".to_owned());
    }
    rcgen::KeyPair::try_from(svid.x509_svid_key.as_slice())
        .map_err(|e| format!("failed to parse private key: {e}"))?;
    let bundle = parse_certificates(&svid.bundle)
        .map_err(|e| format!("failed to parse trust bundle: {e}"))?;
    if bundle.is_empty() {
        return Err("no certificates in trust bundle".to_owned());
    }
    Ok(X509SvidView {
        spiffe_id: svid.spiffe_id.clone(),
        hint: svid.hint.clone(),
        certificates,
        private_key: svid.x509_svid_key.clone().into(),
        bundle,
        federated_bundles: federated.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_parsed_svid_never_shows_its_private_key() {
        let key: Vec<u8> = (0..48).map(|i| 250 - i).collect();
        let view = X509SvidView {
            spiffe_id: "spiffe://example.org/w".to_owned(),
            hint: String::new(),
            certificates: Vec::new(),
            private_key: key.clone().into(),
            bundle: Vec::new(),
            federated_bundles: BTreeMap::new(),
        };
        let listed = format!("{key:?}");
        let shown = format!("{view:?}");
        assert!(shown.contains("48 bytes redacted"), "{shown}");
        assert!(!shown.contains(&listed[1..listed.len() - 1]), "{shown}");
    }
}
