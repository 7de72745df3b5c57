//! Turns PKCS#8 DER into a signer; generates PKCS#8 for a key type. The bytes come from and
//! go back to the keyring only.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, KeyPair, RSA_PKCS1_SHA256,
};
use spire_plugin::KeyType;

/// A parsed private key, alive only for one sign call or one generation.
pub(crate) enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl Signer {
    /// Fresh PKCS#8 DER for `key_type`, from the system CSPRNG.
    pub(crate) fn generate_pkcs8(key_type: KeyType) -> Option<Vec<u8>> {
        match ecdsa_algorithm(key_type) {
            Some(alg) => EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new())
                .ok()
                .map(|doc| doc.as_ref().to_vec()),
            None => {
                let size = if key_type == KeyType::Rsa4096 {
                    KeySize::Rsa4096
                } else {
                    KeySize::Rsa2048
                };
                let pair = RsaKeyPair::generate(size).ok()?;
                pair.as_der().ok().map(|der| der.as_ref().to_vec())
            }
        }
    }

    /// Parses PKCS#8 DER; returns the key type too. `None` for anything else.
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Option<(Self, KeyType)> {
        for key_type in [KeyType::EcP256, KeyType::EcP384] {
            let alg = ecdsa_algorithm(key_type)?;
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, pkcs8) {
                return Some((Signer::Ecdsa(pair), key_type));
            }
        }
        let pair = RsaKeyPair::from_pkcs8(pkcs8).ok()?;
        let key_type = match pair.public_modulus_len() * 8 {
            2048 => KeyType::Rsa2048,
            4096 => KeyType::Rsa4096,
            _ => return None,
        };
        Some((Signer::Rsa(pair), key_type))
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub(crate) fn public_key_der(&self) -> Option<Vec<u8>> {
        match self {
            Signer::Ecdsa(pair) => pair.public_key().as_der().ok().map(|d| d.as_ref().to_vec()),
            Signer::Rsa(pair) => pair.public_key().as_der().ok().map(|d| d.as_ref().to_vec()),
        }
    }

    /// ECDSA as DER `Ecdsa-Sig-Value`, RSA as PKCS#1 v1.5 with SHA-256 (the `Key` contract).
    pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        match self {
            Signer::Ecdsa(pair) => pair.sign(&rng, message).ok().map(|s| s.as_ref().to_vec()),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .ok()?;
                Some(signature)
            }
        }
    }
}

fn ecdsa_algorithm(key_type: KeyType) -> Option<&'static EcdsaSigningAlgorithm> {
    match key_type {
        KeyType::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
        KeyType::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
        KeyType::Rsa2048 | KeyType::Rsa4096 => None,
    }
}
