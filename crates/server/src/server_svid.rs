//! The server's own X509-SVID (`spiffe://<td>/spire/server`), presented on the TCP API. Its
//! key lives only in memory; a new key and SVID are made at half-life, as SPIRE does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::PublicKeyData;
use spire_tls::SvidResolver;

use crate::context::{MintX509Svid, SvidMinter, unix_seconds};

/// How often the rotator checks the server SVID (SPIRE: 5 s).
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Why the server SVID could not be (re)issued.
#[derive(Debug, thiserror::Error)]
pub enum ServerSvidError {
    #[error("generating the server SVID key failed: {0}")]
    Key(String),
    #[error("minting the server SVID failed: {0}")]
    Mint(#[from] crate::context::MintError),
    #[error("installing the server SVID failed: {0}")]
    Install(#[from] spire_tls::SvidResolverError),
}

/// Keeps the server SVID in `resolver` fresh.
#[derive(Debug)]
pub struct ServerSvid {
    spiffe_id: String,
    minter: Arc<dyn SvidMinter>,
    resolver: Arc<SvidResolver>,
    /// (issued at, expires at) of the SVID in the resolver, unix seconds.
    current: std::sync::Mutex<Option<(i64, i64)>>,
}

impl ServerSvid {
    pub fn new(
        trust_domain: &str,
        minter: Arc<dyn SvidMinter>,
        resolver: Arc<SvidResolver>,
    ) -> Self {
        Self {
            spiffe_id: format!("spiffe://{trust_domain}/spire/server"),
            minter,
            resolver,
            current: std::sync::Mutex::new(None),
        }
    }

    /// The server's SPIFFE ID.
    pub fn spiffe_id(&self) -> &str {
        &self.spiffe_id
    }

    /// Issues a new SVID when none exists or half its life has passed. Returns whether it did.
    pub fn rotate_if_due(&self, now: SystemTime) -> Result<bool, ServerSvidError> {
        let now_s = unix_seconds(now);
        let due = match *self.current.lock().unwrap_or_else(|p| p.into_inner()) {
            None => true,
            Some((issued, expires)) => now_s >= issued + (expires - issued) / 2,
        };
        if !due {
            return Ok(false);
        }
        self.rotate(now_s)?;
        Ok(true)
    }

    fn rotate(&self, now_s: i64) -> Result<(), ServerSvidError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| ServerSvidError::Key(e.to_string()))?;
        let minted = self.minter.mint_x509_svid(MintX509Svid {
            spiffe_id: self.spiffe_id.clone(),
            public_key_der: key.subject_public_key_info(),
            dns_names: Vec::new(),
            ttl: None,
        })?;
        self.resolver
            .set(minted.cert_chain, key.serialize_der().into())?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((now_s, minted.expires_at));
        tracing::debug!(spiffe_id = %self.spiffe_id, expires_at = minted.expires_at, "Server SVID rotated");
        Ok(())
    }
}
