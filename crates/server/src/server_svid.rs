//! The server's own X509-SVID (`spiffe://<td>/spire/server`), presented on the TCP API. Its
//! key lives only in memory; a new key and SVID are made at half-life, as SPIRE does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::PublicKeyData;
use spire_ca::renewal::RenewalSchedule;
use spire_spiffe::{SpiffeId, TrustDomain};
use spire_tls::SvidResolver;

use crate::context::{MintX509Svid, SvidMinter};

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
    spiffe_id: SpiffeId,
    minter: Arc<dyn SvidMinter>,
    resolver: Arc<SvidResolver>,
    /// When the SVID in the resolver is due: half-way from its issue to its expiry.
    current: std::sync::Mutex<Option<RenewalSchedule>>,
}

impl ServerSvid {
    pub fn new(
        trust_domain: &TrustDomain,
        minter: Arc<dyn SvidMinter>,
        resolver: Arc<SvidResolver>,
    ) -> Self {
        Self {
            spiffe_id: trust_domain.server_id(),
            minter,
            resolver,
            current: std::sync::Mutex::new(None),
        }
    }

    /// The server's SPIFFE ID.
    pub fn spiffe_id(&self) -> &SpiffeId {
        &self.spiffe_id
    }

    /// Issues a new SVID when none exists or half its life has passed. Returns whether it did.
    pub fn rotate_if_due(&self, now: SystemTime) -> Result<bool, ServerSvidError> {
        let due = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|schedule| schedule.is_due(now));
        if !due {
            return Ok(false);
        }
        self.rotate(now)?;
        Ok(true)
    }

    fn rotate(&self, now: SystemTime) -> Result<(), ServerSvidError> {
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
        let expires_at = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(minted.expires_at).unwrap_or(0));
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(RenewalSchedule::at_half_life(now, expires_at));
        tracing::debug!(spiffe_id = %self.spiffe_id, expires_at = minted.expires_at, "Server SVID rotated");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    use super::*;
    use crate::context::{MintError, MintJwtSvid, MintedJwtSvid, MintedX509Svid};

    /// Mints SVIDs that expire one hour after the time it is told, counting them.
    #[derive(Debug, Default)]
    struct HourMinter {
        now_unix: AtomicI64,
        minted: AtomicUsize,
    }

    impl SvidMinter for HourMinter {
        fn mint_x509_svid(&self, _: MintX509Svid) -> Result<MintedX509Svid, MintError> {
            self.minted.fetch_add(1, Ordering::SeqCst);
            Ok(MintedX509Svid {
                cert_chain: vec![b"leaf".to_vec()],
                expires_at: self.now_unix.load(Ordering::SeqCst) + 3600,
                ttl_capped: false,
            })
        }

        fn mint_jwt_svid(&self, _: MintJwtSvid) -> Result<MintedJwtSvid, MintError> {
            unreachable!("the server SVID is an X509-SVID")
        }
    }

    #[test]
    fn server_svid_is_reissued_at_exactly_half_its_life() {
        let minter = Arc::new(HourMinter::default());
        let t0 = 1_700_000_000;
        minter.now_unix.store(t0, Ordering::SeqCst);
        let svid = ServerSvid::new(
            &TrustDomain::new("example.org").expect("valid"),
            minter.clone(),
            Arc::new(SvidResolver::new()),
        );
        let at = |secs: i64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs());
        assert!(svid.rotate_if_due(at(t0)).expect("first SVID"));
        assert!(!svid.rotate_if_due(at(t0 + 1799)).expect("not due"));
        minter.now_unix.store(t0 + 1800, Ordering::SeqCst);
        assert!(svid.rotate_if_due(at(t0 + 1800)).expect("due at half life"));
        assert!(
            !svid
                .rotate_if_due(at(t0 + 1801))
                .expect("the new one is fresh")
        );
        assert_eq!(minter.minted.load(Ordering::SeqCst), 2);
    }
}
