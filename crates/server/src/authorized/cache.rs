//! The shared entry snapshot, reloaded from the datastore when older than the reload interval.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_ca::clock::Clock;
use spire_datastore::{DataStore, DataStoreError, EntryFilter, Pagination, RegistrationEntry};
use spire_spiffe::Selector;
use tokio::sync::Mutex;

use super::EntrySnapshot;

/// How stale the snapshot may get (SPIRE's `cache_reload_interval`, 5 s).
pub const CACHE_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// The entry table as last loaded, shared by the Entry and SVID services.
#[derive(Debug)]
pub struct AuthorizedEntriesCache {
    datastore: Arc<dyn DataStore>,
    clock: Arc<dyn Clock>,
    reload_interval: Duration,
    // A tokio mutex so that one caller reloads while the others wait for its result rather
    // than all scanning the table at once.
    loaded: Mutex<Option<Loaded>>,
}

#[derive(Debug)]
struct Loaded {
    at: SystemTime,
    snapshot: Arc<EntrySnapshot>,
}

impl AuthorizedEntriesCache {
    /// A cache reloading every [`CACHE_RELOAD_INTERVAL`]; nothing is loaded until first use.
    pub fn new(datastore: Arc<dyn DataStore>, clock: Arc<dyn Clock>) -> Self {
        Self::with_reload_interval(datastore, clock, CACHE_RELOAD_INTERVAL)
    }

    /// A cache reloading every `reload_interval`.
    pub fn with_reload_interval(
        datastore: Arc<dyn DataStore>,
        clock: Arc<dyn Clock>,
        reload_interval: Duration,
    ) -> Self {
        Self {
            datastore,
            clock,
            reload_interval,
            loaded: Mutex::new(None),
        }
    }

    /// The current snapshot, reloaded first when it is missing or older than the interval.
    pub async fn snapshot(&self) -> Result<Arc<EntrySnapshot>, DataStoreError> {
        let now = self.clock.now();
        let mut loaded = self.loaded.lock().await;
        if let Some(current) = loaded.as_ref() {
            // A clock that went backwards counts as fresh: the next forward tick reloads.
            let age = now.duration_since(current.at).unwrap_or_default();
            if age < self.reload_interval {
                return Ok(current.snapshot.clone());
            }
        }
        let snapshot = Arc::new(EntrySnapshot::new(all_entries(&*self.datastore).await?));
        *loaded = Some(Loaded {
            at: now,
            snapshot: snapshot.clone(),
        });
        Ok(snapshot)
    }

    /// Forgets the snapshot so the next call reloads (after this server changed entries).
    pub async fn invalidate(&self) {
        *self.loaded.lock().await = None;
    }

    /// The entries `agent_id` is authorized for, by the current snapshot and the agent's node
    /// selectors as stored now (so a re-attested agent's new selectors apply at once).
    pub async fn authorized_for(
        &self,
        trust_domain: &str,
        agent_id: &str,
    ) -> Result<Vec<Arc<RegistrationEntry>>, DataStoreError> {
        let node_selectors: Vec<Selector> = self.datastore.node_selectors(agent_id).await?;
        let snapshot = self.snapshot().await?;
        let server_id = format!("spiffe://{trust_domain}/spire/server");
        Ok(snapshot.authorized_for(agent_id, &server_id, &node_selectors))
    }
}

async fn all_entries(ds: &dyn DataStore) -> Result<Vec<RegistrationEntry>, DataStoreError> {
    let filter = EntryFilter::default();
    let mut pagination = Pagination::first(spire_datastore::MAX_PAGE_SIZE);
    let mut entries = Vec::new();
    loop {
        let page = ds
            .list_registration_entries(&filter, Some(&pagination))
            .await?;
        let done = page.items.is_empty();
        entries.extend(page.items);
        match page.next_token {
            Some(token) if !done => pagination.token = token,
            _ => return Ok(entries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spire_ca::clock::FakeClock;

    async fn store(dir: &tempfile::TempDir) -> Arc<dyn DataStore> {
        let path = dir.path().join("ds.sqlite3");
        Arc::new(
            spire_datastore::SqlDataStore::open(&spire_datastore::SqlConfig {
                database_type: "sqlite3".into(),
                connection_string: path.display().to_string(),
                ..spire_datastore::SqlConfig::default()
            })
            .await
            .expect("a fresh SQLite datastore opens"),
        )
    }

    async fn add_entry(ds: &dyn DataStore, parent: &str, spiffe_id: &str) -> String {
        ds.create_registration_entry(&RegistrationEntry {
            parent_id: parent.into(),
            spiffe_id: spiffe_id.into(),
            selectors: vec![Selector::new("unix", "uid:1").expect("valid selector")],
            ..RegistrationEntry::default()
        })
        .await
        .expect("entry is created")
        .entry_id
    }

    const AGENT: &str = "spiffe://example.org/spire/agent/join_token/t";

    #[tokio::test]
    async fn a_new_entry_shows_only_after_the_reload_interval() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let clock = Arc::new(FakeClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock.clone());
        let first = add_entry(&*ds, AGENT, "spiffe://example.org/a").await;
        let seen = cache
            .authorized_for("example.org", AGENT)
            .await
            .expect("load");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].entry_id, first);

        add_entry(&*ds, AGENT, "spiffe://example.org/b").await;
        clock.advance(Duration::from_secs(4));
        let seen = cache
            .authorized_for("example.org", AGENT)
            .await
            .expect("cached");
        assert_eq!(seen.len(), 1, "snapshot younger than 5 s is served");

        clock.advance(Duration::from_secs(1));
        let seen = cache
            .authorized_for("example.org", AGENT)
            .await
            .expect("reload");
        assert_eq!(seen.len(), 2, "snapshot 5 s old is reloaded");
    }

    #[tokio::test]
    async fn invalidate_forces_a_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let clock = Arc::new(FakeClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock);
        assert!(cache.snapshot().await.expect("load").is_empty());
        add_entry(&*ds, AGENT, "spiffe://example.org/a").await;
        cache.invalidate().await;
        assert_eq!(cache.snapshot().await.expect("reload").len(), 1);
    }
}
