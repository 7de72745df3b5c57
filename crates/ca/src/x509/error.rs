//! Why minting or inspecting an X.509 credential failed.

use crate::csr::CsrError;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("KeyManager key {key_id:?}: public key is not a usable SubjectPublicKeyInfo: {reason}")]
    KeyPublicKey { key_id: String, reason: String },
    #[error("KeyManager: {0}")]
    KeyManager(#[from] spire_plugin::KeyManagerError),
    #[error("the requested SVID public key is refused: {0}")]
    RequestedPublicKey(#[from] CsrError),
    #[error("trust domain {0:?} is not a valid trust domain name")]
    InvalidTrustDomain(String),
    #[error("SPIFFE ID {id:?} is not a workload ID in trust domain {trust_domain:?}")]
    SpiffeIdOutsideTrustDomain { id: String, trust_domain: String },
    #[error("DNS name {0:?} is not a valid IA5 (ASCII) name")]
    InvalidDnsName(String),
    #[error("subject attribute {0:?} cannot be encoded")]
    InvalidSubject(String),
    #[error("time {0:?} cannot be encoded in a certificate (before 1970 or past year 9999)")]
    TimeOutOfRange(std::time::SystemTime),
    #[error("TTL must be positive")]
    ZeroTtl,
    #[error("the CA expired at {not_after:?}; no SVID can be minted at {now:?}")]
    CaExpired {
        not_after: std::time::SystemTime,
        now: std::time::SystemTime,
    },
    #[error("CA certificate does not belong to KeyManager key {0:?}")]
    CaKeyMismatch(String),
    #[error("CA certificate has no spiffe:// URI SAN naming its trust domain")]
    CaWithoutTrustDomain,
    #[error("certificate is not valid DER X.509: {0}")]
    ParseCertificate(String),
    #[error("certificate has no subject key identifier")]
    MissingSubjectKeyId,
    #[error("the system random number generator failed")]
    RandomUnavailable,
    #[error("building or signing the certificate failed: {0}")]
    Build(#[from] rcgen::Error),
}
