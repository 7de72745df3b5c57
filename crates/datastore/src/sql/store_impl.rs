//! Wires the `DataStore` trait to the per-table implementations.

use async_trait::async_trait;
use spire_spiffe::{Bundle, Selector};

use super::SqlDataStore;
use crate::error::Result;
use crate::query::{AttestedNodeFilter, BundleDeleteMode, EntryFilter, Page, Pagination};
use crate::records::{
    AttestedNode, AttestedNodeMask, CaJournal, EntryEvent, EntryMask, JoinToken, RegistrationEntry,
};
use crate::store::DataStore;

#[async_trait]
impl DataStore for SqlDataStore {
    async fn close(&self) {
        SqlDataStore::close(self).await;
    }

    async fn create_bundle(&self, bundle: &Bundle) -> Result<Bundle> {
        self.create_bundle_impl(bundle).await
    }

    async fn fetch_bundle(&self, trust_domain: &str) -> Result<Option<Bundle>> {
        self.fetch_bundle_impl(trust_domain).await
    }

    async fn list_bundles(&self, pagination: Option<&Pagination>) -> Result<Page<Bundle>> {
        self.list_bundles_impl(pagination).await
    }

    async fn count_bundles(&self) -> Result<u64> {
        self.count_bundles_impl().await
    }

    async fn set_bundle(&self, bundle: &Bundle) -> Result<Bundle> {
        self.set_bundle_impl(bundle).await
    }

    async fn append_bundle(&self, bundle: &Bundle) -> Result<Bundle> {
        self.append_bundle_impl(bundle).await
    }

    async fn delete_bundle(&self, trust_domain: &str, mode: BundleDeleteMode) -> Result<()> {
        self.delete_bundle_impl(trust_domain, mode).await
    }

    async fn prune_bundle(&self, trust_domain: &str, expires_before: i64) -> Result<bool> {
        self.prune_bundle_impl(trust_domain, expires_before).await
    }

    async fn create_attested_node(&self, node: &AttestedNode) -> Result<AttestedNode> {
        self.create_attested_node_impl(node).await
    }

    async fn fetch_attested_node(&self, spiffe_id: &str) -> Result<Option<AttestedNode>> {
        self.fetch_attested_node_impl(spiffe_id).await
    }

    async fn list_attested_nodes(
        &self,
        filter: &AttestedNodeFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<AttestedNode>> {
        self.list_attested_nodes_impl(filter, pagination).await
    }

    async fn count_attested_nodes(&self, filter: &AttestedNodeFilter) -> Result<u64> {
        self.count_attested_nodes_impl(filter).await
    }

    async fn update_attested_node(
        &self,
        node: &AttestedNode,
        mask: &AttestedNodeMask,
    ) -> Result<AttestedNode> {
        self.update_attested_node_impl(node, mask).await
    }

    async fn delete_attested_node(&self, spiffe_id: &str) -> Result<AttestedNode> {
        self.delete_attested_node_impl(spiffe_id).await
    }

    async fn prune_attested_nodes(
        &self,
        expires_before: i64,
        include_non_reattestable: bool,
    ) -> Result<u64> {
        self.prune_attested_nodes_impl(expires_before, include_non_reattestable)
            .await
    }

    async fn set_node_selectors(&self, spiffe_id: &str, selectors: &[Selector]) -> Result<()> {
        self.set_node_selectors_impl(spiffe_id, selectors).await
    }

    async fn node_selectors(&self, spiffe_id: &str) -> Result<Vec<Selector>> {
        self.node_selectors_impl(spiffe_id).await
    }

    async fn create_registration_entry(
        &self,
        entry: &RegistrationEntry,
    ) -> Result<RegistrationEntry> {
        self.create_registration_entry_impl(entry).await
    }

    async fn fetch_registration_entry(&self, entry_id: &str) -> Result<Option<RegistrationEntry>> {
        self.fetch_registration_entry_impl(entry_id).await
    }

    async fn list_registration_entries(
        &self,
        filter: &EntryFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<RegistrationEntry>> {
        self.list_registration_entries_impl(filter, pagination)
            .await
    }

    async fn count_registration_entries(&self, filter: &EntryFilter) -> Result<u64> {
        self.count_registration_entries_impl(filter).await
    }

    async fn update_registration_entry(
        &self,
        entry: &RegistrationEntry,
        mask: &EntryMask,
    ) -> Result<RegistrationEntry> {
        self.update_registration_entry_impl(entry, mask).await
    }

    async fn delete_registration_entry(&self, entry_id: &str) -> Result<RegistrationEntry> {
        self.delete_registration_entry_impl(entry_id).await
    }

    async fn prune_registration_entries(&self, expires_before: i64) -> Result<u64> {
        self.prune_registration_entries_impl(expires_before).await
    }

    async fn create_join_token(&self, token: &JoinToken) -> Result<()> {
        self.create_join_token_impl(token).await
    }

    async fn fetch_join_token(&self, token: &str) -> Result<Option<JoinToken>> {
        self.fetch_join_token_impl(token).await
    }

    async fn delete_join_token(&self, token: &str) -> Result<()> {
        self.delete_join_token_impl(token).await
    }

    async fn prune_join_tokens(&self, expires_before: i64) -> Result<u64> {
        self.prune_join_tokens_impl(expires_before).await
    }

    async fn list_registration_entry_events(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EntryEvent>> {
        self.list_registration_entry_events_impl(after_id, limit)
            .await
    }

    async fn fetch_registration_entry_events(&self, event_ids: &[i64]) -> Result<Vec<EntryEvent>> {
        self.fetch_registration_entry_events_impl(event_ids).await
    }

    async fn last_registration_entry_event_id(&self) -> Result<i64> {
        self.last_registration_entry_event_id_impl().await
    }

    async fn prune_registration_entry_events(&self, created_before: i64) -> Result<u64> {
        self.prune_events_impl(super::events::EventTable::Entries, created_before)
            .await
    }

    async fn prune_attested_node_events(&self, created_before: i64) -> Result<u64> {
        self.prune_events_impl(super::events::EventTable::Nodes, created_before)
            .await
    }

    async fn set_ca_journal(&self, journal: &CaJournal) -> Result<CaJournal> {
        self.set_ca_journal_impl(journal).await
    }

    async fn fetch_ca_journal(&self, active_x509_authority_id: &str) -> Result<Option<CaJournal>> {
        self.fetch_ca_journal_impl(active_x509_authority_id).await
    }

    async fn fetch_latest_ca_journal(&self) -> Result<Option<CaJournal>> {
        self.fetch_latest_ca_journal_impl().await
    }

    async fn list_ca_journals(&self) -> Result<Vec<CaJournal>> {
        self.list_ca_journals_impl().await
    }

    async fn prune_ca_journals(&self, all_cas_expire_before: i64) -> Result<u64> {
        self.prune_ca_journals_impl(all_cas_expire_before).await
    }
}
