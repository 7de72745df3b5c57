//! rustls signing over a KeyManager key, so the agent's TLS client authenticates with its SVID
//! while the private key stays inside the KeyManager.

use std::sync::{Arc, RwLock};

use rustls::client::ResolvesClientCert;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use spire_plugin::{Key, KeyType};

/// A [`SigningKey`] whose signatures come from [`Key::sign`].
///
/// `Key::sign` hashes the message itself and returns ECDSA signatures as DER `Ecdsa-Sig-Value`
/// and RSA signatures as PKCS#1 v1.5, which are exactly the encodings TLS uses for
/// `ecdsa_secp*_sha*` and `rsa_pkcs1_sha256`, so no conversion is needed.
#[derive(Debug, Clone)]
pub struct KeyManagerSigningKey {
    key: Arc<dyn Key>,
}

impl KeyManagerSigningKey {
    pub fn new(key: Arc<dyn Key>) -> Self {
        Self { key }
    }

    /// The one scheme whose hash matches what `Key::sign` applies for this key type.
    fn scheme(&self) -> SignatureScheme {
        match self.key.key_type() {
            KeyType::EcP256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            KeyType::EcP384 => SignatureScheme::ECDSA_NISTP384_SHA384,
            KeyType::Rsa2048 | KeyType::Rsa4096 => SignatureScheme::RSA_PKCS1_SHA256,
        }
    }
}

impl SigningKey for KeyManagerSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = self.scheme();
        offered.contains(&scheme).then(|| {
            Box::new(KeyManagerSigner {
                key: Arc::clone(&self.key),
                scheme,
            }) as Box<dyn Signer>
        })
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.key.public_key_der()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.key.key_type() {
            KeyType::EcP256 | KeyType::EcP384 => SignatureAlgorithm::ECDSA,
            KeyType::Rsa2048 | KeyType::Rsa4096 => SignatureAlgorithm::RSA,
        }
    }
}

#[derive(Debug)]
struct KeyManagerSigner {
    key: Arc<dyn Key>,
    scheme: SignatureScheme,
}

impl Signer for KeyManagerSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.key
            .sign(message)
            .map_err(|e| rustls::Error::General(format!("KeyManager signing failed: {e}")))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// The client certificate of the agent: its SVID chain and its KeyManager key. Replaced on
/// rotation; connections opened afterwards present the new SVID.
#[derive(Debug, Default)]
pub struct KeyManagerSvidResolver {
    current: RwLock<Option<Arc<CertifiedKey>>>,
}

impl KeyManagerSvidResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `chain` (DER, leaf first) signed for by `key`; an empty chain clears the SVID.
    pub fn set(&self, chain: Vec<Vec<u8>>, key: Arc<dyn Key>) {
        let certified = (!chain.is_empty()).then(|| {
            let certs = chain.into_iter().map(CertificateDer::from).collect();
            Arc::new(CertifiedKey::new(
                certs,
                Arc::new(KeyManagerSigningKey::new(key)),
            ))
        });
        // A poisoned lock only means a writer panicked while assigning an Option<Arc>, which
        // cannot leave it torn.
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = certified;
    }

    /// Forgets the SVID: connections opened afterwards present no client certificate.
    pub fn clear(&self) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ResolvesClientCert for KeyManagerSvidResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let current = self.current()?;
        // Presenting a certificate we cannot sign for would fail the handshake; presenting
        // none lets the server answer with a clear authorization error instead.
        current.key.choose_scheme(sigschemes).map(|_| current)
    }

    fn has_certs(&self) -> bool {
        self.current().is_some()
    }
}
