//! The `DataStore` trait: everything the server keeps in its database.

use async_trait::async_trait;
use spire_spiffe::{Bundle, Selector};

use crate::error::DataStoreError;
use crate::error::Result;
use crate::query::{AttestedNodeFilter, BundleDeleteMode, EntryFilter, Page, Pagination};
use crate::records::{
    AttestedNode, AttestedNodeMask, CaJournal, EntryEvent, EntryMask, JoinToken, RegistrationEntry,
};

/// The server's persistent state. Implementations must be safe to share between tasks and
/// must never panic on bad input: every malformed argument is an `InvalidArgument`.
///
/// Lookups of a single record return `Ok(None)` when it does not exist; mutations of a
/// missing record return `NotFound`.
#[async_trait]
pub trait DataStore: Send + Sync + std::fmt::Debug {
    /// Called once at clean shutdown, after the last request: flushes what the backend keeps
    /// outside its main files (SQLite's write-ahead log) and closes connections. Later calls
    /// may fail. The default does nothing.
    async fn close(&self) {}

    // ---- bundles (keyed by trust domain name, e.g. `example.org`) ----

    /// Stores a new bundle; `AlreadyExists` if the trust domain has one.
    async fn create_bundle(&self, bundle: &Bundle) -> Result<Bundle>;
    async fn fetch_bundle(&self, trust_domain: &str) -> Result<Option<Bundle>>;
    /// Bundles ordered by insertion; `None` pagination lists all.
    async fn list_bundles(&self, pagination: Option<&Pagination>) -> Result<Page<Bundle>>;
    async fn count_bundles(&self) -> Result<u64>;
    /// Creates or replaces the bundle of `bundle.trust_domain` as given.
    async fn set_bundle(&self, bundle: &Bundle) -> Result<Bundle>;
    /// Adds the authorities of `bundle` that the stored bundle lacks (creating it if
    /// absent); bumps `sequence_number` when anything was added. Returns the result.
    async fn append_bundle(&self, bundle: &Bundle) -> Result<Bundle>;
    /// Deletes a bundle; `mode` decides what happens to entries federating with it.
    async fn delete_bundle(&self, trust_domain: &str, mode: BundleDeleteMode) -> Result<()>;
    /// Removes X.509 authorities whose certificate expired before `expires_before`, and
    /// JWT authorities with a non-zero expiry before it. Refuses (`FailedPrecondition`)
    /// to remove every X.509 authority. Returns whether the bundle changed.
    async fn prune_bundle(&self, trust_domain: &str, expires_before: i64) -> Result<bool>;

    // ---- attested nodes ----

    /// Stores a new agent (and its `selectors`); `AlreadyExists` if the ID is taken.
    async fn create_attested_node(&self, node: &AttestedNode) -> Result<AttestedNode>;
    /// The agent with its node selectors.
    async fn fetch_attested_node(&self, spiffe_id: &str) -> Result<Option<AttestedNode>>;
    async fn list_attested_nodes(
        &self,
        filter: &AttestedNodeFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<AttestedNode>>;
    async fn count_attested_nodes(&self, filter: &AttestedNodeFilter) -> Result<u64>;
    /// Writes the masked fields of the agent `node.spiffe_id`; returns the stored agent.
    async fn update_attested_node(
        &self,
        node: &AttestedNode,
        mask: &AttestedNodeMask,
    ) -> Result<AttestedNode>;
    /// Deletes the agent and its node selectors; returns what was deleted.
    async fn delete_attested_node(&self, spiffe_id: &str) -> Result<AttestedNode>;
    /// Deletes agents whose SVID expired before `expires_before`; agents that cannot
    /// re-attest are kept unless `include_non_reattestable`, and banned agents always are
    /// (pruning one would let it attest again). Returns how many went.
    async fn prune_attested_nodes(
        &self,
        expires_before: i64,
        include_non_reattestable: bool,
    ) -> Result<u64>;

    /// Bans an agent: clears both serial numbers so its SVID no longer authenticates.
    async fn ban_attested_node(&self, spiffe_id: &str) -> Result<AttestedNode> {
        let cleared = AttestedNode {
            spiffe_id: spiffe_id.to_owned(),
            ..AttestedNode::default()
        };
        let mask = AttestedNodeMask {
            serial_number: true,
            new_serial_number: true,
            ..AttestedNodeMask::default()
        };
        self.update_attested_node(&cleared, &mask).await
    }

    // ---- node selectors ----

    /// Replaces the node selectors of `spiffe_id` (the agent need not exist yet).
    async fn set_node_selectors(&self, spiffe_id: &str, selectors: &[Selector]) -> Result<()>;
    /// The node selectors of `spiffe_id`, sorted; empty when none.
    async fn node_selectors(&self, spiffe_id: &str) -> Result<Vec<Selector>>;

    // ---- registration entries ----

    /// Stores a new entry (ID generated if empty). An entry with the same parent ID,
    /// SPIFFE ID and selector set yields `EntryAlreadyExists(existing)`.
    async fn create_registration_entry(
        &self,
        entry: &RegistrationEntry,
    ) -> Result<RegistrationEntry>;
    async fn fetch_registration_entry(&self, entry_id: &str) -> Result<Option<RegistrationEntry>>;
    /// Entries matching `filter`, ordered by insertion.
    async fn list_registration_entries(
        &self,
        filter: &EntryFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<RegistrationEntry>>;
    async fn count_registration_entries(&self, filter: &EntryFilter) -> Result<u64>;
    /// Writes the masked fields of entry `entry.entry_id`, bumps its revision number and
    /// returns the stored entry.
    async fn update_registration_entry(
        &self,
        entry: &RegistrationEntry,
        mask: &EntryMask,
    ) -> Result<RegistrationEntry>;
    /// Deletes an entry; returns what was deleted.
    async fn delete_registration_entry(&self, entry_id: &str) -> Result<RegistrationEntry>;
    /// Deletes entries with a non-zero expiry before `expires_before`; returns how many.
    async fn prune_registration_entries(&self, expires_before: i64) -> Result<u64>;

    // ---- the entry change log (`registered_entries_events`) ----

    /// Up to `limit` entry events with an ID above `after_id`, by ascending ID.
    async fn list_registration_entry_events(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EntryEvent>> {
        let _ = (after_id, limit);
        Err(DataStoreError::Unsupported("entry events".into()))
    }
    /// The entry events among `event_ids` that exist now (to fill gaps left by
    /// transactions that were in flight at an earlier read).
    async fn fetch_registration_entry_events(&self, event_ids: &[i64]) -> Result<Vec<EntryEvent>> {
        let _ = event_ids;
        Err(DataStoreError::Unsupported("entry events".into()))
    }
    /// The highest entry event ID, 0 when there is none.
    async fn last_registration_entry_event_id(&self) -> Result<i64> {
        Err(DataStoreError::Unsupported("entry events".into()))
    }
    /// Deletes entry events created before `created_before` (Unix seconds); returns how many.
    async fn prune_registration_entry_events(&self, created_before: i64) -> Result<u64> {
        let _ = created_before;
        Err(DataStoreError::Unsupported("entry events".into()))
    }
    /// Deletes agent events (`attested_node_entries_events`) created before
    /// `created_before` (Unix seconds); returns how many.
    async fn prune_attested_node_events(&self, created_before: i64) -> Result<u64> {
        let _ = created_before;
        Err(DataStoreError::Unsupported("agent events".into()))
    }

    // ---- join tokens ----

    /// Stores a token; `AlreadyExists` if it is taken.
    async fn create_join_token(&self, token: &JoinToken) -> Result<()>;
    async fn fetch_join_token(&self, token: &str) -> Result<Option<JoinToken>>;
    /// Deletes a token; `NotFound` if absent.
    async fn delete_join_token(&self, token: &str) -> Result<()>;
    /// Deletes tokens that expired before `expires_before`; returns how many.
    async fn prune_join_tokens(&self, expires_before: i64) -> Result<u64>;

    // ---- CA journals (one per server, SPIRE's `ca_journals`) ----

    /// Creates the journal when `journal.id` is 0, else replaces row `journal.id`
    /// (`NotFound` if it is gone). Returns the stored journal with its ID.
    async fn set_ca_journal(&self, journal: &CaJournal) -> Result<CaJournal> {
        let _ = journal;
        Err(DataStoreError::Unsupported("CA journals".into()))
    }
    /// The newest journal whose active X.509 authority is `active_x509_authority_id`;
    /// `InvalidArgument` when it is empty.
    async fn fetch_ca_journal(&self, active_x509_authority_id: &str) -> Result<Option<CaJournal>> {
        let _ = active_x509_authority_id;
        Err(DataStoreError::Unsupported("CA journals".into()))
    }
    /// The journal written last (highest ID).
    async fn fetch_latest_ca_journal(&self) -> Result<Option<CaJournal>> {
        Err(DataStoreError::Unsupported("CA journals".into()))
    }
    /// Every journal, by ascending ID.
    async fn list_ca_journals(&self) -> Result<Vec<CaJournal>> {
        Err(DataStoreError::Unsupported("CA journals".into()))
    }
    /// Deletes journals whose every X.509 CA and JWT key expired before
    /// `all_cas_expire_before` (Unix seconds); returns how many went.
    async fn prune_ca_journals(&self, all_cas_expire_before: i64) -> Result<u64> {
        let _ = all_cas_expire_before;
        Err(DataStoreError::Unsupported("CA journals".into()))
    }
}
