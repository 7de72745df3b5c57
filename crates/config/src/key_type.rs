//! Key types named in `ca_key_type`, `jwt_key_type` and `workload_x509_svid_key_type`.

use std::fmt;
use std::str::FromStr;

/// A key algorithm and size, spelled as in SPIRE's configuration (`ec-p256`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA 2048-bit.
    Rsa2048,
    /// RSA 4096-bit.
    Rsa4096,
    /// ECDSA P-256 (SPIRE's default).
    EcP256,
    /// ECDSA P-384.
    EcP384,
}

/// A key type name SPIRE does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key type {0:?} is unknown; must be one of [rsa-2048, rsa-4096, ec-p256, ec-p384]")]
pub struct UnknownKeyType(pub String);

impl KeyType {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::EcP256 => "ec-p256",
            KeyType::EcP384 => "ec-p384",
        }
    }
}

impl FromStr for KeyType {
    type Err = UnknownKeyType;

    /// Case-insensitive, as SPIRE lowercases before matching.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rsa-2048" => Ok(KeyType::Rsa2048),
            "rsa-4096" => Ok(KeyType::Rsa4096),
            "ec-p256" => Ok(KeyType::EcP256),
            "ec-p384" => Ok(KeyType::EcP384),
            _ => Err(UnknownKeyType(s.to_string())),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
