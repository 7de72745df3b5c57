//! The async shell around `spire_ca::rotation::Authorities`: ticks the rotation state machine
//! with the injected clock, publishes prepared authorities to the trust bundle in the
//! datastore before they sign anything, prunes expired ones, and signs SVIDs with whatever is
//! active ([`SvidMinter`]).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spire_ca::clock::Clock;
use spire_ca::jwt::{JwtSvidClaims, mint_jwt_svid};
use spire_ca::rotation::{
    Authorities, AuthorityParams, Journal, PRUNE_GRACE, PublishedAuthorities, RotationEvent,
    SlotStatus, prune_bundle,
};
use spire_ca::x509::X509SvidRequest;
use spire_datastore::{CaJournal, DataStore};
use spire_spiffe::{Bundle, JwtAuthority, X509Authority};

use crate::context::{
    MintError, MintJwtSvid, MintX509Svid, MintedJwtSvid, MintedX509Svid, SvidMinter, unix_seconds,
};

/// How often rotation is checked (SPIRE: 10 s).
pub const ROTATION_INTERVAL: Duration = Duration::from_secs(10);

/// Why a rotation step failed.
#[derive(Debug, thiserror::Error)]
pub enum CaShellError {
    #[error("CA rotation: {0}")]
    Rotation(#[from] spire_ca::x509::CaError),
    #[error("publishing to the trust bundle: {0}")]
    Bundle(#[from] spire_datastore::DataStoreError),
    #[error("loading the CA journal: {0}")]
    Journal(#[from] spire_ca::rotation::JournalDecodeError),
    #[error("KeyManager: {0}")]
    KeyManager(#[from] spire_plugin::KeyManagerError),
}

/// TTLs and claims the CA applies when a request leaves them out.
#[derive(Debug, Clone)]
pub struct SigningDefaults {
    pub x509_svid_ttl: Duration,
    pub jwt_svid_ttl: Duration,
    pub jwt_issuer: Option<String>,
    pub disable_jwt_svids: bool,
}

/// The server's CA: rotation state plus the datastore it publishes to.
#[derive(Debug)]
pub struct ServerCa {
    trust_domain: String,
    authorities: Mutex<Authorities>,
    datastore: Arc<dyn DataStore>,
    clock: Arc<dyn Clock>,
    defaults: SigningDefaults,
    /// Row of this server's journal in `ca_journals`; 0 until first stored.
    journal_id: AtomicI64,
    /// The journal changed since it was last stored.
    journal_dirty: AtomicBool,
}

impl ServerCa {
    pub fn new(
        km: Arc<dyn spire_plugin::KeyManager>,
        params: AuthorityParams,
        datastore: Arc<dyn DataStore>,
        clock: Arc<dyn Clock>,
        defaults: SigningDefaults,
    ) -> Self {
        Self {
            trust_domain: params.trust_domain.to_string(),
            authorities: Mutex::new(Authorities::new(km, params)),
            datastore,
            clock,
            defaults,
            journal_id: AtomicI64::new(0),
            journal_dirty: AtomicBool::new(false),
        }
    }

    /// The CA as this server left it: finds its journal in the datastore (SPIRE's way: the
    /// row whose active X.509 authority ID is that of one of the KeyManager's keys) and
    /// resumes the slots it lists, so a restart keeps signing with the CA agents trust.
    pub async fn resume(
        km: Arc<dyn spire_plugin::KeyManager>,
        params: AuthorityParams,
        datastore: Arc<dyn DataStore>,
        clock: Arc<dyn Clock>,
        defaults: SigningDefaults,
    ) -> Result<Self, CaShellError> {
        let trust_domain = params.trust_domain.to_string();
        let stored = find_journal(km.as_ref(), datastore.as_ref()).await?;
        let Some(stored) = stored else {
            tracing::info!("No CA journal matches a KeyManager key; starting new authorities");
            return Ok(Self::new(km, params, datastore, clock, defaults));
        };
        let journal = Journal::decode(
            &stored.data,
            &stored.active_x509_authority_id,
            &stored.active_jwt_authority_id,
        )?;
        let published =
            datastore
                .fetch_bundle(&trust_domain)
                .await?
                .map(|b| PublishedAuthorities {
                    x509_der: b.x509_authorities.into_iter().map(|a| a.der).collect(),
                    jwt_key_ids: b.jwt_authorities.into_iter().map(|a| a.key_id).collect(),
                });
        let (authorities, skipped) =
            Authorities::resume(km, params, journal, published.as_ref(), clock.now())?;
        for entry in skipped {
            tracing::warn!(slot = %entry.slot_id, local_authority_id = %entry.authority_id,
                reason = ?entry.reason, "CA journal entry not resumed");
        }
        tracing::info!(ca_journal_id = stored.id, authorities = ?authorities, "CA journal loaded");
        Ok(Self {
            trust_domain,
            authorities: Mutex::new(authorities),
            datastore,
            clock,
            defaults,
            journal_id: AtomicI64::new(stored.id),
            journal_dirty: AtomicBool::new(true),
        })
    }

    /// One rotation step: tick, publish what was prepared, prune what expired. Returns the
    /// bundle as it stands afterwards when it changed.
    pub async fn rotate(&self) -> Result<Option<Bundle>, CaShellError> {
        let now = self.clock.now();
        let (events, journal) = {
            let mut authorities = self.authorities.lock().unwrap_or_else(|p| p.into_inner());
            let events = authorities.tick(now)?;
            (events, authorities.journal().clone())
        };
        if !events.is_empty() {
            self.journal_dirty.store(true, Ordering::SeqCst);
        }
        // A bundle created by this append starts at sequence 1; appending to an existing
        // bundle bumps its stored sequence instead (the datastore ignores this value then).
        let mut additions = Bundle {
            trust_domain: self.trust_domain.clone(),
            sequence_number: 1,
            ..Bundle::default()
        };
        for event in &events {
            match event {
                RotationEvent::X509Prepared {
                    cert_der,
                    authority_id,
                    ..
                } => {
                    tracing::info!(authority_id = %authority_id, "X509 CA prepared");
                    additions.x509_authorities.push(X509Authority {
                        der: cert_der.clone(),
                        tainted: false,
                    });
                }
                RotationEvent::JwtPrepared {
                    key_id,
                    public_key_der,
                    expires_at,
                    ..
                } => {
                    tracing::info!(local_authority_id = %key_id, "JWT key prepared");
                    additions.jwt_authorities.push(JwtAuthority {
                        key_id: key_id.clone(),
                        public_key_der: public_key_der.clone(),
                        expires_at: unix_seconds(*expires_at),
                        tainted: false,
                    });
                }
                RotationEvent::X509Activated { authority_id, .. } => {
                    tracing::info!(authority_id = %authority_id, "X509 CA activated");
                }
                RotationEvent::JwtActivated { key_id, .. } => {
                    tracing::info!(local_authority_id = %key_id, "JWT key activated");
                }
            }
        }
        let mut changed = None;
        if !additions.x509_authorities.is_empty() || !additions.jwt_authorities.is_empty() {
            changed = Some(self.datastore.append_bundle(&additions).await?);
        }
        // After the bundle: a journal entry must never name an authority agents can't see.
        self.store_journal(&journal).await?;
        // The decision is made on a copy; the write is the datastore's own locked
        // read-modify-write, so an authority another server appended in between (several
        // servers share one bundle) is never overwritten by this server's stale copy.
        if let Some(mut bundle) = self.datastore.fetch_bundle(&self.trust_domain).await?
            && prune_bundle(&mut bundle, now)
        {
            let cutoff = unix_seconds(now.checked_sub(PRUNE_GRACE).unwrap_or(now));
            match self
                .datastore
                .prune_bundle(&self.trust_domain, cutoff)
                .await
            {
                Ok(true) => {
                    tracing::info!("Pruned expired authorities from the trust bundle");
                    changed = self.datastore.fetch_bundle(&self.trust_domain).await?;
                }
                Ok(false) => {}
                // Every X.509 authority expired: keep them rather than empty the bundle.
                Err(spire_datastore::DataStoreError::FailedPrecondition(reason)) => {
                    tracing::warn!(%reason, "Not pruning the trust bundle");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(changed)
    }

    /// Writes the journal when it changed. Like SPIRE, nothing is stored before an X.509
    /// CA was activated: the row is found by that authority's ID.
    async fn store_journal(&self, journal: &Journal) -> Result<(), CaShellError> {
        if !self.journal_dirty.load(Ordering::SeqCst)
            || journal.active_x509_authority_id().is_empty()
        {
            return Ok(());
        }
        let stored = self
            .datastore
            .set_ca_journal(&CaJournal {
                id: self.journal_id.load(Ordering::SeqCst),
                data: journal.encode(),
                active_x509_authority_id: journal.active_x509_authority_id().to_owned(),
                active_jwt_authority_id: journal.active_jwt_authority_id().to_owned(),
            })
            .await?;
        self.journal_id.store(stored.id, Ordering::SeqCst);
        self.journal_dirty.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// The local trust bundle from the datastore.
    pub async fn bundle(&self) -> Result<Option<Bundle>, CaShellError> {
        Ok(self.datastore.fetch_bundle(&self.trust_domain).await?)
    }
}

impl SvidMinter for ServerCa {
    fn mint_x509_svid(&self, request: MintX509Svid) -> Result<MintedX509Svid, MintError> {
        let now = self.clock.now();
        // Take a copy of the active CA (certificate bytes and an `Arc` of its key) and sign
        // outside the lock, so SVIDs for many agents are signed on several threads at once.
        let ca = self
            .authorities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .active_x509()
            .cloned()
            .ok_or(MintError::NoAuthority("X.509"))?;
        let minted = ca
            .mint_x509_svid(
                &X509SvidRequest {
                    spiffe_id: request.spiffe_id.to_string(),
                    public_key_der: request.public_key_der,
                    dns_names: request.dns_names,
                    ttl: request.ttl.unwrap_or(self.defaults.x509_svid_ttl),
                },
                now,
            )
            .map_err(|e| MintError::InvalidRequest(e.to_string()))?;
        Ok(MintedX509Svid {
            cert_chain: vec![minted.der],
            expires_at: unix_seconds(minted.not_after),
            ttl_capped: minted.ttl_capped,
        })
    }

    fn mint_jwt_svid(&self, request: MintJwtSvid) -> Result<MintedJwtSvid, MintError> {
        if self.defaults.disable_jwt_svids {
            return Err(MintError::JwtDisabled);
        }
        let now = unix_seconds(self.clock.now());
        // Copy what signing needs out of the lock (an `Arc` of the key, its kid and expiry)
        // and sign outside it, as for X509-SVIDs.
        let (key, kid, key_expires_at) = {
            let authorities = self.authorities.lock().unwrap_or_else(|p| p.into_inner());
            let (key, kid) = authorities
                .active_jwt()
                .ok_or(MintError::NoAuthority("JWT"))?;
            let key_expires_at = authorities
                .jwt_states()
                .into_iter()
                .find(|s| s.status == SlotStatus::Active)
                .map(|active| unix_seconds(active.expires_at));
            (key, kid.to_owned(), key_expires_at)
        };
        let ttl = request.ttl.unwrap_or(self.defaults.jwt_svid_ttl);
        let mut expires_at = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        // Like X509-SVIDs, a JWT-SVID never outlives the key that signed it.
        if let Some(key_expires_at) = key_expires_at {
            expires_at = expires_at.min(key_expires_at);
        }
        let claims = JwtSvidClaims {
            sub: request.spiffe_id.to_string(),
            aud: request.audience,
            exp: expires_at,
            iat: now,
            iss: self.defaults.jwt_issuer.clone(),
            jti: None,
        };
        let token = mint_jwt_svid(key.as_ref(), &kid, &claims)
            .map_err(|e| MintError::InvalidRequest(e.to_string()))?;
        Ok(MintedJwtSvid {
            token,
            issued_at: now,
            expires_at,
        })
    }
}

/// This server's journal row: the newest whose active X.509 authority is one of the
/// KeyManager's keys.
async fn find_journal(
    km: &dyn spire_plugin::KeyManager,
    datastore: &dyn DataStore,
) -> Result<Option<CaJournal>, CaShellError> {
    for key in km.keys()? {
        let Ok(authority_id) = spire_ca::x509::key_authority_id(key.public_key_der()) else {
            tracing::warn!(key_id = key.id(), "KeyManager key has no usable public key");
            continue;
        };
        if let Some(journal) = datastore.fetch_ca_journal(&authority_id).await? {
            return Ok(Some(journal));
        }
    }
    Ok(None)
}
