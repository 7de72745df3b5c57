//! Reads of `registered_entries_events`, the change log every entry write appends to, so a
//! server's authorized-entry cache can apply deltas instead of reloading the entry table
//! (SPIRE's events-based cache reads the same table).

use super::SqlDataStore;
use super::args::{Arg, Sql};
use crate::error::Result;
use crate::records::EntryEvent;

impl SqlDataStore {
    pub(super) async fn list_registration_entry_events_impl(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EntryEvent>> {
        let mut sql = Sql::new("SELECT id, entry_id FROM registered_entries_events WHERE id > ?")
            .with(after_id);
        sql.push(&format!(" ORDER BY id LIMIT {}", limit.max(1)));
        self.entry_events(&sql).await
    }

    pub(super) async fn fetch_registration_entry_events_impl(
        &self,
        ids: &[i64],
    ) -> Result<Vec<EntryEvent>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT id, entry_id FROM registered_entries_events WHERE id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i == 0 { "?" } else { ", ?" });
            sql = sql.with(*id);
        }
        sql.push(") ORDER BY id");
        self.entry_events(&sql).await
    }

    pub(super) async fn last_registration_entry_event_id_impl(&self) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        conn.link()
            .fetch_i64(&Sql::new(
                "SELECT COALESCE(MAX(id), 0) FROM registered_entries_events",
            ))
            .await
    }

    /// `DELETE FROM <table> WHERE created_at < ?`, for SPIRE's event pruning: the events
    /// only let caches apply deltas, and one older than the pruning age has long been read
    /// (a cache that falls that far behind reloads in full).
    pub(super) async fn prune_events_impl(
        &self,
        table: EventTable,
        created_before: i64,
    ) -> Result<u64> {
        let sql = Sql::new(match table {
            EventTable::Entries => "DELETE FROM registered_entries_events WHERE created_at < ?",
            EventTable::Nodes => "DELETE FROM attested_node_entries_events WHERE created_at < ?",
        })
        .with(Arg::time(created_before)?);
        let mut conn = self.pool.acquire().await?;
        conn.link().execute(&sql).await
    }

    async fn entry_events(&self, sql: &Sql) -> Result<Vec<EntryEvent>> {
        // The primary: a replica could lag behind the entries the events name.
        let mut conn = self.pool.acquire().await?;
        let rows = conn.link().fetch_all(sql).await?;
        rows.iter()
            .map(|row| {
                Ok(EntryEvent {
                    event_id: row.int_required(0, "registered_entries_events.id")?,
                    entry_id: row.text(1)?.unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// The two event logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventTable {
    /// `registered_entries_events`.
    Entries,
    /// `attested_node_entries_events`.
    Nodes,
}
