//! The manager's one background task: sync, mint what is due, publish what changed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::time::Instant;

use crate::cache::CachedX509Svid;
use crate::identity::{ServerClientError, X509SvidRequest};

use super::minting::{svid_validity, workload_key_and_csr};
use super::service::{Manager, without_identities};
use super::settings::MAX_SVIDS_PER_BATCH;

impl Manager {
    /// Runs until `shutdown` completes: syncs every `sync_interval` (backing off while the
    /// server fails), mints due SVIDs, and notifies subscribers whose update changed. Also
    /// wakes early when a new subscriber waits for an SVID.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        let mut next_sync = Instant::now();
        loop {
            if Instant::now() >= next_sync {
                match self.sync_once().await {
                    Ok(()) => failures = 0,
                    Err(err) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(error = %err, failures, "entry sync with the server failed");
                    }
                }
                let have_svids = self.counts().x509_svids > 0;
                next_sync = Instant::now() + self.settings.sync_wait(failures, have_svids);
            }
            self.mint_due().await;
            self.publish();
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep_until(next_sync) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One sync: fetches entries and bundles and applies them to the cache.
    pub async fn sync_once(&self) -> Result<(), ServerClientError> {
        let synced = self.server.sync().await?;
        let now = self.clock.now();
        let mut state = self.lock();
        state.cache.apply_sync(synced);
        state.last_sync_success = Some(now);
        let bundles = state.cache.bundles().clone();
        drop(state);
        self.bundles_tx.send_if_modified(|current| {
            if **current == bundles {
                return false;
            }
            *current = Arc::new(bundles);
            true
        });
        Ok(())
    }

    /// Mints every SVID the cache says is due, in batches; stops at the first failed batch
    /// (the rest is retried on the next pass) and keeps the SVIDs already cached.
    async fn mint_due(&self) {
        let due = {
            let now = self.clock.now();
            self.lock().cache.x509_svids_due(now)
        };
        for batch in due.chunks(MAX_SVIDS_PER_BATCH) {
            let mut keys = HashMap::with_capacity(batch.len());
            let mut requests = Vec::with_capacity(batch.len());
            for entry_id in batch {
                let Some(revision) = self.lock().cache.entry(entry_id).map(|e| e.revision_number)
                else {
                    continue;
                };
                match workload_key_and_csr(entry_id, self.settings.workload_key_type) {
                    Ok((key, csr_der)) => {
                        keys.insert(entry_id.clone(), (key, revision));
                        requests.push(X509SvidRequest {
                            entry_id: entry_id.clone(),
                            csr_der,
                        });
                    }
                    Err(err) => tracing::error!(error = %err, "workload key generation failed"),
                }
            }
            if requests.is_empty() {
                continue;
            }
            let signed = match self.server.new_x509_svids(requests).await {
                Ok(signed) => signed,
                Err(err) => {
                    tracing::warn!(error = %err, "minting workload X509-SVIDs failed; keeping cached SVIDs");
                    return;
                }
            };
            let now = self.clock.now();
            let mut state = self.lock();
            let state = &mut *state;
            for svid in signed {
                let Some((private_key_pkcs8, entry_revision)) = keys.remove(&svid.entry_id) else {
                    tracing::warn!(entry_id = %svid.entry_id, "server signed an SVID that was not requested");
                    continue;
                };
                let (not_before, not_after) = svid_validity(&svid.cert_chain, svid.expires_at, now);
                state.cache.store_x509_svid(
                    &svid.entry_id,
                    CachedX509Svid {
                        cert_chain: svid.cert_chain,
                        private_key_pkcs8,
                        not_before,
                        not_after,
                        entry_revision,
                    },
                    &mut state.rng,
                );
            }
            for entry_id in keys.keys() {
                tracing::warn!(%entry_id, "server did not sign the X509-SVID requested for entry");
            }
        }
    }

    /// Sends each subscriber group its current update when it differs from the last one sent,
    /// and forgets groups whose subscribers are all gone.
    fn publish(&self) {
        let mut state = self.lock();
        let state = &mut *state;
        state.groups.retain(|set, group| {
            let live = group.tx.receiver_count();
            while group.subscribers > live {
                state.cache.unsubscribe(set);
                group.subscribers -= 1;
            }
            if live == 0 {
                return false;
            }
            let view = state.cache.workload_view(set);
            let next = if group.ready || view.complete {
                group.ready = true;
                view.update
            } else {
                without_identities(&view.update)
            };
            group.tx.send_if_modified(|current| {
                if **current == next {
                    return false;
                }
                *current = Arc::new(next);
                true
            });
            true
        });
    }
}
