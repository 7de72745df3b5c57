//! Reads of `registered_entries_events`, the change log every entry write appends to, so a
//! server's authorized-entry cache can apply deltas instead of reloading the entry table
//! (SPIRE's events-based cache reads the same table).

use super::SqlDataStore;
use super::args::Sql;
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
