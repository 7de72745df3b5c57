//! Node attestation: on start the agent reuses a stored, unexpired SVID whose key the
//! KeyManager still holds; otherwise it generates a key (`agent-svid-A`/`-B`, as SPIRE's
//! SVID key manager alternates them), proves its node over `AttestAgent` and stores the SVID
//! it gets, with the bundle fetched right after.

pub mod catalog;
pub mod csr;
pub mod join_token;
pub mod stream;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spire_ca::clock::Clock;
use spire_plugin::{AgentNodeAttestor, Key, KeyManager, KeyManagerError, KeyType};
use spire_spiffe::TrustDomain;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::client::ServerConnection;
use crate::storage::{Storage, StorageError};
pub use join_token::JoinTokenAttestor;
pub use stream::{AttestedSvid, attest_agent, fetch_bundle};

/// The KeyManager ids of the agent SVID key; a new key takes the slot the current one does not.
pub const AGENT_KEY_A: &str = "agent-svid-A";
pub const AGENT_KEY_B: &str = "agent-svid-B";

/// Why node attestation failed.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("node attestor: {0}")]
    Plugin(spire_plugin::NodeAttestorError),
    #[error("{what}: {}: {}", .status.code(), .status.message())]
    Rpc {
        what: &'static str,
        status: tonic::Status,
    },
    #[error("attestation stream closed by the server before a result")]
    StreamClosed,
    #[error("attest response is missing SVID")]
    MissingSvid,
    #[error("empty SVID cert chain")]
    EmptyChain,
    #[error("server sent more than {0} challenges")]
    TooManyChallenges(usize),
    #[error("failed to generate CSR for attestation: {0}")]
    Csr(#[from] csr::CsrError),
    #[error("agent KeyManager: {0}")]
    KeyManager(#[from] KeyManagerError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("SVID loaded but no bundle in cache")]
    NoBundle,
    #[error("server bundle has no X.509 authorities")]
    EmptyBundle,
    #[error("agent SVID is not a valid certificate: {0}")]
    BadSvid(String),
}

impl AttestError {
    /// The server refused the agent (banned, bad evidence): retrying will not help.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, AttestError::Rpc { status, .. }
            if status.code() == tonic::Code::PermissionDenied)
    }

    /// The server could not be reached: retrying may help.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AttestError::Rpc { status, .. } => matches!(
                status.code(),
                tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
            ),
            AttestError::StreamClosed => true,
            _ => false,
        }
    }
}

/// The agent's identity once attested (or reloaded).
#[derive(Debug, Clone)]
pub struct AgentIdentity {
    /// The agent SVID, DER, leaf first.
    pub svid: Vec<Vec<u8>>,
    pub key: Arc<dyn Key>,
    pub reattestable: bool,
    /// The trust domain's X.509 authorities, DER.
    pub bundle: Vec<Vec<u8>>,
}

impl AgentIdentity {
    /// The agent's SPIFFE ID (the leaf's URI SAN), or "" when it has none.
    pub fn spiffe_id(&self) -> String {
        self.svid
            .first()
            .and_then(|leaf| spire_tls::peer_spiffe_id(leaf).ok())
            .map(|id| id.to_string())
            .unwrap_or_default()
    }
}

/// Everything node attestation needs.
#[derive(Debug, Clone)]
pub struct NodeAttestor {
    pub key_manager: Arc<dyn KeyManager>,
    pub storage: Arc<Storage>,
    pub conn: ServerConnection,
    pub attestor: Arc<dyn AgentNodeAttestor>,
    pub clock: Arc<dyn Clock>,
    /// The agent's trust domain (logged as its ID, `spiffe://example.org`).
    pub trust_domain: TrustDomain,
}

impl NodeAttestor {
    /// Reuses the stored SVID when it is valid, else attests. `bundle` is the bundle to trust
    /// (stored or bootstrap; `None` for insecure bootstrap).
    pub async fn load_or_attest(
        &self,
        bundle: Option<Vec<Vec<u8>>>,
    ) -> Result<AgentIdentity, AttestError> {
        match &bundle {
            Some(_) => {
                tracing::info!(trust_domain_id = %self.trust_domain.id_string(), "Bundle loaded")
            }
            None => tracing::info!("Bundle is not found"),
        }
        let stored = self.storage.data();
        let keys = agent_keys(self.key_manager.as_ref())?;
        let matching_key = stored
            .svid
            .first()
            .and_then(|leaf| find_key_for_leaf(&keys, leaf));
        let expired = match stored.svid.first() {
            Some(leaf) => is_expired(leaf, self.clock.now())?,
            None => false,
        };
        match (&matching_key, stored.svid.is_empty(), expired) {
            (Some(key), false, false) => {
                let Some(bundle) = bundle else {
                    return Err(AttestError::NoBundle);
                };
                let identity = AgentIdentity {
                    svid: stored.svid,
                    key: Arc::clone(key),
                    reattestable: stored.reattestable,
                    bundle,
                };
                tracing::info!(spiffe_id = %identity.spiffe_id(), "SVID loaded");
                return Ok(identity);
            }
            (Some(_), false, true) => {
                tracing::warn!("Private key recovered, but SVID is expired. Generating new keypair")
            }
            (Some(_), true, _) | (None, true, _) if !keys.is_empty() => {
                tracing::warn!("Keys recovered, but no SVID found. Generating new keypair")
            }
            (None, false, _) => {
                tracing::warn!("SVID recovered, but no private key found. Generating new keypair")
            }
            _ => tracing::debug!("No pre-existing agent SVID found. Will perform node attestation"),
        }
        tracing::info!("SVID is not found. Starting node attestation");
        let key = self.new_key(matching_key.as_deref())?;
        let identity = self.attest(key, bundle).await?;
        tracing::info!(
            spiffe_id = %identity.spiffe_id(),
            reattestable = identity.reattestable,
            "Node attestation was successful"
        );
        Ok(identity)
    }

    /// Attests with `key`, trusting `bundle` (or nothing, for insecure bootstrap); stores and
    /// returns the new identity. Used at start and for re-attestation.
    pub async fn attest(
        &self,
        key: Arc<dyn Key>,
        bundle: Option<Vec<Vec<u8>>>,
    ) -> Result<AgentIdentity, AttestError> {
        if let Some(roots) = &bundle {
            self.conn.verifier().set_roots(roots);
        }
        let csr = csr::agent_csr(key.as_ref())?;
        // A connection of its own, closed when attestation ends, as SPIRE does.
        let channel = self.conn.dedicated_channel();
        let attested = attest_agent(channel.clone(), self.attestor.as_ref(), csr).await?;
        let new_bundle = fetch_bundle(channel).await?;
        let roots: Vec<Vec<u8>> = new_bundle
            .x509_authorities
            .into_iter()
            .map(|a| a.der)
            .collect();
        if roots.is_empty() {
            return Err(AttestError::EmptyBundle);
        }
        self.conn.verifier().set_roots(&roots);
        self.storage.store_bundle(roots.clone())?;
        self.storage
            .store_svid(attested.chain.clone(), attested.reattestable)?;
        Ok(AgentIdentity {
            svid: attested.chain,
            key,
            reattestable: attested.reattestable,
            bundle: roots,
        })
    }

    /// A fresh agent key in the slot `current` does not occupy.
    pub fn new_key(&self, current: Option<&dyn Key>) -> Result<Arc<dyn Key>, AttestError> {
        let id = match current {
            Some(key) if key.id() == AGENT_KEY_A => AGENT_KEY_B,
            _ => AGENT_KEY_A,
        };
        Ok(self.key_manager.generate_key(id, KeyType::EcP256)?)
    }
}

/// The agent SVID keys the KeyManager holds.
fn agent_keys(km: &dyn KeyManager) -> Result<Vec<Arc<dyn Key>>, AttestError> {
    Ok(km
        .keys()?
        .into_iter()
        .filter(|k| k.id() == AGENT_KEY_A || k.id() == AGENT_KEY_B)
        .collect())
}

/// The key whose public key is the leaf's.
pub fn find_key_for_leaf(keys: &[Arc<dyn Key>], leaf_der: &[u8]) -> Option<Arc<dyn Key>> {
    let (_, cert) = X509Certificate::from_der(leaf_der).ok()?;
    let spki = cert.tbs_certificate.subject_pki.raw;
    keys.iter().find(|k| k.public_key_der() == spki).cloned()
}

/// SPIRE's check: expired when `now + 1s >= NotAfter`.
pub fn is_expired(leaf_der: &[u8], now: SystemTime) -> Result<bool, AttestError> {
    let not_after = not_after(leaf_der)?;
    Ok(now + Duration::from_secs(1) >= not_after)
}

/// The leaf's NotAfter.
pub fn not_after(leaf_der: &[u8]) -> Result<SystemTime, AttestError> {
    let (_, cert) =
        X509Certificate::from_der(leaf_der).map_err(|e| AttestError::BadSvid(e.to_string()))?;
    Ok(unix(cert.validity().not_after.timestamp()))
}

/// The leaf's NotBefore.
pub fn not_before(leaf_der: &[u8]) -> Result<SystemTime, AttestError> {
    let (_, cert) =
        X509Certificate::from_der(leaf_der).map_err(|e| AttestError::BadSvid(e.to_string()))?;
    Ok(unix(cert.validity().not_before.timestamp()))
}

fn unix(seconds: i64) -> SystemTime {
    match u64::try_from(seconds) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH,
    }
}

#[cfg(test)]
mod tests;
