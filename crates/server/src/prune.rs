//! Housekeeping SPIRE's server does on timers: expired registration entries and join tokens
//! are deleted every 5 minutes, CA journals whose every authority expired more than two
//! weeks ago every 8 hours, entry and agent events older than `prune_events_older_than`
//! (default 12 h) every half that age, and, when `prune_attested_nodes_expired_for` is set,
//! agents whose SVID expired longer ago than that, every that long (reattestable agents only
//! unless `prune_tofu_nodes`; banned agents never).

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

/// The shortest pruning period, whatever the configured ages (a zero period would spin).
const MIN_PERIOD: Duration = Duration::from_secs(1);

/// The pruning settings of `server {}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneSettings {
    /// `experimental.prune_events_older_than`.
    pub events_older_than: Duration,
    /// `prune_attested_nodes_expired_for`; agents are never pruned when `None`.
    pub attested_nodes_expired_for: Option<Duration>,
    /// `prune_tofu_nodes`: agents that cannot re-attest are pruned too.
    pub include_non_reattestable: bool,
}

impl PruneSettings {
    pub fn from_config(config: &spire_config::ServerConfig) -> Self {
        Self {
            events_older_than: config.experimental.prune_events_older_than,
            attested_nodes_expired_for: config.prune_attested_nodes_expired_for,
            include_non_reattestable: config.prune_tofu_nodes,
        }
    }
}

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

/// Events removed by one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrunedEvents {
    pub entry_events: u64,
    pub agent_events: u64,
}

/// Deletes entry and agent events created more than `older_than` before `now` (unix
/// seconds), as SPIRE's `PruneRegistrationEntryEvents` / `PruneAttestedNodeEvents`.
pub async fn prune_events(
    ds: &dyn DataStore,
    now: i64,
    older_than: Duration,
) -> Result<PrunedEvents, DataStoreError> {
    let cutoff = now.saturating_sub(seconds(older_than));
    Ok(PrunedEvents {
        entry_events: ds.prune_registration_entry_events(cutoff).await?,
        agent_events: ds.prune_attested_node_events(cutoff).await?,
    })
}

/// Deletes agents whose SVID expired more than `expired_for` before `now` (unix seconds);
/// see [`DataStore::prune_attested_nodes`] for which are kept.
pub async fn prune_agents(
    ds: &dyn DataStore,
    now: i64,
    expired_for: Duration,
    include_non_reattestable: bool,
) -> Result<u64, DataStoreError> {
    ds.prune_attested_nodes(
        now.saturating_sub(seconds(expired_for)),
        include_non_reattestable,
    )
    .await
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Runs the pruners on their intervals until the runtime stops.
pub fn spawn(ds: Arc<dyn DataStore>, clock: Arc<dyn Clock>, settings: PruneSettings) {
    spawn_event_and_agent_pruners(ds.clone(), clock.clone(), settings);
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

/// SPIRE prunes events every half their maximum age, and agents every
/// `prune_attested_nodes_expired_for`.
fn spawn_event_and_agent_pruners(
    ds: Arc<dyn DataStore>,
    clock: Arc<dyn Clock>,
    settings: PruneSettings,
) {
    let (events_ds, events_clock) = (ds.clone(), clock.clone());
    tokio::spawn(async move {
        let period = (settings.events_older_than / 2).max(MIN_PERIOD);
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let now = unix_seconds(events_clock.now());
            match prune_events(events_ds.as_ref(), now, settings.events_older_than).await {
                Ok(p) if p != PrunedEvents::default() => tracing::debug!(
                    entry_events = p.entry_events,
                    agent_events = p.agent_events,
                    "Pruned events"
                ),
                Ok(_) => {}
                // A datastore without event logs has nothing to prune.
                Err(DataStoreError::Unsupported(_)) => return,
                Err(e) => tracing::error!(error = %e, "Failed to prune events"),
            }
        }
    });
    let Some(expired_for) = settings.attested_nodes_expired_for else {
        return;
    };
    tokio::spawn(async move {
        let period = expired_for.max(MIN_PERIOD);
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let now = unix_seconds(clock.now());
            match prune_agents(
                ds.as_ref(),
                now,
                expired_for,
                settings.include_non_reattestable,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(agents = n, "Pruned agents whose SVID expired"),
                Err(e) => {
                    tracing::error!(error = %e, "Failed during periodic pruning of expired nodes");
                }
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

    #[tokio::test]
    async fn events_older_than_the_age_are_pruned_and_newer_ones_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        ds.create_registration_entry(&entry("a", 0))
            .await
            .expect("create");
        ds.create_attested_node(&spire_datastore::AttestedNode {
            spiffe_id: "spiffe://example.org/spire/agent/x".into(),
            attestation_type: "x509pop".into(),
            serial_number: "1".into(),
            expires_at: 4_000_000_000,
            ..Default::default()
        })
        .await
        .expect("node");
        // Events carry the datastore's wall clock: an hour from now they are 1 h old.
        let now = spire_ca::clock::SystemClock.now();
        let in_an_hour = unix_seconds(now) + 3600;
        let kept = prune_events(&ds, in_an_hour, Duration::from_secs(12 * 3600))
            .await
            .expect("prune");
        assert_eq!(
            kept,
            PrunedEvents::default(),
            "1 h old events stay under a 12 h age"
        );
        let pruned = prune_events(&ds, in_an_hour, Duration::from_secs(1800))
            .await
            .expect("prune");
        assert_eq!(pruned.entry_events, 1);
        assert!(pruned.agent_events >= 1, "{pruned:?}");
        assert!(
            ds.list_registration_entry_events(0, 10)
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn agents_expired_longer_than_the_setting_are_pruned_tofu_only_when_asked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let now = 1_800_000_000;
        let node = |id: &str, serial: &str, expires_at: i64, can_reattest: bool| {
            spire_datastore::AttestedNode {
                spiffe_id: format!("spiffe://example.org/spire/agent/{id}"),
                attestation_type: "x".into(),
                serial_number: serial.into(),
                expires_at,
                can_reattest,
                ..Default::default()
            }
        };
        for n in [
            node("long-gone", "1", now - 7200, true),
            node("just-expired", "2", now - 60, true),
            node("tofu-gone", "3", now - 7200, false),
            node("banned-gone", "", now - 7200, true),
        ] {
            ds.create_attested_node(&n).await.expect("create");
        }
        let hour = Duration::from_secs(3600);
        assert_eq!(prune_agents(&ds, now, hour, false).await.expect("prune"), 1);
        assert_eq!(prune_agents(&ds, now, hour, true).await.expect("prune"), 1);
        let mut left: Vec<String> = ds
            .list_attested_nodes(&Default::default(), None)
            .await
            .expect("list")
            .items
            .into_iter()
            .map(|n| n.spiffe_id)
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "spiffe://example.org/spire/agent/banned-gone",
                "spiffe://example.org/spire/agent/just-expired"
            ]
        );
    }
}
