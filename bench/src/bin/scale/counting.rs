//! A `DataStore` that forwards every call to another and counts the calls: the "DB queries"
//! the benchmark reports are DataStore method calls (one call is one or a few SQL statements
//! in one round trip or transaction; a paged list counts once per page).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use spire_datastore::error::Result;
use spire_datastore::{
    AttestedNode, AttestedNodeFilter, AttestedNodeMask, BundleDeleteMode, CaJournal, DataStore,
    EntryEvent, EntryFilter, EntryMask, JoinToken, Page, Pagination, RegistrationEntry,
};
use spire_spiffe::{Bundle, Selector};
use tonic::codegen::async_trait;

#[derive(Debug)]
pub struct Counting {
    inner: Arc<dyn DataStore>,
    calls: AtomicU64,
}

impl Counting {
    pub fn new(inner: Arc<dyn DataStore>) -> Self {
        Self { inner, calls: AtomicU64::new(0) }
    }
    /// Calls since the last `take`.
    pub fn take(&self) -> u64 {
        self.calls.swap(0, Ordering::Relaxed)
    }
    fn hit(&self) -> &dyn DataStore {
        self.calls.fetch_add(1, Ordering::Relaxed);
        &*self.inner
    }
}

#[async_trait]
impl DataStore for Counting {
    async fn create_bundle(&self, b: &Bundle) -> Result<Bundle> { self.hit().create_bundle(b).await }
    async fn fetch_bundle(&self, td: &str) -> Result<Option<Bundle>> { self.hit().fetch_bundle(td).await }
    async fn list_bundles(&self, p: Option<&Pagination>) -> Result<Page<Bundle>> { self.hit().list_bundles(p).await }
    async fn count_bundles(&self) -> Result<u64> { self.hit().count_bundles().await }
    async fn set_bundle(&self, b: &Bundle) -> Result<Bundle> { self.hit().set_bundle(b).await }
    async fn append_bundle(&self, b: &Bundle) -> Result<Bundle> { self.hit().append_bundle(b).await }
    async fn delete_bundle(&self, td: &str, m: BundleDeleteMode) -> Result<()> { self.hit().delete_bundle(td, m).await }
    async fn prune_bundle(&self, td: &str, before: i64) -> Result<bool> { self.hit().prune_bundle(td, before).await }
    async fn create_attested_node(&self, n: &AttestedNode) -> Result<AttestedNode> { self.hit().create_attested_node(n).await }
    async fn fetch_attested_node(&self, id: &str) -> Result<Option<AttestedNode>> { self.hit().fetch_attested_node(id).await }
    async fn list_attested_nodes(&self, f: &AttestedNodeFilter, p: Option<&Pagination>) -> Result<Page<AttestedNode>> { self.hit().list_attested_nodes(f, p).await }
    async fn count_attested_nodes(&self, f: &AttestedNodeFilter) -> Result<u64> { self.hit().count_attested_nodes(f).await }
    async fn update_attested_node(&self, n: &AttestedNode, m: &AttestedNodeMask) -> Result<AttestedNode> { self.hit().update_attested_node(n, m).await }
    async fn delete_attested_node(&self, id: &str) -> Result<AttestedNode> { self.hit().delete_attested_node(id).await }
    async fn prune_attested_nodes(&self, before: i64, all: bool) -> Result<u64> { self.hit().prune_attested_nodes(before, all).await }
    async fn ban_attested_node(&self, id: &str) -> Result<AttestedNode> { self.hit().ban_attested_node(id).await }
    async fn set_node_selectors(&self, id: &str, s: &[Selector]) -> Result<()> { self.hit().set_node_selectors(id, s).await }
    async fn node_selectors(&self, id: &str) -> Result<Vec<Selector>> { self.hit().node_selectors(id).await }
    async fn create_registration_entry(&self, e: &RegistrationEntry) -> Result<RegistrationEntry> { self.hit().create_registration_entry(e).await }
    async fn fetch_registration_entry(&self, id: &str) -> Result<Option<RegistrationEntry>> { self.hit().fetch_registration_entry(id).await }
    async fn list_registration_entries(&self, f: &EntryFilter, p: Option<&Pagination>) -> Result<Page<RegistrationEntry>> { self.hit().list_registration_entries(f, p).await }
    async fn count_registration_entries(&self, f: &EntryFilter) -> Result<u64> { self.hit().count_registration_entries(f).await }
    async fn update_registration_entry(&self, e: &RegistrationEntry, m: &EntryMask) -> Result<RegistrationEntry> { self.hit().update_registration_entry(e, m).await }
    async fn delete_registration_entry(&self, id: &str) -> Result<RegistrationEntry> { self.hit().delete_registration_entry(id).await }
    async fn prune_registration_entries(&self, before: i64) -> Result<u64> { self.hit().prune_registration_entries(before).await }
    async fn list_registration_entry_events(&self, after: i64, limit: u32) -> Result<Vec<EntryEvent>> { self.hit().list_registration_entry_events(after, limit).await }
    async fn fetch_registration_entry_events(&self, ids: &[i64]) -> Result<Vec<EntryEvent>> { self.hit().fetch_registration_entry_events(ids).await }
    async fn last_registration_entry_event_id(&self) -> Result<i64> { self.hit().last_registration_entry_event_id().await }
    async fn create_join_token(&self, t: &JoinToken) -> Result<()> { self.hit().create_join_token(t).await }
    async fn fetch_join_token(&self, t: &str) -> Result<Option<JoinToken>> { self.hit().fetch_join_token(t).await }
    async fn delete_join_token(&self, t: &str) -> Result<()> { self.hit().delete_join_token(t).await }
    async fn prune_join_tokens(&self, before: i64) -> Result<u64> { self.hit().prune_join_tokens(before).await }
    async fn set_ca_journal(&self, j: &CaJournal) -> Result<CaJournal> { self.hit().set_ca_journal(j).await }
    async fn fetch_ca_journal(&self, id: &str) -> Result<Option<CaJournal>> { self.hit().fetch_ca_journal(id).await }
    async fn fetch_latest_ca_journal(&self) -> Result<Option<CaJournal>> { self.hit().fetch_latest_ca_journal().await }
    async fn list_ca_journals(&self) -> Result<Vec<CaJournal>> { self.hit().list_ca_journals().await }
    async fn prune_ca_journals(&self, before: i64) -> Result<u64> { self.hit().prune_ca_journals(before).await }
}
