//! Housekeeping SPIRE's server does on timers: expired registration entries and join tokens
//! are deleted every 5 minutes, and CA journals whose every authority expired more than two
//! weeks ago every 8 hours.

use std::sync::Arc;
use std::time::Duration;

use spire_ca::clock::Clock;
use spire_datastore::{DataStore, DataStoreError};

use crate::context::unix_seconds;

/// How often expired entries and join tokens are pruned (SPIRE: 5 min).
pub const ENTRY_PRUNE_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// How often old CA journals are pruned (SPIRE: 8 h).
pub const JOURNAL_PRUNE_INTERVAL: Duration = Duration::from_secs(8 * 3600);
/// How long a journal is kept after all its authorities expired (SPIRE: two weeks).
pub const JOURNAL_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

/// What one pass removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub entries: u64,
    pub join_tokens: u64,
}

/// Deletes entries and join tokens that expired before `now` (unix seconds).
pub async fn prune_expired(ds: &dyn DataStore, now: i64) -> Result<Pruned, DataStoreError> {
    Ok(Pruned {
        entries: ds.prune_registration_entries(now).await?,
        join_tokens: ds.prune_join_tokens(now).await?,
    })
}

/// Deletes CA journals whose authorities all expired more than [`JOURNAL_RETENTION`] before
/// `now` (unix seconds).
pub async fn prune_journals(ds: &dyn DataStore, now: i64) -> Result<u64, DataStoreError> {
    let retention = i64::try_from(JOURNAL_RETENTION.as_secs()).unwrap_or(i64::MAX);
    ds.prune_ca_journals(now.saturating_sub(retention)).await
}

/// Runs both pruners on their intervals until the runtime stops.
pub fn spawn(ds: Arc<dyn DataStore>, clock: Arc<dyn Clock>) {
    let (entries_ds, entries_clock) = (ds.clone(), clock.clone());
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(ENTRY_PRUNE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let now = unix_seconds(entries_clock.now());
            match prune_expired(entries_ds.as_ref(), now).await {
                Ok(p) if p != Pruned::default() => tracing::info!(
                    entries = p.entries,
                    join_tokens = p.join_tokens,
                    "Pruned expired registration entries and join tokens"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "Pruning expired entries failed"),
            }
        }
    });
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(JOURNAL_PRUNE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match prune_journals(ds.as_ref(), unix_seconds(clock.now())).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(journals = n, "Pruned old CA journals"),
                Err(e) => tracing::error!(error = %e, "Pruning CA journals failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use spire_datastore::{JoinToken, RegistrationEntry, SqlConfig, SqlDataStore};
    use spire_spiffe::Selector;

    use super::*;

    async fn store(dir: &tempfile::TempDir) -> SqlDataStore {
        SqlDataStore::open(&SqlConfig {
            database_type: "sqlite3".into(),
            connection_string: dir.path().join("ds.sqlite3").display().to_string(),
            ..SqlConfig::default()
        })
        .await
        .expect("open SQLite store")
    }

    fn entry(path: &str, expires_at: i64) -> RegistrationEntry {
        RegistrationEntry {
            spiffe_id: format!("spiffe://example.org/{path}"),
            parent_id: "spiffe://example.org/agent".into(),
            selectors: vec![Selector::new("unix", "uid:1").expect("valid selector")],
            expires_at,
            ..RegistrationEntry::default()
        }
    }

    #[tokio::test]
    async fn prunes_only_what_expired_before_now() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let now = 1_800_000_000;
        ds.create_registration_entry(&entry("old", now - 1))
            .await
            .expect("create");
        ds.create_registration_entry(&entry("later", now + 60))
            .await
            .expect("create");
        ds.create_registration_entry(&entry("forever", 0))
            .await
            .expect("create");
        ds.create_join_token(&JoinToken {
            token: "spent".into(),
            expires_at: now - 1,
        })
        .await
        .expect("token");
        ds.create_join_token(&JoinToken {
            token: "fresh".into(),
            expires_at: now + 600,
        })
        .await
        .expect("token");

        let pruned = prune_expired(&ds, now).await.expect("prune");

        assert_eq!(
            pruned,
            Pruned {
                entries: 1,
                join_tokens: 1
            }
        );
        let left = ds
            .count_registration_entries(&Default::default())
            .await
            .expect("count");
        assert_eq!(left, 2);
        assert!(ds.fetch_join_token("fresh").await.expect("fetch").is_some());
        assert!(ds.fetch_join_token("spent").await.expect("fetch").is_none());
    }
}
