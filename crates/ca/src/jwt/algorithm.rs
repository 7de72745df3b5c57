//! The JWS algorithms JWT-SVIDs may use, and how each maps to key types and verifiers.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    VerificationAlgorithm,
};
use spire_plugin::KeyType;

use super::JwtError;

/// An asymmetric JWS algorithm accepted for JWT-SVIDs (RFC 7518 §3). `none` and the HMAC
/// family are deliberately absent: a JWT-SVID is only ever verified with a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
}

impl Algorithm {
    /// Parses a header `alg`, naming why a refused value is refused.
    pub fn from_header(alg: &str) -> Result<Self, JwtError> {
        Ok(match alg {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "ES512" => Self::Es512,
            // Compared case-insensitively so `None`/`NONE` cannot slip past as "unknown".
            a if a.eq_ignore_ascii_case("none") => return Err(JwtError::AlgorithmNone),
            a if a.starts_with("HS") => return Err(JwtError::HmacAlgorithm(a.to_owned())),
            a => return Err(JwtError::UnsupportedAlgorithm(a.to_owned())),
        })
    }

    /// The algorithm SPIRE signs with for a key type: ES256/ES384 for EC, RS256 for RSA.
    pub fn for_key_type(key_type: KeyType) -> Self {
        match key_type {
            KeyType::EcP256 => Self::Es256,
            KeyType::EcP384 => Self::Es384,
            KeyType::Rsa2048 | KeyType::Rsa4096 => Self::Rs256,
        }
    }

    /// The header `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
        }
    }

    /// Width in bytes of one of `r`, `s` in the fixed ECDSA signature form; `None` for RSA.
    pub(super) fn ecdsa_scalar_len(self) -> Option<usize> {
        match self {
            Self::Es256 => Some(32),
            Self::Es384 => Some(48),
            Self::Es512 => Some(66),
            _ => None,
        }
    }

    /// The aws-lc-rs verifier; it takes the key as a DER SubjectPublicKeyInfo and pins the
    /// curve, so an ES256 token cannot be checked against a P-384 key.
    pub(super) fn verifier(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
            Self::Rs384 => &RSA_PKCS1_2048_8192_SHA384,
            Self::Rs512 => &RSA_PKCS1_2048_8192_SHA512,
            Self::Ps256 => &RSA_PSS_2048_8192_SHA256,
            Self::Ps384 => &RSA_PSS_2048_8192_SHA384,
            Self::Ps512 => &RSA_PSS_2048_8192_SHA512,
            Self::Es256 => &ECDSA_P256_SHA256_FIXED,
            Self::Es384 => &ECDSA_P384_SHA384_FIXED,
            Self::Es512 => &ECDSA_P521_SHA512_FIXED,
        }
    }
}
