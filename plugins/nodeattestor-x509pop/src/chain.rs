//! Verifying the agent's certificate chain against the configured CA bundle.
//!
//! Mirrors SPIRE's checks: the number of intermediates is capped before any parsing (so a huge
//! chain costs nothing), RSA keys above `max_rsa_key_size` are refused, the chain must verify to
//! a bundle root at the current time with any extended key usage (Go's `ExtKeyUsageAny`), every
//! certificate on the path including the root must be within its validity, and the leaf must be
//! meant for digital signatures. Path building is rustls-webpki's, which caps its own work.

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::pop::LeafPublicKey;

/// SPIRE's default `max_intermediates`.
pub const DEFAULT_MAX_INTERMEDIATES: usize = 4;
/// SPIRE's default `max_rsa_key_size` in bits.
pub const DEFAULT_MAX_RSA_KEY_SIZE: usize = 8192;

/// Bounds applied before and during verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLimits {
    pub max_intermediates: usize,
    pub max_rsa_key_size: usize,
}

impl Default for ChainLimits {
    fn default() -> Self {
        Self {
            max_intermediates: DEFAULT_MAX_INTERMEDIATES,
            max_rsa_key_size: DEFAULT_MAX_RSA_KEY_SIZE,
        }
    }
}

/// The trusted roots, kept as DER so their fingerprints can become selectors.
#[derive(Debug, Clone, Default)]
pub struct TrustBundle {
    roots: Vec<Vec<u8>>,
}

impl TrustBundle {
    /// A bundle of DER certificates; each must parse as an X.509 certificate.
    pub fn new(roots: Vec<Vec<u8>>) -> Result<Self, ChainError> {
        for (i, der) in roots.iter().enumerate() {
            X509Certificate::from_der(der)
                .map_err(|e| ChainError::BundleCertificate(i, e.to_string()))?;
        }
        Ok(Self { roots })
    }

    pub fn len(&self) -> usize {
        self.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// What the server learns from a verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLeaf {
    pub key: LeafPublicKey,
    /// SHA-1 of the leaf DER, lowercase hex.
    pub fingerprint: String,
    /// SHA-1 fingerprints of the intermediates on the verified path, then the root.
    pub ca_fingerprints: Vec<String>,
    pub common_name: Option<String>,
    /// Serial number, lowercase hex with an even number of digits.
    pub serial_hex: String,
    pub uri_sans: Vec<String>,
}

/// Why a chain was refused. [`ChainError::is_malformed`] tells bad input from untrusted input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("CA bundle certificate {0} does not parse: {1}")]
    BundleCertificate(usize, String),
    #[error("no certificate to attest")]
    NoCertificate,
    #[error("too many intermediate certificates")]
    TooManyIntermediates,
    #[error("unable to parse leaf certificate: {0}")]
    LeafParse(String),
    #[error("unable to parse intermediate certificate {0}: {1}")]
    IntermediateParse(usize, String),
    #[error("leaf certificate key size too large")]
    LeafKeyTooLarge,
    #[error("intermediate certificate {0} key size too large")]
    IntermediateKeyTooLarge(usize),
    #[error("certificate verification failed: {0}")]
    Untrusted(String),
    #[error("certificate verification failed: root certificate is outside its validity period")]
    RootOutsideValidity,
    #[error("certificate not intended for digital signature use")]
    NotForDigitalSignature,
    #[error("unsupported public key type {0}")]
    UnsupportedKey(String),
}

impl ChainError {
    /// True when the input did not parse or broke a size limit (gRPC `InvalidArgument`).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Self::NoCertificate
                | Self::TooManyIntermediates
                | Self::LeafParse(_)
                | Self::IntermediateParse(..)
                | Self::LeafKeyTooLarge
                | Self::IntermediateKeyTooLarge(_)
        )
    }
}

/// Verifies `certificates` (leaf first) against `bundle` at `now`.
pub fn verify_chain(
    certificates: &[Vec<u8>],
    bundle: &TrustBundle,
    limits: ChainLimits,
    now: UnixTime,
) -> Result<VerifiedLeaf, ChainError> {
    let (leaf_der, intermediates) = certificates
        .split_first()
        .ok_or(ChainError::NoCertificate)?;
    if intermediates.len() > limits.max_intermediates {
        return Err(ChainError::TooManyIntermediates);
    }
    let (_, leaf) =
        X509Certificate::from_der(leaf_der).map_err(|e| ChainError::LeafParse(e.to_string()))?;
    if rsa_bits(&leaf) > limits.max_rsa_key_size {
        return Err(ChainError::LeafKeyTooLarge);
    }
    for (i, der) in intermediates.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| ChainError::IntermediateParse(i, e.to_string()))?;
        if rsa_bits(&cert) > limits.max_rsa_key_size {
            return Err(ChainError::IntermediateKeyTooLarge(i));
        }
    }

    let leaf_cert = CertificateDer::from(leaf_der.as_slice());
    let end_entity =
        EndEntityCert::try_from(&leaf_cert).map_err(|e| ChainError::LeafParse(format!("{e:?}")))?;
    let intermediate_ders: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let root_ders: Vec<CertificateDer<'_>> = bundle
        .roots
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    // Roots webpki cannot use as anchors are skipped, as Go's CertPool would never match them.
    let anchors: Vec<(usize, TrustAnchor<'_>)> = root_ders
        .iter()
        .enumerate()
        .filter_map(|(i, d)| webpki::anchor_from_trusted_cert(d).ok().map(|a| (i, a)))
        .collect();
    let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(_, a)| a.clone()).collect();

    let path = end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchor_list,
            &intermediate_ders,
            now,
            AnyExtendedKeyUsage,
            None,
            None,
        )
        .map_err(|e| ChainError::Untrusted(format!("{e}")))?;

    let mut ca_fingerprints: Vec<String> = path
        .intermediate_certificates()
        .map(|c| fingerprint(c.der().as_ref()))
        .collect();
    let anchor = path.anchor();
    let root_index = anchors
        .iter()
        .find(|(_, a)| {
            a.subject.as_ref() == anchor.subject.as_ref()
                && a.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
        })
        .map(|(i, _)| *i)
        .ok_or_else(|| ChainError::Untrusted("verified anchor is not in the bundle".into()))?;
    let root_der = &bundle.roots[root_index];
    // webpki does not check the validity of trust anchors; Go's verifier does.
    let (_, root) = X509Certificate::from_der(root_der)
        .map_err(|e| ChainError::BundleCertificate(root_index, e.to_string()))?;
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now_secs < root.validity().not_before.timestamp()
        || now_secs > root.validity().not_after.timestamp()
    {
        return Err(ChainError::RootOutsideValidity);
    }
    ca_fingerprints.push(fingerprint(root_der));

    let digital_signature = leaf
        .key_usage()
        .ok()
        .flatten()
        .is_some_and(|ku| ku.value.digital_signature());
    if !digital_signature {
        return Err(ChainError::NotForDigitalSignature);
    }

    Ok(VerifiedLeaf {
        key: leaf_public_key(&leaf)?,
        fingerprint: fingerprint(leaf_der),
        ca_fingerprints,
        common_name: common_name(&leaf),
        serial_hex: serial_hex(leaf.raw_serial()),
        uri_sans: uri_sans(&leaf),
    })
}

/// SPIRE's fingerprint: SHA-1 of the DER, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    hex::encode(digest.as_ref())
}

/// Accepts any extended key usage, as SPIRE verifies with `x509.ExtKeyUsageAny`.
struct AnyExtendedKeyUsage;

impl ExtendedKeyUsageValidator for AnyExtendedKeyUsage {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        // A malformed EKU extension is still an error.
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

fn rsa_bits(cert: &X509Certificate<'_>) -> usize {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => rsa.key_size(),
        _ => 0,
    }
}

fn leaf_public_key(leaf: &X509Certificate<'_>) -> Result<LeafPublicKey, ChainError> {
    let spki = leaf.public_key();
    let alg = &spki.algorithm;
    let key = spki.subject_public_key.data.to_vec();
    if alg.algorithm == OID_PKCS1_RSAENCRYPTION {
        return Ok(LeafPublicKey::Rsa(key));
    }
    if alg.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = alg.parameters.as_ref().and_then(|p| p.as_oid().ok());
        if curve.as_ref() == Some(&OID_EC_P256) {
            return Ok(LeafPublicKey::EcdsaP256(key));
        }
        if curve.as_ref() == Some(&OID_NIST_EC_P384) {
            return Ok(LeafPublicKey::EcdsaP384(key));
        }
    }
    Err(ChainError::UnsupportedKey(alg.algorithm.to_id_string()))
}

/// Go's `pkix.Name.CommonName`: the last CN attribute; empty counts as absent.
fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .last()
        .filter(|cn| !cn.is_empty())
        .map(str::to_owned)
}

/// Go's `SerialNumberHex`: minimal big-endian hex, padded to an even number of digits.
fn serial_hex(raw: &[u8]) -> String {
    let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    if first == raw.len() {
        return "00".to_owned();
    }
    hex::encode(&raw[first..])
}

fn uri_sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_is_minimal_and_even() {
        assert_eq!(serial_hex(&[0x00, 0x0a, 0xbc]), "0abc");
        assert_eq!(serial_hex(&[0x01]), "01");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn empty_chain_is_malformed() {
        let err = verify_chain(
            &[],
            &TrustBundle::default(),
            ChainLimits::default(),
            UnixTime::since_unix_epoch(std::time::Duration::ZERO),
        )
        .expect_err("nothing to attest");
        assert_eq!(err, ChainError::NoCertificate);
        assert!(err.is_malformed());
    }

    #[test]
    fn intermediates_are_counted_before_parsing() {
        let chain = vec![vec![0u8; 4]; 6];
        let err = verify_chain(
            &chain,
            &TrustBundle::default(),
            ChainLimits::default(),
            UnixTime::since_unix_epoch(std::time::Duration::ZERO),
        )
        .expect_err("5 intermediates exceed the default of 4");
        assert_eq!(err, ChainError::TooManyIntermediates);
    }
}
