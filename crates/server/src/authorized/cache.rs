//! The shared entry snapshot, kept current from the entry event log.
//!
//! A full read of the entry table happens at start, every [`FULL_RELOAD_INTERVAL`] as a
//! safety net, and when the log cannot be followed (too many changes or missing events at
//! once). In between, at most every [`POLL_INTERVAL`], the events written since the last
//! poll are read and only the entries they name are refetched, as SPIRE's events-based cache
//! does. A datastore without an event log is reloaded in full every
//! [`CACHE_RELOAD_INTERVAL`] instead.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_ca::clock::Clock;
use spire_datastore::{DataStore, DataStoreError, EntryFilter, Pagination, RegistrationEntry};
use spire_spiffe::{Selector, TrustDomain};
use tokio::sync::Mutex;

use super::EntrySnapshot;
use super::events::{Delta, EventCursor};

/// How stale the snapshot may get without an event log (SPIRE's `cache_reload_interval`).
pub const CACHE_RELOAD_INTERVAL: Duration = Duration::from_secs(5);
/// How often the event log is read (SPIRE's events-based cache polls every second).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often the entry table is read in full even when the log is followed.
pub const FULL_RELOAD_INTERVAL: Duration = Duration::from_secs(600);
/// Events read per query.
const EVENT_PAGE: u32 = 1_000;
/// Gap IDs asked for per query.
const GAP_CHUNK: usize = 500;
/// More changed entries than this in one poll are cheaper to reload in full than to fetch
/// one by one.
const REFETCH_LIMIT: usize = 1_000;

/// The entry table as last loaded, shared by the Entry and SVID services.
#[derive(Debug)]
pub struct AuthorizedEntriesCache {
    datastore: Arc<dyn DataStore>,
    clock: Arc<dyn Clock>,
    reload_interval: Duration,
    // A tokio mutex so that one caller polls or reloads while the others wait for its
    // result rather than all querying at once.
    loaded: Mutex<Option<Loaded>>,
}

#[derive(Debug)]
struct Loaded {
    snapshot: Arc<EntrySnapshot>,
    loaded_at: SystemTime,
    polled_at: Option<SystemTime>,
    /// `None` when the datastore keeps no event log.
    cursor: Option<EventCursor>,
}

impl AuthorizedEntriesCache {
    /// A cache following the event log (or reloading every [`CACHE_RELOAD_INTERVAL`]
    /// without one); nothing is loaded until first use.
    pub fn new(datastore: Arc<dyn DataStore>, clock: Arc<dyn Clock>) -> Self {
        Self::with_reload_interval(datastore, clock, CACHE_RELOAD_INTERVAL)
    }

    /// A cache reloading every `reload_interval` when the datastore keeps no event log.
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

    /// The current snapshot, brought up to date first when a poll or reload is due.
    pub async fn snapshot(&self) -> Result<Arc<EntrySnapshot>, DataStoreError> {
        let now = self.clock.now();
        let mut slot = self.loaded.lock().await;
        // A clock that went backwards counts as fresh: the next forward tick catches up.
        let age = |since: SystemTime| now.duration_since(since).unwrap_or_default();
        if let Some(loaded) = slot.as_mut() {
            match &loaded.cursor {
                None if age(loaded.loaded_at) < self.reload_interval => {
                    return Ok(loaded.snapshot.clone());
                }
                Some(_) if age(loaded.loaded_at) < FULL_RELOAD_INTERVAL => {
                    if loaded.polled_at.is_some_and(|at| age(at) < POLL_INTERVAL) {
                        return Ok(loaded.snapshot.clone());
                    }
                    if self.poll(loaded, now).await? {
                        return Ok(loaded.snapshot.clone());
                    }
                }
                _ => {}
            }
        }
        let loaded = self.full_load(now).await?;
        let snapshot = loaded.snapshot.clone();
        *slot = Some(loaded);
        Ok(snapshot)
    }

    /// Makes the next call catch up with the datastore at once (after this server changed
    /// entries): it polls the event log, or reloads when there is none.
    pub async fn invalidate(&self) {
        let mut slot = self.loaded.lock().await;
        match slot.as_mut() {
            Some(loaded) if loaded.cursor.is_some() => loaded.polled_at = None,
            _ => *slot = None,
        }
    }

    /// The entries `agent_id` is authorized for, by the current snapshot and the agent's node
    /// selectors as stored now (so a re-attested agent's new selectors apply at once); entries
    /// expired by this cache's clock are left out.
    pub async fn authorized_for(
        &self,
        trust_domain: &TrustDomain,
        agent_id: &str,
    ) -> Result<Vec<Arc<RegistrationEntry>>, DataStoreError> {
        let node_selectors: Vec<Selector> = self.datastore.node_selectors(agent_id).await?;
        let snapshot = self.snapshot().await?;
        let server_id = trust_domain.server_id();
        Ok(snapshot.authorized_for(
            agent_id,
            server_id.as_str(),
            &node_selectors,
            self.clock.now(),
        ))
    }

    async fn full_load(&self, now: SystemTime) -> Result<Loaded, DataStoreError> {
        // The log position is read before the table so nothing written in between is missed.
        let cursor = match self.datastore.last_registration_entry_event_id().await {
            Ok(last) => Some(EventCursor::after_full_load(last)),
            Err(DataStoreError::Unsupported(_)) => None,
            Err(e) => return Err(e),
        };
        let entries = all_entries(&*self.datastore).await?;
        tracing::debug!(
            entries = entries.len(),
            "Authorized entry cache loaded in full"
        );
        Ok(Loaded {
            snapshot: Arc::new(EntrySnapshot::new(entries)),
            loaded_at: now,
            polled_at: Some(now),
            cursor,
        })
    }

    /// Applies the events since the last poll. `Ok(false)` means the log cannot be
    /// followed this time and the caller must reload in full. Nothing changes on error.
    async fn poll(&self, loaded: &mut Loaded, now: SystemTime) -> Result<bool, DataStoreError> {
        let Some(mut cursor) = loaded.cursor.clone() else {
            return Ok(false);
        };
        let ds = &*self.datastore;
        let mut events = Vec::new();
        let mut after = cursor.last_seen();
        loop {
            let page = ds.list_registration_entry_events(after, EVENT_PAGE).await?;
            let full = page.len() >= EVENT_PAGE as usize;
            after = page.last().map_or(after, |e| e.event_id);
            events.extend(page);
            if events.len() > REFETCH_LIMIT {
                return Ok(false);
            }
            if !full {
                break;
            }
        }
        for chunk in cursor.gaps().chunks(GAP_CHUNK) {
            events.extend(ds.fetch_registration_entry_events(chunk).await?);
        }
        let ids = match cursor.observe(events, now) {
            Delta::Refetch(ids) if ids.len() <= REFETCH_LIMIT => ids,
            _ => return Ok(false),
        };
        let mut fetched = Vec::with_capacity(ids.len());
        for id in ids {
            let entry = ds.fetch_registration_entry(&id).await?;
            fetched.push((id, entry));
        }
        if !fetched.is_empty() {
            let snapshot = Arc::make_mut(&mut loaded.snapshot);
            for (id, entry) in fetched {
                match entry {
                    Some(entry) => snapshot.upsert(entry),
                    None => snapshot.remove(&id),
                }
            }
        }
        loaded.cursor = Some(cursor);
        loaded.polled_at = Some(now);
        Ok(true)
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

    fn td() -> TrustDomain {
        TrustDomain::new("example.org").expect("valid")
    }

    #[tokio::test]
    async fn changes_show_after_the_poll_interval_without_a_full_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let clock = Arc::new(FakeClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock.clone());
        let first = add_entry(&*ds, AGENT, "spiffe://example.org/a").await;
        let seen = cache.authorized_for(&td(), AGENT).await.expect("load");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].entry_id, first);

        let second = add_entry(&*ds, AGENT, "spiffe://example.org/b").await;
        let seen = cache.authorized_for(&td(), AGENT).await.expect("cached");
        assert_eq!(seen.len(), 1, "a snapshot polled under 1 s ago is served");

        clock.advance(POLL_INTERVAL);
        let seen = cache.authorized_for(&td(), AGENT).await.expect("poll");
        assert_eq!(seen.len(), 2, "the poll applied the create event");

        ds.delete_registration_entry(&first).await.expect("delete");
        let mut moved = ds
            .fetch_registration_entry(&second)
            .await
            .expect("fetch")
            .expect("second entry exists");
        moved.parent_id = "spiffe://example.org/spire/agent/other".into();
        ds.update_registration_entry(
            &moved,
            &spire_datastore::EntryMask {
                parent_id: true,
                ..spire_datastore::EntryMask::default()
            },
        )
        .await
        .expect("update");
        clock.advance(POLL_INTERVAL);
        let seen = cache.authorized_for(&td(), AGENT).await.expect("poll");
        assert!(seen.is_empty(), "delete and re-parent applied: {seen:?}");
        let loaded_at = cache
            .loaded
            .lock()
            .await
            .as_ref()
            .map(|l| l.loaded_at)
            .expect("loaded");
        assert_eq!(
            loaded_at,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
            "no full reload happened"
        );
    }

    #[tokio::test]
    async fn invalidate_makes_the_next_call_catch_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let clock = Arc::new(FakeClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock);
        assert!(cache.snapshot().await.expect("load").is_empty());
        add_entry(&*ds, AGENT, "spiffe://example.org/a").await;
        cache.invalidate().await;
        assert_eq!(cache.snapshot().await.expect("poll").len(), 1);
    }

    #[tokio::test]
    async fn an_entry_stops_being_authorized_when_it_expires_before_any_prune() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ds = store(&dir).await;
        let clock = Arc::new(FakeClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock.clone());
        ds.create_registration_entry(&RegistrationEntry {
            parent_id: AGENT.into(),
            spiffe_id: "spiffe://example.org/short-lived".into(),
            selectors: vec![Selector::new("unix", "uid:1").expect("valid selector")],
            expires_at: 1_010,
            ..RegistrationEntry::default()
        })
        .await
        .expect("entry is created");
        let seen = cache.authorized_for(&td(), AGENT).await.expect("load");
        assert_eq!(seen.len(), 1, "not expired yet");
        clock.advance(Duration::from_secs(10));
        let seen = cache.authorized_for(&td(), AGENT).await.expect("poll");
        assert!(seen.is_empty(), "expired at 1010: {seen:?}");
    }
}
