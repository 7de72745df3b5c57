//! The SPIFFE ID a peer presented: the single URI SAN of its leaf certificate.

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
}

/// Extracts the SPIFFE ID from a leaf certificate (DER).
pub fn peer_spiffe_id(leaf_der: &[u8]) -> Result<String, PeerIdError> {
    let (_, cert) =
        X509Certificate::from_der(leaf_der).map_err(|e| PeerIdError::Malformed(e.to_string()))?;
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
        [uri] if uri.starts_with("spiffe://") => Ok((*uri).to_owned()),
        [uri] => Err(PeerIdError::NotSpiffe((*uri).to_owned())),
        more => Err(PeerIdError::SeveralUriSans(more.len())),
    }
}
