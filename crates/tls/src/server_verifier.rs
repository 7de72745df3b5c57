//! How the agent authenticates the SPIRE server: the server's chain must verify against the
//! trust bundle of the moment, and its leaf must name exactly `spiffe://<td>/spire/server`.
//! Host names play no part (SPIRE server SVIDs carry only the URI SAN).

use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use spire_spiffe::SpiffeId;

use crate::peer_spiffe_id;

/// What the server's chain is checked against.
#[derive(Debug, Clone)]
enum Trust {
    /// The bundle's X.509 authorities.
    Roots(Arc<RootCertStore>),
    /// `insecure_bootstrap`: the chain is not verified, only the server's SPIFFE ID is checked.
    /// As in SPIRE this is no security feature, merely a check that the right trust domain's
    /// server was reached; it lasts until the first bundle is installed.
    InsecureBootstrap,
}

/// Verifies the SPIRE server's certificate for the agent. Roots follow the bundle through
/// [`ServerIdVerifier::set_roots`].
#[derive(Debug)]
pub struct ServerIdVerifier {
    expected_id: SpiffeId,
    trust: RwLock<Trust>,
}

impl ServerIdVerifier {
    /// Trusts `roots` (DER certificates) and expects the server ID `expected_id`.
    pub fn with_roots(expected_id: SpiffeId, roots: &[Vec<u8>]) -> Self {
        Self {
            expected_id,
            trust: RwLock::new(Trust::Roots(Arc::new(root_store(roots)))),
        }
    }

    /// Accepts any chain whose leaf names `expected_id` (SPIRE's `insecure_bootstrap`).
    pub fn insecure_bootstrap(expected_id: SpiffeId) -> Self {
        Self {
            expected_id,
            trust: RwLock::new(Trust::InsecureBootstrap),
        }
    }

    /// Replaces the trust roots (ending an insecure bootstrap). Returns how many roots were
    /// unparsable and skipped.
    pub fn set_roots(&self, roots: &[Vec<u8>]) -> usize {
        let store = root_store(roots);
        let skipped = roots.len().saturating_sub(store.len());
        *self.trust.write().unwrap_or_else(|p| p.into_inner()) = Trust::Roots(Arc::new(store));
        skipped
    }

    /// Whether no chain verification happens yet.
    pub fn is_insecure_bootstrap(&self) -> bool {
        matches!(
            *self.trust.read().unwrap_or_else(|p| p.into_inner()),
            Trust::InsecureBootstrap
        )
    }

    pub fn expected_id(&self) -> &SpiffeId {
        &self.expected_id
    }

    fn trust(&self) -> Trust {
        self.trust.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn root_store(roots: &[Vec<u8>]) -> RootCertStore {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(roots.iter().map(|r| CertificateDer::from(r.clone())));
    store
}

impl ServerCertVerifier for ServerIdVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Trust::Roots(roots) = self.trust() {
            let parsed = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &parsed,
                &roots,
                intermediates,
                now,
                crate::provider().signature_verification_algorithms.all,
            )?;
        }
        let id = peer_spiffe_id(end_entity.as_ref()).map_err(|e| {
            rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                Arc::new(e),
            )))
        })?;
        if id != self.expected_id {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(UnexpectedServerId {
                    expected: self.expected_id.clone(),
                    found: id,
                })),
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &crate::provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &crate::provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        crate::provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The server presented a valid SVID of another identity.
#[derive(Debug, thiserror::Error)]
#[error("expected server SPIFFE ID {:?}; got {:?}", expected.as_str(), found.as_str())]
pub struct UnexpectedServerId {
    pub expected: SpiffeId,
    pub found: SpiffeId,
}
