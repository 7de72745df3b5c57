//! Proof of possession: the signature over SHA-256(challenge nonce || response nonce).
//!
//! SPIRE signs that digest directly (Go's `ecdsa.Sign(digest)` and `rsa.SignPSS(SHA256, digest)`),
//! so both halves here use aws-lc-rs' digest APIs rather than hashing again. RSA uses PSS with the
//! largest salt (what Go produces with nil options); a salt of the digest length is also accepted
//! when verifying, as Go's verifier auto-detects it.

use std::fmt;

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::rsa::RsaPssSaltLength;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, RsaParameters, RsaSignatureEncoding,
    UnparsedPublicKey,
};

use crate::wire::{
    Challenge, EcdsaSignatureResponse, NONCE_LEN, NonceChallenge, Response, RsaSignatureResponse,
};

/// Where nonces come from; injected so tests can replay a nonce.
pub trait NonceSource: Send + Sync + fmt::Debug {
    /// Fills `buf` with unpredictable bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), PopError>;
}

/// The operating system's CSPRNG through aws-lc-rs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNonces;

impl NonceSource for SystemNonces {
    fn fill(&self, buf: &mut [u8]) -> Result<(), PopError> {
        aws_lc_rs::rand::fill(buf).map_err(|_| PopError::Random)
    }
}

/// The public key of a chain-verified leaf, as the server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeafPublicKey {
    /// PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// Uncompressed P-256 point.
    EcdsaP256(Vec<u8>),
    /// Uncompressed P-384 point.
    EcdsaP384(Vec<u8>),
}

/// Why a proof of possession could not be produced or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PopError {
    #[error("the system random generator failed")]
    Random,
    #[error("expecting {0} challenge")]
    WrongChallengeScheme(&'static str),
    #[error("expecting {0} response")]
    WrongResponseScheme(&'static str),
    #[error("invalid challenge nonce")]
    ChallengeNonce,
    #[error("invalid response nonce")]
    ResponseNonce,
    #[error("{0} signature verify failed")]
    BadSignature(&'static str),
    #[error("signing the challenge failed")]
    Signing,
}

const RSA_PSS_MAX_SALT_VERIFY: RsaParameters =
    signature::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(RsaPssSaltLength::Max);
const RSA_PSS_MAX_SALT_SIGN: RsaSignatureEncoding =
    signature::RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Max);

impl LeafPublicKey {
    /// A fresh challenge for this key type.
    pub fn challenge(&self, nonces: &dyn NonceSource) -> Result<Challenge, PopError> {
        let mut nonce = vec![0u8; NONCE_LEN];
        nonces.fill(&mut nonce)?;
        let scheme = Some(NonceChallenge { nonce });
        Ok(match self {
            Self::Rsa(_) => Challenge {
                rsa_signature: scheme,
                ecdsa_signature: None,
            },
            Self::EcdsaP256(_) | Self::EcdsaP384(_) => Challenge {
                rsa_signature: None,
                ecdsa_signature: scheme,
            },
        })
    }

    /// Checks `response` against the `challenge` this key was sent.
    pub fn verify(&self, challenge: &Challenge, response: &Response) -> Result<(), PopError> {
        match self {
            Self::Rsa(key) => {
                let c = challenge
                    .rsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongChallengeScheme("RSA"))?;
                let r = response
                    .rsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongResponseScheme("RSA"))?;
                let digest = combine_nonces(&c.nonce, &r.nonce)?;
                let max = UnparsedPublicKey::new(&RSA_PSS_MAX_SALT_VERIFY, key);
                let hash_len = UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, key);
                max.verify_digest(&digest, &r.signature)
                    .or_else(|_| hash_len.verify_digest(&digest, &r.signature))
                    .map_err(|_| PopError::BadSignature("RSA"))
            }
            Self::EcdsaP256(point) | Self::EcdsaP384(point) => {
                let c = challenge
                    .ecdsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongChallengeScheme("ECDSA"))?;
                let r = response
                    .ecdsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongResponseScheme("ECDSA"))?;
                let digest = combine_nonces(&c.nonce, &r.nonce)?;
                let alg = match self {
                    Self::EcdsaP384(_) => &signature::ECDSA_P384_SHA256_ASN1,
                    _ => &signature::ECDSA_P256_SHA256_ASN1,
                };
                let der = ecdsa_der(&r.r, &r.s).ok_or(PopError::BadSignature("ECDSA"))?;
                UnparsedPublicKey::new(alg, point)
                    .verify_digest(&digest, &der)
                    .map_err(|_| PopError::BadSignature("ECDSA"))
            }
        }
    }
}

/// The agent's private key.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
}

impl fmt::Debug for SigningKey {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa(_) => f.write_str("SigningKey::Rsa(..)"),
            Self::EcdsaP256(_) => f.write_str("SigningKey::EcdsaP256(..)"),
        }
    }
}

impl SigningKey {
    /// The public key bytes in the form [`LeafPublicKey`] holds them.
    pub fn public_key_bytes(&self) -> &[u8] {
        match self {
            Self::Rsa(k) => k.public_key().as_ref(),
            Self::EcdsaP256(k) => k.public_key().as_ref(),
        }
    }

    /// Answers `challenge` with a fresh nonce from `nonces`.
    pub fn respond(
        &self,
        challenge: &Challenge,
        nonces: &dyn NonceSource,
    ) -> Result<Response, PopError> {
        let mut nonce = vec![0u8; NONCE_LEN];
        nonces.fill(&mut nonce)?;
        match self {
            Self::Rsa(key) => {
                let c = challenge
                    .rsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongChallengeScheme("RSA"))?;
                let digest = combine_nonces(&c.nonce, &nonce)?;
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign_digest(&RSA_PSS_MAX_SALT_SIGN, &digest, &mut sig)
                    .map_err(|_| PopError::Signing)?;
                Ok(Response {
                    rsa_signature: Some(RsaSignatureResponse {
                        nonce,
                        signature: sig,
                    }),
                    ecdsa_signature: None,
                })
            }
            Self::EcdsaP256(key) => {
                let c = challenge
                    .ecdsa_signature
                    .as_ref()
                    .ok_or(PopError::WrongChallengeScheme("ECDSA"))?;
                let digest = combine_nonces(&c.nonce, &nonce)?;
                let sig = key.sign_digest(&digest).map_err(|_| PopError::Signing)?;
                let (r, s) = sig.as_ref().split_at(sig.as_ref().len() / 2);
                Ok(Response {
                    rsa_signature: None,
                    ecdsa_signature: Some(EcdsaSignatureResponse {
                        nonce,
                        r: trim_leading_zeros(r).to_vec(),
                        s: trim_leading_zeros(s).to_vec(),
                    }),
                })
            }
        }
    }
}

/// SHA-256(challenge || response), both exactly [`NONCE_LEN`] bytes.
fn combine_nonces(challenge: &[u8], response: &[u8]) -> Result<Digest, PopError> {
    if challenge.len() != NONCE_LEN {
        return Err(PopError::ChallengeNonce);
    }
    if response.len() != NONCE_LEN {
        return Err(PopError::ResponseNonce);
    }
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(challenge);
    ctx.update(response);
    Ok(ctx.finish())
}

/// Go's `big.Int.Bytes()`: big-endian without leading zeros.
fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Longest `r`/`s` accepted (P-521 scalars are 66 bytes; anything longer is malformed).
const MAX_SCALAR_LEN: usize = 66;

/// DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from unsigned big-endian parts.
fn ecdsa_der(r: &[u8], s: &[u8]) -> Option<Vec<u8>> {
    let r = der_unsigned_integer(r)?;
    let s = der_unsigned_integer(s)?;
    let body_len = r.len() + s.len();
    // Both integers are at most 2 + 67 bytes, so the short length form always applies.
    let len = u8::try_from(body_len).ok().filter(|l| *l < 0x80)?;
    let mut out = Vec::with_capacity(2 + body_len);
    out.extend_from_slice(&[0x30, len]);
    out.extend_from_slice(&r);
    out.extend_from_slice(&s);
    Some(out)
}

fn der_unsigned_integer(value: &[u8]) -> Option<Vec<u8>> {
    let value = trim_leading_zeros(value);
    if value.len() > MAX_SCALAR_LEN {
        return None;
    }
    let mut content = Vec::with_capacity(value.len() + 1);
    if value.is_empty() || value[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(value);
    let len = u8::try_from(content.len()).ok()?;
    let mut out = vec![0x02, len];
    out.extend_from_slice(&content);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;

    fn p256_key() -> SigningKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("key generation works");
        SigningKey::EcdsaP256(
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                .expect("generated key parses"),
        )
    }

    #[test]
    fn ecdsa_response_verifies_against_its_challenge() {
        let key = p256_key();
        let public = LeafPublicKey::EcdsaP256(key.public_key_bytes().to_vec());
        let challenge = public.challenge(&SystemNonces).expect("rng works");
        let response = key
            .respond(&challenge, &SystemNonces)
            .expect("signing works");
        assert_eq!(public.verify(&challenge, &response), Ok(()));
    }

    #[test]
    fn rsa_challenge_is_refused_by_an_ecdsa_key() {
        let key = p256_key();
        let challenge = LeafPublicKey::Rsa(vec![])
            .challenge(&SystemNonces)
            .expect("rng works");
        assert_eq!(
            key.respond(&challenge, &SystemNonces).err(),
            Some(PopError::WrongChallengeScheme("ECDSA"))
        );
    }

    #[test]
    fn short_challenge_nonce_is_refused() {
        let challenge = Challenge {
            rsa_signature: None,
            ecdsa_signature: Some(NonceChallenge { nonce: vec![1; 31] }),
        };
        assert_eq!(
            p256_key().respond(&challenge, &SystemNonces).err(),
            Some(PopError::ChallengeNonce)
        );
    }

    #[test]
    fn der_integer_gets_a_sign_byte_when_the_high_bit_is_set() {
        assert_eq!(
            der_unsigned_integer(&[0x00, 0x80]),
            Some(vec![2, 2, 0, 0x80])
        );
        assert_eq!(der_unsigned_integer(&[0x7f]), Some(vec![2, 1, 0x7f]));
        assert_eq!(der_unsigned_integer(&[]), Some(vec![2, 1, 0]));
        assert_eq!(der_unsigned_integer(&[1; 67]), None);
    }
}
