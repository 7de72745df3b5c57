//! Public keys as JSON Web Key parameters (RFC 7518 §6) and back to DER SubjectPublicKeyInfo.
//!
//! Bundles keep keys as SPKI DER (as SPIRE's datastore and API do); bundle documents carry them
//! as JWK parameters. This module converts between the two for EC P-256/P-384/P-521, RSA and
//! Ed25519. It checks shapes and lengths only: it does not check that an EC point is on its
//! curve (that needs a crypto library, and the verifier that uses the key will).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::der;

/// An elliptic curve a JWK may name in `crv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    P256,
    P384,
    P521,
}

/// A public key in the form JWK parameters describe it.
///
/// Built through [`JwkPublicKey::from_spki_der`] or [`JwkPublicKey::from_jwk_params`], which
/// check coordinate and key lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkPublicKey {
    /// `kty: EC`; `x` and `y` are big-endian, exactly the curve's coordinate length.
    Ec {
        curve: EcCurve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    /// `kty: RSA`; `n` and `e` are big-endian, non-zero, without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// `kty: OKP`, `crv: Ed25519`; `x` is the 32-byte public key.
    Ed25519 { x: Vec<u8> },
}

/// Why a public key could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    #[error("public key is not a DER SubjectPublicKeyInfo: {0}")]
    BadSpki(String),
    #[error("public key has {0} trailing bytes after the SubjectPublicKeyInfo")]
    TrailingBytes(usize),
    #[error("public key algorithm {0} is not supported (EC, RSA or Ed25519 expected)")]
    UnsupportedAlgorithm(String),
    #[error("EC public key names no curve or an unsupported one (P-256, P-384, P-521 expected)")]
    UnsupportedSpkiCurve,
    #[error("EC public key point is not an uncompressed point of {expected} bytes")]
    BadEcPoint { expected: usize },
    #[error("JWK parameter \"{0}\" is missing")]
    MissingParam(&'static str),
    #[error("JWK parameter \"{0}\" must be a string")]
    ParamNotString(&'static str),
    #[error("JWK parameter \"{param}\" is not unpadded base64url: {reason}")]
    BadBase64 { param: &'static str, reason: String },
    #[error("JWK key type {0:?} is not supported (EC, RSA or OKP expected)")]
    UnsupportedKeyType(String),
    #[error("JWK curve {0:?} is not supported for this key type")]
    UnsupportedCurve(String),
    #[error("JWK parameter \"{param}\" is {actual} bytes, {expected} expected")]
    BadLength {
        param: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("JWK parameter \"{0}\" must not be zero")]
    Zero(&'static str),
}

impl EcCurve {
    /// The JWK `crv` name (`P-256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        }
    }

    /// Bytes in one coordinate.
    pub fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// Reads a JWK `crv` name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::P256, Self::P384, Self::P521]
            .into_iter()
            .find(|c| c.name() == name)
    }

    fn oid(self) -> &'static [u8] {
        match self {
            Self::P256 => OID_P256,
            Self::P384 => OID_P384,
            Self::P521 => OID_P521,
        }
    }
}

impl JwkPublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, JwkError> {
        let (rest, spki) =
            SubjectPublicKeyInfo::from_der(der).map_err(|e| JwkError::BadSpki(e.to_string()))?;
        if !rest.is_empty() {
            return Err(JwkError::TrailingBytes(rest.len()));
        }
        Self::from_parsed_spki(&spki)
    }

    /// Reads an SPKI already parsed by x509-parser (from a certificate, say).
    pub fn from_parsed_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self, JwkError> {
        let algorithm = spki.algorithm.algorithm.as_bytes();
        let key = spki.subject_public_key.data.as_ref();
        if algorithm == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
                .and_then(|oid| curve_from_oid(oid.as_bytes()))
                .ok_or(JwkError::UnsupportedSpkiCurve)?;
            ec_from_point(curve, key)
        } else if algorithm == OID_RSA_ENCRYPTION {
            rsa_from_spki(spki)
        } else if algorithm == OID_ED25519 {
            check_len("x", key, ED25519_KEY_LEN)?;
            Ok(Self::Ed25519 { x: key.to_vec() })
        } else {
            Err(JwkError::UnsupportedAlgorithm(
                spki.algorithm.algorithm.to_id_string(),
            ))
        }
    }

    /// Encodes the key as a DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Vec<u8> {
        match self {
            Self::Ec { curve, x, y } => {
                let algorithm = der::sequence(&[
                    &der::tlv(der::TAG_OID, OID_EC_PUBLIC_KEY),
                    &der::tlv(der::TAG_OID, curve.oid()),
                ]);
                let point = [&[0x04][..], x, y].concat();
                der::sequence(&[&algorithm, &der::bit_string(&point)])
            }
            Self::Rsa { n, e } => {
                let algorithm = der::sequence(&[
                    &der::tlv(der::TAG_OID, OID_RSA_ENCRYPTION),
                    &der::tlv(der::TAG_NULL, &[]),
                ]);
                let key = der::sequence(&[&der::unsigned_integer(n), &der::unsigned_integer(e)]);
                der::sequence(&[&algorithm, &der::bit_string(&key)])
            }
            Self::Ed25519 { x } => {
                let algorithm = der::sequence(&[&der::tlv(der::TAG_OID, OID_ED25519)]);
                der::sequence(&[&algorithm, &der::bit_string(x)])
            }
        }
    }

    /// Reads the key parameters (`kty`, `crv`, `x`, `y`, `n`, `e`) of a JWK object.
    pub fn from_jwk_params(jwk: &Map<String, Value>) -> Result<Self, JwkError> {
        let kty = string_param(jwk, "kty")?;
        match kty {
            "EC" => {
                let crv = string_param(jwk, "crv")?;
                let curve = EcCurve::from_name(crv)
                    .ok_or_else(|| JwkError::UnsupportedCurve(crv.into()))?;
                let x = bytes_param(jwk, "x")?;
                let y = bytes_param(jwk, "y")?;
                check_len("x", &x, curve.coordinate_len())?;
                check_len("y", &y, curve.coordinate_len())?;
                Ok(Self::Ec { curve, x, y })
            }
            "RSA" => {
                // Leading zero bytes are tolerated (go-jose reads them as big integers) and
                // dropped, so the stored key has one form.
                let n = strip_leading_zeros("n", &bytes_param(jwk, "n")?)?;
                let e = strip_leading_zeros("e", &bytes_param(jwk, "e")?)?;
                Ok(Self::Rsa { n, e })
            }
            "OKP" => {
                let crv = string_param(jwk, "crv")?;
                if crv != "Ed25519" {
                    return Err(JwkError::UnsupportedCurve(crv.into()));
                }
                let x = bytes_param(jwk, "x")?;
                check_len("x", &x, ED25519_KEY_LEN)?;
                Ok(Self::Ed25519 { x })
            }
            other => Err(JwkError::UnsupportedKeyType(other.into())),
        }
    }

    /// The JWK `kty`.
    pub fn kty(&self) -> &'static str {
        match self {
            Self::Ec { .. } => "EC",
            Self::Rsa { .. } => "RSA",
            Self::Ed25519 { .. } => "OKP",
        }
    }

    /// The `crv`, if the key type has one.
    pub fn crv(&self) -> Option<&'static str> {
        match self {
            Self::Ec { curve, .. } => Some(curve.name()),
            Self::Rsa { .. } => None,
            Self::Ed25519 { .. } => Some("Ed25519"),
        }
    }

    /// The key parameters after `kty`/`kid`/`crv`, base64url encoded, in go-jose's order
    /// (`x`, `y`, `n`, `e`).
    pub fn encoded_params(&self) -> Vec<(&'static str, String)> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match self {
            Self::Ec { x, y, .. } => vec![("x", b64(x)), ("y", b64(y))],
            Self::Rsa { n, e } => vec![("n", b64(n)), ("e", b64(e))],
            Self::Ed25519 { x } => vec![("x", b64(x))],
        }
    }
}

// DER contents of the object identifiers used above.
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22]; // 1.3.132.0.34
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23]; // 1.3.132.0.35
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70]; // 1.3.101.112
const ED25519_KEY_LEN: usize = 32;

fn curve_from_oid(oid: &[u8]) -> Option<EcCurve> {
    [EcCurve::P256, EcCurve::P384, EcCurve::P521]
        .into_iter()
        .find(|c| c.oid() == oid)
}

fn ec_from_point(curve: EcCurve, point: &[u8]) -> Result<JwkPublicKey, JwkError> {
    let size = curve.coordinate_len();
    match point.split_first() {
        Some((0x04, coordinates)) if coordinates.len() == 2 * size => {
            let (x, y) = coordinates.split_at(size);
            Ok(JwkPublicKey::Ec {
                curve,
                x: x.to_vec(),
                y: y.to_vec(),
            })
        }
        _ => Err(JwkError::BadEcPoint {
            expected: 1 + 2 * size,
        }),
    }
}

fn rsa_from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<JwkPublicKey, JwkError> {
    let x509_parser::public_key::PublicKey::RSA(rsa) = spki
        .parsed()
        .map_err(|e| JwkError::BadSpki(e.to_string()))?
    else {
        return Err(JwkError::BadSpki("RSA key is not an RSAPublicKey".into()));
    };
    Ok(JwkPublicKey::Rsa {
        n: strip_leading_zeros("n", rsa.modulus)?,
        e: strip_leading_zeros("e", rsa.exponent)?,
    })
}

fn string_param<'a>(jwk: &'a Map<String, Value>, param: &'static str) -> Result<&'a str, JwkError> {
    match jwk.get(param) {
        None | Some(Value::Null) => Err(JwkError::MissingParam(param)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(JwkError::ParamNotString(param)),
    }
}

fn bytes_param(jwk: &Map<String, Value>, param: &'static str) -> Result<Vec<u8>, JwkError> {
    let text = string_param(jwk, param)?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| JwkError::BadBase64 {
            param,
            reason: e.to_string(),
        })
}

fn check_len(param: &'static str, bytes: &[u8], expected: usize) -> Result<(), JwkError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(JwkError::BadLength {
            param,
            expected,
            actual: bytes.len(),
        })
    }
}

fn strip_leading_zeros(param: &'static str, bytes: &[u8]) -> Result<Vec<u8>, JwkError> {
    match bytes.iter().position(|&b| b != 0) {
        Some(first) => Ok(bytes[first..].to_vec()),
        None => Err(JwkError::Zero(param)),
    }
}
