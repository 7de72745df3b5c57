//! Workload and agent CSRs: the policy a PKCS#10 request must pass before its public key is
//! certified.
//!
//! Security: only the CSR's *public key* is ever used. The SPIFFE ID, DNS names and subject
//! of an SVID come from the authorized registration entry; whatever the CSR says about
//! identity (subject, SANs, extensions) is ignored. The URI SANs are returned only so the
//! caller can log or compare them. The checks below reject requests that are either hostile
//! (asking to become a CA) or too weak to certify (small RSA, odd curves, unknown keys).

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Smallest RSA modulus certified, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// What a CSR that passed [`parse_workload_csr`] offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrInfo {
    /// The requested key as a DER SubjectPublicKeyInfo: the only part of the CSR that ends up
    /// in a certificate.
    pub public_key_der: Vec<u8>,
    /// The URI SANs the CSR carries (zero or one), for logging only: never signed.
    pub uri_sans: Vec<String>,
}

/// Why a CSR was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    #[error("CSR is not a DER PKCS#10 certification request: {0}")]
    Malformed(String),
    #[error("CSR has {0} bytes of trailing data after the DER request")]
    TrailingData(usize),
    #[error("CSR signature does not verify with the CSR's own public key")]
    BadSignature,
    #[error("CSR requests a CA certificate (basicConstraints CA:TRUE); only leaf SVIDs are issued")]
    RequestsCa,
    #[error("CSR carries {0} URI SANs; at most one is allowed")]
    TooManyUriSans(usize),
    #[error("CSR extension request is malformed: {0}")]
    MalformedExtension(String),
    #[error("RSA key of {0} bits is too small; at least 2048 bits are required")]
    RsaKeyTooSmall(usize),
    #[error("elliptic curve {0} is not supported (expected P-256 or P-384)")]
    UnsupportedCurve(String),
    #[error("public key algorithm {0} is not supported (expected RSA or EC)")]
    UnsupportedKeyAlgorithm(String),
    #[error("public key is malformed: {0}")]
    MalformedPublicKey(String),
}

/// Parses a DER PKCS#10 CSR and applies the workload CSR policy: a supported key
/// (RSA ≥ 2048, EC P-256/P-384), a valid self-signature, no CA:TRUE request and at most
/// one URI SAN.
pub fn parse_workload_csr(der: &[u8]) -> Result<CsrInfo, CsrError> {
    let (rest, csr) =
        X509CertificationRequest::from_der(der).map_err(|e| CsrError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CsrError::TrailingData(rest.len()));
    }
    let spki = &csr.certification_request_info.subject_pki;
    // The key policy runs before the signature check so unsupported keys never reach the
    // verifier.
    check_key(spki)?;
    csr.verify_signature().map_err(|_| CsrError::BadSignature)?;
    let uri_sans = requested_uri_sans(&csr)?;
    Ok(CsrInfo {
        public_key_der: spki.raw.to_vec(),
        uri_sans,
    })
}

/// Applies the key policy of [`parse_workload_csr`] to a DER SubjectPublicKeyInfo.
pub fn check_public_key(spki_der: &[u8]) -> Result<(), CsrError> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| CsrError::MalformedPublicKey(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CsrError::MalformedPublicKey(format!(
            "{} bytes of trailing data",
            rest.len()
        )));
    }
    check_key(&spki)
}

fn check_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<(), CsrError> {
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        let bits = rsa_modulus_bits(spki)?;
        if bits < MIN_RSA_BITS {
            return Err(CsrError::RsaKeyTooSmall(bits));
        }
        Ok(())
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .ok_or_else(|| CsrError::MalformedPublicKey("EC key without a named curve".into()))?;
        // P-521 is refused outright: the signature check behind this parser cannot verify
        // P-521 CSRs, and SPIRE's key types stop at P-384, so naming the curve beats a
        // misleading "bad signature".
        if curve == OID_EC_P256 || curve == OID_NIST_EC_P384 {
            Ok(())
        } else {
            Err(CsrError::UnsupportedCurve(curve.to_id_string()))
        }
    } else {
        Err(CsrError::UnsupportedKeyAlgorithm(algorithm.to_id_string()))
    }
}

/// The modulus length in bits, counted from the first set bit (x509-parser's own `key_size`
/// miscounts moduli without a leading zero byte).
fn rsa_modulus_bits(spki: &SubjectPublicKeyInfo<'_>) -> Result<usize, CsrError> {
    let parsed = spki
        .parsed()
        .map_err(|e| CsrError::MalformedPublicKey(e.to_string()))?;
    let x509_parser::public_key::PublicKey::RSA(rsa) = parsed else {
        return Err(CsrError::MalformedPublicKey(
            "rsaEncryption key is not an RSA key".into(),
        ));
    };
    let modulus: &[u8] = rsa.modulus;
    let significant = modulus
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |first| &modulus[first..]);
    Ok(match significant.first() {
        Some(top) => significant.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    })
}

fn requested_uri_sans(csr: &X509CertificationRequest<'_>) -> Result<Vec<String>, CsrError> {
    let mut uris = Vec::new();
    let Some(extensions) = csr.requested_extensions() else {
        return Ok(uris);
    };
    for extension in extensions {
        match extension {
            ParsedExtension::BasicConstraints(bc) if bc.ca => return Err(CsrError::RequestsCa),
            ParsedExtension::SubjectAlternativeName(san) => {
                uris.extend(san.general_names.iter().filter_map(|name| match name {
                    GeneralName::URI(uri) => Some((*uri).to_owned()),
                    _ => None,
                }));
            }
            ParsedExtension::ParseError { error } => {
                return Err(CsrError::MalformedExtension(error.to_string()));
            }
            _ => {}
        }
    }
    if uris.len() > 1 {
        return Err(CsrError::TooManyUriSans(uris.len()));
    }
    Ok(uris)
}
