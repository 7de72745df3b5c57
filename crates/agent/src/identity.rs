//! The seams between the agent's parts: what the Workload API asks of the SVID cache
//! ([`IdentityProvider`]) and what the cache asks of the server ([`ServerClient`]).
//! Protobuf types never cross these seams; they are converted at the gRPC edges.

use std::collections::BTreeMap;
use std::sync::Arc;

use spire_secret::SecretBytes;
use spire_spiffe::{Bundle, Selector, SpiffeId};
use tokio::sync::watch;

/// A registration entry as the agent receives it from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    pub entry_id: String,
    pub spiffe_id: SpiffeId,
    /// `None` when the server sent no parent ID.
    pub parent_id: Option<SpiffeId>,
    pub selectors: Vec<Selector>,
    /// Seconds; 0 = the server's default.
    pub x509_svid_ttl: i32,
    /// Seconds; 0 = the server's default.
    pub jwt_svid_ttl: i32,
    pub dns_names: Vec<String>,
    /// Trust domain names (`example.org`) whose bundles workloads of this entry receive.
    pub federates_with: Vec<String>,
    pub revision_number: i64,
    pub hint: String,
    /// Unix seconds.
    pub created_at: i64,
    pub admin: bool,
    pub downstream: bool,
    pub store_svid: bool,
    pub disable_x509_svid_prefetch: bool,
    pub jwt_svid_include_jti: bool,
}

/// One X509-SVID held for a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509Identity {
    pub entry_id: String,
    pub spiffe_id: String,
    /// DER certificates, leaf first.
    pub cert_chain: Vec<Vec<u8>>,
    /// PKCS#8 DER private key (never printed, zeroed on drop).
    pub private_key_pkcs8: SecretBytes,
    pub hint: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// One JWT-SVID for a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtIdentity {
    pub spiffe_id: String,
    pub token: String,
    pub hint: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Everything a workload's FetchX509SVID stream sends: its SVIDs (first = default identity),
/// its own trust domain bundle and the federated bundles its entries ask for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkloadUpdate {
    pub identities: Vec<X509Identity>,
    pub bundle: Option<Bundle>,
    /// Keyed by trust domain name (`example.org`).
    pub federated_bundles: BTreeMap<String, Bundle>,
    /// True while identities may still come: entries match the workload but some of their
    /// SVIDs are still being minted, or the agent has not synced with the server yet. An
    /// update with no identities and `pending` false means "no identity issued", at once.
    pub pending: bool,
}

/// All trust bundles the agent knows, keyed by trust domain name; the agent's own included.
pub type BundleSet = BTreeMap<String, Bundle>;

/// Why the cache could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The workload matches no entry (Workload API: PermissionDenied "no identity issued").
    #[error("no identity issued")]
    NoIdentity,
    /// The server could not be reached or refused (Workload API: Unavailable).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    InvalidArgument(String),
}

/// What the Workload API needs from the agent's SVID cache.
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// Subscribes a workload with `selectors`. The receiver holds the current update at once
    /// (possibly with no identities while SVIDs are being minted) and sees every change.
    /// Dropping the receiver unsubscribes.
    fn subscribe(&self, selectors: Vec<Selector>) -> watch::Receiver<Arc<WorkloadUpdate>>;

    /// JWT-SVIDs for every entry matching `selectors` (only `spiffe_id`'s when given), for
    /// `audience` (at least one). Served from the JWT cache when fresh.
    async fn fetch_jwt_svids(
        &self,
        selectors: &[Selector],
        audience: &[String],
        spiffe_id: Option<&str>,
    ) -> Result<Vec<JwtIdentity>, IdentityError>;

    /// Every known bundle; the receiver sees every change.
    fn bundles(&self) -> watch::Receiver<Arc<BundleSet>>;
}

/// A workload CSR to sign for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509SvidRequest {
    pub entry_id: String,
    /// DER PKCS#10 request carrying only the public key (the server takes the ID from the entry).
    pub csr_der: Vec<u8>,
}

/// A signed workload X509-SVID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedX509Svid {
    pub entry_id: String,
    pub cert_chain: Vec<Vec<u8>>,
    pub expires_at: i64,
}

/// A signed workload JWT-SVID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedJwtSvid {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The authorized state the server hands the agent on each sync.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncedState {
    pub entries: Vec<AgentEntry>,
    pub bundle: Option<Bundle>,
    /// Federated bundles for the trust domains the entries federate with.
    pub federated_bundles: BTreeMap<String, Bundle>,
}

/// Why a server call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerClientError {
    /// Transient: network, server down, timeouts. Retry with backoff.
    #[error("server unavailable: {0}")]
    Unavailable(String),
    /// The server refused the agent (banned, evicted, expired): stop or re-attest.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Other(String),
}

/// What the cache needs from the server (implemented over gRPC with the agent's SVID).
#[async_trait::async_trait]
pub trait ServerClient: Send + Sync + std::fmt::Debug {
    /// The entries the agent is authorized for, with its bundle and federated bundles.
    async fn sync(&self) -> Result<SyncedState, ServerClientError>;
    /// Signs workload CSRs (BatchNewX509SVID). Per-entry failures are left out of the result.
    async fn new_x509_svids(
        &self,
        requests: Vec<X509SvidRequest>,
    ) -> Result<Vec<SignedX509Svid>, ServerClientError>;
    /// Mints a JWT-SVID for an entry (NewJWTSVID).
    async fn new_jwt_svid(
        &self,
        entry_id: &str,
        audience: &[String],
    ) -> Result<SignedJwtSvid, ServerClientError>;
}
