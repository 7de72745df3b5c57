//! rcgen's signing traits over a KeyManager key, so certificates are signed by the plugin
//! and the private key never leaves it.

use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};
use spire_plugin::{Key, KeyType};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::CaError;

/// A KeyManager key seen through rcgen's eyes.
pub(crate) struct KeySigner<'k> {
    key: &'k dyn Key,
    subject_public_key: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl<'k> KeySigner<'k> {
    pub(crate) fn new(key: &'k dyn Key) -> Result<Self, CaError> {
        let subject_public_key =
            subject_public_key_bits(key.public_key_der()).map_err(|reason| {
                CaError::KeyPublicKey {
                    key_id: key.id().to_owned(),
                    reason,
                }
            })?;
        // The hash matches what `Key::sign` applies for each key type.
        let algorithm = match key.key_type() {
            KeyType::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Rsa2048 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        };
        Ok(KeySigner {
            key,
            subject_public_key,
            algorithm,
        })
    }
}

impl PublicKeyData for KeySigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.subject_public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl SigningKey for KeySigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// The contents of the subjectPublicKey BIT STRING of a DER SubjectPublicKeyInfo.
pub(crate) fn subject_public_key_bits(spki_der: &[u8]) -> Result<Vec<u8>, String> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} bytes of trailing data", rest.len()));
    }
    Ok(spki.subject_public_key.data.to_vec())
}

/// The key identifier SPIRE (Go's x509 package) puts in SKID/AKID: SHA-1 over the
/// subjectPublicKey bits. SHA-1 is used as an identifier here, not for security.
pub(crate) fn key_identifier(subject_public_key: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        subject_public_key,
    )
    .as_ref()
    .to_vec()
}
