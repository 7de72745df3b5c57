//! What every API service of the server shares: the trust domain, the datastore, the CA (as
//! an [`SvidMinter`]), the clock and the API settings from `server {}`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spire_ca::clock::Clock;
use spire_datastore::DataStore;
use spire_plugin::nodeattestor::ServerNodeAttestor;
use spire_spiffe::{SpiffeId, TrustDomain};

use crate::api::ratelimit::RateLimits;
use crate::authorized::AuthorizedEntriesCache;

/// Shared state handed to each gRPC service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerContext {
    /// The server's trust domain (`example.org`).
    pub trust_domain: TrustDomain,
    pub datastore: Arc<dyn DataStore>,
    pub minter: Arc<dyn SvidMinter>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<ApiSettings>,
    /// Node attestors by name (`x509pop`); `join_token` is served natively, not from here.
    pub node_attestors: Arc<BTreeMap<String, Arc<dyn ServerNodeAttestor>>>,
    /// The entries each agent may see, from a snapshot reloaded every few seconds.
    pub authorized_entries: Arc<AuthorizedEntriesCache>,
    /// Per-IP limits on attestation and signing (`ratelimit {}`).
    pub rate_limits: Arc<RateLimits>,
}

impl ServerContext {
    /// Seconds since the Unix epoch, by the injected clock.
    pub fn now_unix(&self) -> i64 {
        unix_seconds(self.clock.now())
    }
}

/// The `server {}` settings the APIs need.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub default_x509_svid_ttl: Duration,
    pub default_jwt_svid_ttl: Duration,
    /// TTL of agent SVIDs (SPIRE's `agent_ttl`, defaulting to the X.509 SVID TTL).
    pub agent_ttl: Duration,
    /// SPIFFE IDs granted admin rights on the TCP API (`admin_ids`).
    pub admin_ids: Vec<SpiffeId>,
}

/// Signs SVIDs with the currently active authority. Identities passed in are already
/// validated by the caller; the minter never reads an identity from a CSR.
pub trait SvidMinter: Send + Sync + std::fmt::Debug {
    fn mint_x509_svid(&self, request: MintX509Svid) -> Result<MintedX509Svid, MintError>;
    fn mint_jwt_svid(&self, request: MintJwtSvid) -> Result<MintedJwtSvid, MintError>;
}

/// An X509-SVID to sign.
#[derive(Debug, Clone)]
pub struct MintX509Svid {
    /// The validated SPIFFE ID (`spiffe://example.org/web`).
    pub spiffe_id: SpiffeId,
    /// The subject public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    pub dns_names: Vec<String>,
    /// `None` uses `default_x509_svid_ttl`.
    pub ttl: Option<Duration>,
}

/// A signed X509-SVID.
#[derive(Debug, Clone)]
pub struct MintedX509Svid {
    /// Leaf first, then any intermediates up to (not including) the root.
    pub cert_chain: Vec<Vec<u8>>,
    pub expires_at: i64,
    /// Set when the requested TTL was cut to the signing CA's lifetime.
    pub ttl_capped: bool,
}

/// A JWT-SVID to sign.
#[derive(Debug, Clone)]
pub struct MintJwtSvid {
    pub spiffe_id: SpiffeId,
    pub audience: Vec<String>,
    /// `None` uses `default_jwt_svid_ttl`.
    pub ttl: Option<Duration>,
}

/// A signed JWT-SVID.
#[derive(Debug, Clone)]
pub struct MintedJwtSvid {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("no active {0} authority yet")]
    NoAuthority(&'static str),
    #[error("JWT-SVIDs are disabled on this server")]
    JwtDisabled,
    #[error("{0}")]
    InvalidRequest(String),
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Seconds since the Unix epoch (0 for times before it).
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
