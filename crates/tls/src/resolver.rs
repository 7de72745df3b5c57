//! A certificate resolver whose X509-SVID is replaced on rotation without restarting listeners.

use std::sync::{Arc, RwLock};

use rustls::client::ResolvesClientCert;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spire_secret::SecretBytes;

/// Why an SVID could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum SvidResolverError {
    #[error("the SVID chain is empty")]
    EmptyChain,
    #[error("the SVID private key is not usable for TLS: {0}")]
    Key(rustls::Error),
}

/// Holds the current SVID (chain + key) for TLS, shared by every connection.
#[derive(Debug, Default)]
pub struct SvidResolver {
    current: RwLock<Option<Arc<CertifiedKey>>>,
}

impl SvidResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs a new SVID: `chain` leaf first (DER), `key_pkcs8` its PKCS#8 private key. The
    /// key bytes are only borrowed to build the signing key and zeroed when `key_pkcs8` drops.
    pub fn set(
        &self,
        chain: Vec<Vec<u8>>,
        key_pkcs8: SecretBytes,
    ) -> Result<(), SvidResolverError> {
        if chain.is_empty() {
            return Err(SvidResolverError::EmptyChain);
        }
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.expose_secret()));
        let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)
            .map_err(SvidResolverError::Key)?;
        let certs = chain.into_iter().map(CertificateDer::from).collect();
        let certified = Arc::new(CertifiedKey::new(certs, signer));
        // A poisoned lock only means a writer panicked mid-assignment of an Arc, which cannot
        // leave the Option torn; keep serving with whatever it holds.
        let mut slot = self.current.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(certified);
        Ok(())
    }

    /// The SVID currently served, if one was installed.
    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for SvidResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

impl ResolvesClientCert for SvidResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.current()
    }

    fn has_certs(&self) -> bool {
        self.current().is_some()
    }
}
