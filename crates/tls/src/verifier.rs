//! Client certificates verified against the trust bundle of the moment.

use std::sync::{Arc, RwLock};

use rustls::DistinguishedName;
use rustls::RootCertStore;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls_pki_types::{CertificateDer, UnixTime};

/// Requests a client certificate, accepts connections without one (node attestation and
/// `GetBundle` are reached that way), and verifies any presented chain against the current
/// bundle roots. Roots are swapped with [`BundleClientVerifier::set_roots`] when the bundle
/// changes; with no roots every presented certificate is refused.
#[derive(Debug)]
pub struct BundleClientVerifier {
    inner: RwLock<Option<Arc<dyn ClientCertVerifier>>>,
}

impl Default for BundleClientVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl BundleClientVerifier {
    pub fn new() -> Self {
        Self {
            inner: RwLock::new(None),
        }
    }

    /// Replaces the trust roots (DER certificates). Unparsable roots are skipped and counted.
    pub fn set_roots(&self, roots: &[Vec<u8>]) -> usize {
        let mut store = RootCertStore::empty();
        let (_, skipped) =
            store.add_parsable_certificates(roots.iter().map(|r| CertificateDer::from(r.clone())));
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(store), crate::provider())
                .allow_unauthenticated()
                .build()
                .ok();
        let mut slot = self.inner.write().unwrap_or_else(|p| p.into_inner());
        *slot = verifier;
        skipped
    }

    fn current(&self) -> Option<Arc<dyn ClientCertVerifier>> {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn no_roots() -> rustls::Error {
    rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
}

impl ClientCertVerifier for BundleClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: clients pick their SVID themselves, and hints would leak the CA subjects.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let inner = self.current().ok_or_else(no_roots)?;
        let verified = inner.verify_client_cert(end_entity, intermediates, now)?;
        // A verified chain is not yet an X509-SVID: as SPIRE does (go-spiffe's
        // `x509svid.Verify`), refuse the handshake when the leaf names no single SPIFFE ID or
        // breaks the leaf rules, rather than treating the caller as anonymous.
        crate::peer_spiffe_id(end_entity.as_ref()).map_err(|e| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(e),
            )))
        })?;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let inner = self.current().ok_or_else(no_roots)?;
        inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let inner = self.current().ok_or_else(no_roots)?;
        inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        crate::provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
