//! Key material in memory: [`SecretBytes`] holds private key bytes (PKCS#8 DER and the like)
//! so that they never reach a log line or a panic message through `{:?}`, and are overwritten
//! with zeros when the last copy is dropped (through `zeroize`, which the compiler may not
//! optimise away).
//!
//! Structs that hold keys derive `Debug` freely once their key field is a `SecretBytes`; reading
//! the bytes takes an explicit [`SecretBytes::expose_secret`], easy to find in review. This
//! crate does not encrypt, lock pages in memory, or stop copies the caller makes of the exposed
//! slice (a protobuf field, a PEM file): those copies are the caller's to handle.

use std::fmt;

use zeroize::Zeroizing;

/// Secret bytes: `Debug` shows only their length; zeroed on drop; compared by content.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes` (no copy is left behind).
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes themselves.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_length_but_never_the_bytes() {
        let secret = SecretBytes::new(vec![0xAB; 40]);
        let shown = format!("{secret:?} {secret:#?}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.to_lowercase().contains("ab"), "{shown}");
        assert!(shown.contains("40 bytes redacted"), "{shown}");
    }

    #[test]
    fn debug_of_a_struct_holding_it_hides_the_bytes() {
        #[derive(Debug)]
        #[expect(dead_code, reason = "only printed")]
        struct Holder {
            key: SecretBytes,
        }
        let shown = format!(
            "{:?}",
            Holder {
                key: vec![0x5A; 8].into()
            }
        );
        assert!(!shown.contains("90"), "{shown}");
    }

    #[test]
    fn compares_and_exposes_by_content() {
        let a = SecretBytes::from(vec![1, 2, 3]);
        assert_eq!(a, SecretBytes::new(vec![1, 2, 3]));
        assert_ne!(a, SecretBytes::new(vec![1, 2, 4]));
        assert_eq!(a.expose_secret(), &[1, 2, 3]);
        assert_eq!(a.len(), 3);
        assert!(SecretBytes::default().is_empty());
    }
}
