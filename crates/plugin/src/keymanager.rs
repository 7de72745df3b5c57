//! The KeyManager plugin trait: holds private keys and signs with them; callers only ever see
//! public keys and signatures.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The key types SPIRE offers (`ca_key_type`, `jwt_key_type`, `workload_x509_svid_key_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    EcP256,
    EcP384,
    Rsa2048,
    Rsa4096,
}

impl KeyType {
    /// The name SPIRE's configuration uses (`ec-p256`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::EcP256 => "ec-p256",
            KeyType::EcP384 => "ec-p384",
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa4096 => "rsa-4096",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = KeyManagerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ec-p256" => Ok(KeyType::EcP256),
            "ec-p384" => Ok(KeyType::EcP384),
            "rsa-2048" => Ok(KeyType::Rsa2048),
            "rsa-4096" => Ok(KeyType::Rsa4096),
            other => Err(KeyManagerError::UnknownKeyType(other.to_owned())),
        }
    }
}

/// A private key held by a KeyManager.
///
/// `sign` hashes `message` itself (SHA-256 for ec-p256 and RSA keys, SHA-384 for ec-p384) and
/// returns the signature in the form X.509 uses: ECDSA as a DER `Ecdsa-Sig-Value`, RSA as
/// PKCS#1 v1.5. JWT signing converts ECDSA DER into the fixed `r||s` form itself.
pub trait Key: Send + Sync + fmt::Debug {
    /// The id the key was generated under (`x509-CA-A`, `JWT-Signer-B`, `agent-svid-A`, ...).
    fn id(&self) -> &str;
    fn key_type(&self) -> KeyType;
    /// The public key as a DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> &[u8];
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyManagerError>;
}

/// Generates, stores and finds keys by id. Implementations are cheap to share (`Arc`).
pub trait KeyManager: Send + Sync + fmt::Debug {
    /// Generates a new key under `id`, replacing (and durably overwriting) any key of that id.
    fn generate_key(&self, id: &str, key_type: KeyType) -> Result<Arc<dyn Key>, KeyManagerError>;
    /// The key stored under `id`, if any.
    fn key(&self, id: &str) -> Result<Option<Arc<dyn Key>>, KeyManagerError>;
    /// Every key held, in no particular order.
    fn keys(&self) -> Result<Vec<Arc<dyn Key>>, KeyManagerError>;
}

/// Why a KeyManager operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyManagerError {
    #[error("unknown key type {0:?} (expected one of ec-p256, ec-p384, rsa-2048, rsa-4096)")]
    UnknownKeyType(String),
    #[error("key id must not be empty")]
    EmptyKeyId,
    #[error("generating a {0} key failed")]
    Generate(KeyType),
    #[error("signing with key {0:?} failed")]
    Sign(String),
    #[error("key store {path}: {message}")]
    Store { path: String, message: String },
}
