//! The SPIFFE ID a peer presented: the single URI SAN of its leaf certificate, when that leaf
//! keeps the X509-SVID rules.

use spire_spiffe::{SpiffeId, SpiffeIdError};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why a peer certificate carries no usable SPIFFE ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerIdError {
    #[error("peer certificate is not valid DER: {0}")]
    Malformed(String),
    #[error("peer certificate has no URI SAN")]
    NoUriSan,
    #[error("peer certificate has {0} URI SANs; an X509-SVID has exactly one")]
    SeveralUriSans(usize),
    #[error("peer certificate URI SAN {0:?} is not a spiffe:// URI")]
    NotSpiffe(String),
    #[error("peer certificate URI SAN {uri:?} is not a valid SPIFFE ID: {source}")]
    InvalidSpiffeId { uri: String, source: SpiffeIdError },
    #[error("peer leaf certificate is a CA (basicConstraints cA=TRUE); an X509-SVID leaf is not")]
    CaLeaf,
    #[error(
        "peer leaf certificate lacks the digitalSignature key usage an X509-SVID leaf must have"
    )]
    NoDigitalSignature,
    #[error(
        "peer leaf certificate has the keyCertSign key usage, which an X509-SVID leaf must not have"
    )]
    KeyCertSign,
    #[error(
        "peer leaf certificate has the cRLSign key usage, which an X509-SVID leaf must not have"
    )]
    CrlSign,
}

/// Extracts the SPIFFE ID from a leaf certificate (DER) that keeps the X509-SVID leaf rules.
///
/// The rules are those of the SPIFFE X509-SVID specification (§4.3, §5), which go-spiffe's
/// `x509svid.Verify` and so SPIRE enforce on both ends of its TLS connections: the leaf is not
/// a CA, and its key usage includes digitalSignature and neither keyCertSign nor cRLSign.
/// rustls-webpki checks chains, validity and extended key usage, but not these; without them
/// a certificate the trust domain's CA issued with signing rights would pass as an identity.
///
/// The URI SAN is parsed with the same SPIFFE-ID rules as every other ID in the project, so a
/// leaf naming `spiffe://TD/../x` or a percent-encoded path is refused here rather than handed
/// on as a caller identity that no registration entry or admin ID could ever be compared with
/// safely (go-spiffe's `x509svid.IDFromCert` parses it the same way).
pub fn peer_spiffe_id(leaf_der: &[u8]) -> Result<SpiffeId, PeerIdError> {
    let (_, cert) =
        X509Certificate::from_der(leaf_der).map_err(|e| PeerIdError::Malformed(e.to_string()))?;
    check_svid_leaf(&cert)?;
    let uris: Vec<&str> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => Some(*uri),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(PeerIdError::Malformed(e.to_string())),
    };
    match uris.as_slice() {
        [] => Err(PeerIdError::NoUriSan),
        [uri] if uri.starts_with("spiffe://") => {
            SpiffeId::new(uri).map_err(|source| PeerIdError::InvalidSpiffeId {
                uri: (*uri).to_owned(),
                source,
            })
        }
        [uri] => Err(PeerIdError::NotSpiffe((*uri).to_owned())),
        more => Err(PeerIdError::SeveralUriSans(more.len())),
    }
}

/// The X509-SVID leaf rules on `cert` (see [`peer_spiffe_id`]).
fn check_svid_leaf(cert: &X509Certificate<'_>) -> Result<(), PeerIdError> {
    let malformed = |e: x509_parser::error::X509Error| PeerIdError::Malformed(e.to_string());
    if cert
        .basic_constraints()
        .map_err(malformed)?
        .is_some_and(|bc| bc.value.ca)
    {
        return Err(PeerIdError::CaLeaf);
    }
    let Some(usage) = cert.key_usage().map_err(malformed)? else {
        return Err(PeerIdError::NoDigitalSignature);
    };
    let usage = usage.value;
    if !usage.digital_signature() {
        return Err(PeerIdError::NoDigitalSignature);
    }
    if usage.key_cert_sign() {
        return Err(PeerIdError::KeyCertSign);
    }
    if usage.crl_sign() {
        return Err(PeerIdError::CrlSign);
    }
    Ok(())
}
