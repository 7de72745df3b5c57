//! Why a bundle document could not be read or written.

use crate::SpiffeIdError;
use crate::jwk::JwkError;

/// A bundle document (SPIFFE JWKS or PEM) that broke a rule; `index` is the position of the
/// offending key in `keys` (or of the PEM block), counting from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("bundle trust domain is invalid: {0}")]
    TrustDomain(#[from] SpiffeIdError),
    #[error("bundle document is not valid JSON: {0}")]
    Json(String),
    #[error("bundle document must be a JSON object")]
    NotAnObject,
    #[error("bundle document has no \"keys\" member")]
    MissingKeys,
    #[error("bundle document \"keys\" must be an array")]
    KeysNotArray,
    #[error("bundle document \"spiffe_sequence\" must be a non-negative integer")]
    BadSequence,
    #[error("bundle document \"spiffe_refresh_hint\" must be a non-negative integer (seconds)")]
    BadRefreshHint,
    #[error("key {index}: must be a JSON object")]
    KeyNotObject { index: usize },
    #[error("key {index}: \"use\" is missing")]
    MissingUse { index: usize },
    #[error("key {index}: \"use\" must be a string")]
    UseNotString { index: usize },
    #[error("key {index}: unrecognized use {value:?} (x509-svid or jwt-svid expected)")]
    UnknownUse { index: usize, value: String },
    #[error("key {index}: x509-svid key has no \"x5c\" certificate")]
    MissingX5c { index: usize },
    #[error(
        "key {index}: x509-svid key must carry exactly one certificate in \"x5c\", found {count}"
    )]
    X5cCount { index: usize, count: usize },
    #[error("key {index}: \"x5c\" must be an array of base64 strings")]
    X5cNotStrings { index: usize },
    #[error("key {index}: \"x5c\" certificate is not standard base64: {reason}")]
    X5cBase64 { index: usize, reason: String },
    #[error("certificate {index}: not a DER X.509 certificate: {reason}")]
    BadCertificate { index: usize, reason: String },
    #[error("key {index}: the JWK parameters do not match the \"x5c\" certificate's public key")]
    X5cKeyMismatch { index: usize },
    #[error("key {index}: jwt-svid key has no \"kid\"")]
    MissingKid { index: usize },
    #[error("key {index}: \"kid\" must be a non-empty string")]
    BadKid { index: usize },
    #[error("key {index}: key ID {kid:?} appears more than once")]
    DuplicateKid { index: usize, kid: String },
    #[error("key {index}: {source}")]
    Jwk { index: usize, source: JwkError },
    #[error("JWT authority {key_id:?}: stored public key cannot be written as a JWK: {source}")]
    StoredJwtKey { key_id: String, source: JwkError },
    #[error("PEM input is malformed: {0}")]
    Pem(String),
    #[error("PEM block {index} is {tag:?}, only CERTIFICATE blocks are allowed")]
    NotCertificatePem { index: usize, tag: String },
    #[error("PEM input contains no certificates")]
    NoCertificates,
}
