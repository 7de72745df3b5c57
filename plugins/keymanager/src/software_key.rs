//! A private key held in process memory, generated and used through aws-lc-rs.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, KeyPair, RSA_PKCS1_SHA256,
};
use spire_plugin::{Key, KeyManagerError, KeyType};
use spire_secret::SecretBytes;

/// A key generated or loaded by this crate. Keeps its PKCS#8 encoding so the disk store can
/// persist it; that encoding never leaves the crate.
pub(crate) struct SoftwareKey {
    id: String,
    key_type: KeyType,
    pkcs8: SecretBytes,
    public_key_der: Vec<u8>,
    signer: Signer,
}

/// Why a stored PKCS#8 document could not become a key.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("not a PKCS#8 EC P-256, EC P-384 or RSA private key")]
    Unrecognised,
    #[error("RSA key of {0} bits is not a supported size (2048 or 4096)")]
    UnsupportedRsaSize(usize),
    #[error("public key could not be encoded")]
    PublicKey,
}

impl SoftwareKey {
    /// Generates a fresh key of `key_type` from the operating system's CSPRNG (aws-lc-rs offers
    /// no way to inject another source for key generation).
    pub(crate) fn generate(id: &str, key_type: KeyType) -> Result<Self, KeyManagerError> {
        if id.is_empty() {
            return Err(KeyManagerError::EmptyKeyId);
        }
        let pkcs8 = match ecdsa_algorithm(key_type) {
            Some(alg) => EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new())
                .map_err(|_| KeyManagerError::Generate(key_type))?
                .as_ref()
                .to_vec(),
            None => {
                let size = if key_type == KeyType::Rsa4096 {
                    KeySize::Rsa4096
                } else {
                    KeySize::Rsa2048
                };
                let pair =
                    RsaKeyPair::generate(size).map_err(|_| KeyManagerError::Generate(key_type))?;
                pair.as_der()
                    .map_err(|_| KeyManagerError::Generate(key_type))?
                    .as_ref()
                    .to_vec()
            }
        };
        Self::from_pkcs8(id, pkcs8).map_err(|_| KeyManagerError::Generate(key_type))
    }

    /// Loads a key from its PKCS#8 DER encoding, working out its type.
    pub(crate) fn from_pkcs8(id: &str, pkcs8: Vec<u8>) -> Result<Self, KeyParseError> {
        // Zeroed when dropped, on the error paths too.
        let pkcs8 = SecretBytes::new(pkcs8);
        for key_type in [KeyType::EcP256, KeyType::EcP384] {
            let Some(alg) = ecdsa_algorithm(key_type) else {
                continue;
            };
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, pkcs8.expose_secret()) {
                let public_key_der = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| KeyParseError::PublicKey)?
                    .as_ref()
                    .to_vec();
                return Ok(Self::assemble(
                    id,
                    key_type,
                    pkcs8,
                    public_key_der,
                    Signer::Ecdsa(pair),
                ));
            }
        }
        let pair = RsaKeyPair::from_pkcs8(pkcs8.expose_secret())
            .map_err(|_| KeyParseError::Unrecognised)?;
        let bits = pair.public_modulus_len() * 8;
        let key_type = match bits {
            2048 => KeyType::Rsa2048,
            4096 => KeyType::Rsa4096,
            other => return Err(KeyParseError::UnsupportedRsaSize(other)),
        };
        let public_key_der = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyParseError::PublicKey)?
            .as_ref()
            .to_vec();
        Ok(Self::assemble(
            id,
            key_type,
            pkcs8,
            public_key_der,
            Signer::Rsa(pair),
        ))
    }

    /// The PKCS#8 DER encoding, for persistence inside this crate only.
    pub(crate) fn pkcs8(&self) -> &[u8] {
        self.pkcs8.expose_secret()
    }

    fn assemble(
        id: &str,
        key_type: KeyType,
        pkcs8: SecretBytes,
        public_key_der: Vec<u8>,
        signer: Signer,
    ) -> Self {
        Self {
            id: id.to_owned(),
            key_type,
            pkcs8,
            public_key_der,
            signer,
        }
    }
}

impl Key for SoftwareKey {
    fn id(&self) -> &str {
        &self.id
    }

    fn key_type(&self) -> KeyType {
        self.key_type
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyManagerError> {
        let rng = SystemRandom::new();
        let failed = || KeyManagerError::Sign(self.id.clone());
        match &self.signer {
            Signer::Ecdsa(pair) => Ok(pair
                .sign(&rng, message)
                .map_err(|_| failed())?
                .as_ref()
                .to_vec()),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| failed())?;
                Ok(signature)
            }
        }
    }
}

/// Shows id and type only: the private key must never reach a log line.
impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("id", &self.id)
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// The ASN.1-signature ECDSA algorithm of an EC key type; `None` for RSA types. SHA-256 goes
/// with P-256 and SHA-384 with P-384, as the `Key` trait documents.
fn ecdsa_algorithm(key_type: KeyType) -> Option<&'static EcdsaSigningAlgorithm> {
    match key_type {
        KeyType::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
        KeyType::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
        KeyType::Rsa2048 | KeyType::Rsa4096 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_round_trip_keeps_type_and_public_key() {
        for key_type in [KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048] {
            let key = SoftwareKey::generate("k", key_type).expect("generation succeeds");
            let reloaded = SoftwareKey::from_pkcs8("k", key.pkcs8().to_vec()).expect("reloads");
            assert_eq!(reloaded.key_type(), key_type);
            assert_eq!(reloaded.public_key_der(), key.public_key_der());
        }
    }

    #[test]
    fn garbage_pkcs8_is_rejected_as_unrecognised() {
        let err = SoftwareKey::from_pkcs8("k", vec![0x30, 0x03, 0x02, 0x01, 0x00])
            .expect_err("garbage is not a key");
        assert_eq!(err, KeyParseError::Unrecognised);
    }

    #[test]
    fn debug_output_names_id_but_no_key_bytes() {
        let key = SoftwareKey::generate("secret-id", KeyType::EcP256).expect("generation succeeds");
        let shown = format!("{key:?}");
        assert!(shown.contains("secret-id"));
        assert!(!shown.contains("pkcs8"));
    }
}
