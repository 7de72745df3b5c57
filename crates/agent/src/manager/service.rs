//! The [`Manager`]: shared state, subscriptions and the [`IdentityProvider`] implementation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use rand::SeedableRng;
use rand::rngs::StdRng;
use spire_ca::clock::Clock;
use spire_spiffe::{Bundle, Selector};
use tokio::sync::{Notify, watch};

use crate::cache::{CacheCounts, CacheLimits, JwtSvidKey, SelectorSet, SvidCache, unix_seconds};
use crate::identity::{
    BundleSet, IdentityError, IdentityProvider, JwtIdentity, ServerClient, WorkloadUpdate,
};

use super::settings::ManagerSettings;

/// Keeps the agent's workload SVIDs minted, rotated and pushed to subscribers.
/// Build with [`Manager::new`], then drive with [`Manager::run`].
#[derive(Debug)]
pub struct Manager {
    pub(super) server: Arc<dyn ServerClient>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: ManagerSettings,
    pub(super) state: Mutex<State>,
    pub(super) bundles_tx: watch::Sender<Arc<BundleSet>>,
    /// Wakes the loop early: a subscriber is waiting for an SVID.
    pub(super) wake: Notify,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) cache: SvidCache,
    pub(super) groups: HashMap<SelectorSet, Group>,
    pub(super) rng: StdRng,
    pub(super) last_sync_success: Option<SystemTime>,
}

/// The subscribers sharing one selector set.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) tx: watch::Sender<Arc<WorkloadUpdate>>,
    /// Subscribers registered with the cache core for this set.
    pub(super) subscribers: usize,
    /// Set once the group was sent an update with every matching SVID; until then it sees
    /// no identities, so the default (first) SVID does not flap while SVIDs trickle in.
    pub(super) ready: bool,
}

impl Manager {
    /// A manager for `settings.trust_domain` starting from `bundle`, with its RNG seeded from
    /// the OS.
    pub fn new(
        server: Arc<dyn ServerClient>,
        clock: Arc<dyn Clock>,
        settings: ManagerSettings,
        bundle: Option<Bundle>,
    ) -> Arc<Manager> {
        Self::with_rng(server, clock, settings, bundle, StdRng::from_os_rng())
    }

    /// As [`Manager::new`] with a given RNG (tests pass a seeded one).
    pub fn with_rng(
        server: Arc<dyn ServerClient>,
        clock: Arc<dyn Clock>,
        settings: ManagerSettings,
        bundle: Option<Bundle>,
        rng: StdRng,
    ) -> Arc<Manager> {
        let limits = CacheLimits {
            x509_svid_cache_max_size: settings.x509_svid_cache_max_size,
            jwt_svid_cache_max_size: settings.jwt_svid_cache_max_size,
        };
        let cache = SvidCache::new(settings.trust_domain.to_string(), limits, bundle);
        let (bundles_tx, _) = watch::channel(Arc::new(cache.bundles().clone()));
        Arc::new(Manager {
            server,
            clock,
            settings,
            state: Mutex::new(State {
                cache,
                groups: HashMap::new(),
                rng,
                last_sync_success: None,
            }),
            bundles_tx,
            wake: Notify::new(),
        })
    }

    /// When the last sync with the server succeeded (None: never).
    pub fn last_sync_success(&self) -> Option<SystemTime> {
        self.lock().last_sync_success
    }

    /// Cached entries, SVIDs and subscriptions, for the Debug API.
    pub fn counts(&self) -> CacheCounts {
        self.lock().cache.counts()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl IdentityProvider for Manager {
    fn subscribe(&self, selectors: Vec<Selector>) -> watch::Receiver<Arc<WorkloadUpdate>> {
        let set: SelectorSet = selectors.into_iter().collect();
        let now = self.clock.now();
        let mut state = self.lock();
        let State { cache, groups, .. } = &mut *state;
        cache.subscribe(&set, now);
        let view = cache.workload_view(&set);
        let group = groups.entry(set).or_insert_with(|| {
            let initial = if view.complete {
                view.update.clone()
            } else {
                without_identities(&view.update)
            };
            Group {
                tx: watch::channel(Arc::new(initial)).0,
                subscribers: 0,
                ready: view.complete,
            }
        });
        group.subscribers += 1;
        let rx = group.tx.subscribe();
        drop(state);
        if !view.complete {
            self.wake.notify_one();
        }
        rx
    }

    async fn fetch_jwt_svids(
        &self,
        selectors: &[Selector],
        audience: &[String],
        spiffe_id: Option<&str>,
    ) -> Result<Vec<JwtIdentity>, IdentityError> {
        if audience.is_empty() {
            return Err(IdentityError::InvalidArgument(
                "audience must be specified".to_owned(),
            ));
        }
        let set: SelectorSet = selectors.iter().cloned().collect();
        let entries: Vec<_> = self
            .lock()
            .cache
            .matching_entries(&set)
            .into_iter()
            .filter(|entry| spiffe_id.is_none_or(|id| entry.spiffe_id.as_str() == id))
            .cloned()
            .collect();
        if entries.is_empty() {
            return Err(IdentityError::NoIdentity);
        }
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = JwtSvidKey::new(entry.spiffe_id.as_str(), audience);
            // Tokens with a per-entry jti must be unique, so they are never reused.
            let cacheable = !entry.jwt_svid_include_jti;
            let now = unix_seconds(self.clock.now());
            let cached = if cacheable {
                self.lock().cache.jwt_svids().fresh(&key, now)
            } else {
                None
            };
            let svid = match cached {
                Some(svid) => svid,
                None => match self.server.new_jwt_svid(&entry.entry_id, audience).await {
                    Ok(svid) => {
                        if cacheable {
                            self.lock().cache.jwt_svids().insert(key, svid.clone());
                        }
                        svid
                    }
                    Err(err) => {
                        let stale = cacheable
                            .then(|| self.lock().cache.jwt_svids().unexpired(&key, now))
                            .flatten();
                        match stale {
                            Some(svid) => {
                                tracing::warn!(spiffe_id = %entry.spiffe_id, error = %err,
                                    "unable to renew JWT-SVID; returning cached copy");
                                svid
                            }
                            None => {
                                return Err(IdentityError::Unavailable(format!(
                                    "could not fetch {:?} JWTSVID: {err}",
                                    entry.spiffe_id.as_str()
                                )));
                            }
                        }
                    }
                },
            };
            out.push(JwtIdentity {
                spiffe_id: entry.spiffe_id.to_string(),
                token: svid.token,
                hint: entry.hint.clone(),
                expires_at: svid.expires_at,
            });
        }
        Ok(out)
    }

    fn bundles(&self) -> watch::Receiver<Arc<BundleSet>> {
        self.bundles_tx.subscribe()
    }
}

/// `update` with its identities removed: what a subscriber sees while its SVIDs are minted.
pub(super) fn without_identities(update: &WorkloadUpdate) -> WorkloadUpdate {
    WorkloadUpdate {
        identities: Vec::new(),
        bundle: update.bundle.clone(),
        federated_bundles: update.federated_bundles.clone(),
        pending: true,
    }
}
