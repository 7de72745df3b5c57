//! Attested agents (`attested_node_entries`) and node selectors
//! (`node_resolver_map_entries`). Every change to an agent records its SPIFFE ID in
//! `attested_node_entries_events`, as SPIRE does for its events-based cache.

use spire_spiffe::Selector;

use super::args::{Arg, Sql};
use super::db::Link;
use super::matching::{self, MemberTable};
use super::paging::PageWindow;
use super::row::DbRow;
use super::{SqlDataStore, entry_rows::selector_from_columns, timefmt};
use crate::error::{DataStoreError, Result};
use crate::query::{AttestedNodeFilter, Page, Pagination};
use crate::records::{AttestedNode, AttestedNodeMask};

const NODE_COLUMNS: &str = "N.id, N.spiffe_id, N.data_type, N.serial_number, N.expires_at, \
     N.new_serial_number, N.new_expires_at, N.can_reattest, N.agent_version";

impl SqlDataStore {
    pub(super) async fn create_attested_node_impl(
        &self,
        node: &AttestedNode,
    ) -> Result<AttestedNode> {
        require_spiffe_id(&node.spiffe_id)?;
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let taken = link
            .fetch_i64(
                &Sql::new("SELECT COUNT(*) FROM attested_node_entries WHERE spiffe_id = ?")
                    .with(&node.spiffe_id),
            )
            .await?;
        if taken > 0 {
            return Err(DataStoreError::AlreadyExists(format!(
                "attested node {:?}",
                node.spiffe_id
            )));
        }
        let now = Arg::time(timefmt::now_unix())?;
        link.execute(
            &Sql::new(
                "INSERT INTO attested_node_entries (created_at, updated_at, spiffe_id, data_type, serial_number, \
                 expires_at, new_serial_number, new_expires_at, can_reattest, agent_version) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .with(now.clone())
            .with(now.clone())
            .with(&node.spiffe_id)
            .with(&node.attestation_type)
            .with(&node.serial_number)
            .with(Arg::time(node.expires_at)?)
            .with(&node.new_serial_number)
            .with(Arg::optional_time(node.new_expires_at)?)
            .with(node.can_reattest)
            .with(&node.agent_version),
        )
        .await?;
        replace_node_selectors(&mut link, &node.spiffe_id, &node.selectors, &now).await?;
        record_node_event(&mut link, &node.spiffe_id, &now).await?;
        tx.commit().await?;
        let mut stored = node.clone();
        stored.selectors.sort();
        stored.selectors.dedup();
        Ok(stored)
    }

    pub(super) async fn fetch_attested_node_impl(
        &self,
        spiffe_id: &str,
    ) -> Result<Option<AttestedNode>> {
        let mut conn = self.pool.acquire().await?;
        fetch_node(&mut conn.link(), spiffe_id, "").await
    }

    pub(super) async fn list_attested_nodes_impl(
        &self,
        filter: &AttestedNodeFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<AttestedNode>> {
        let window = PageWindow::from_request(pagination)?;
        let mut sql = Sql::new(&format!(
            "SELECT {NODE_COLUMNS} FROM attested_node_entries N WHERE 1 = 1"
        ));
        sql.append(filter_sql(filter)?);
        window.push_bound(&mut sql, "N.id");
        window.push_order_limit(&mut sql, "N.id");
        let mut conn = self.stale_read_pool().acquire().await?;
        let mut link = conn.link();
        let rows = link.fetch_all(&sql).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_id = None;
        for row in &rows {
            last_id = Some(row.int_required(0, "attested_node_entries.id")?);
            let mut node = node_from_row(row)?;
            if filter.fetch_selectors {
                node.selectors = load_node_selectors(&mut link, &node.spiffe_id).await?;
            }
            items.push(node);
        }
        let next_token = window.next_token(items.len(), last_id);
        Ok(Page { items, next_token })
    }

    pub(super) async fn count_attested_nodes_impl(
        &self,
        filter: &AttestedNodeFilter,
    ) -> Result<u64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM attested_node_entries N WHERE 1 = 1");
        sql.append(filter_sql(filter)?);
        let mut conn = self.pool.acquire().await?;
        Ok(u64::try_from(conn.link().fetch_i64(&sql).await?).unwrap_or(0))
    }

    pub(super) async fn update_attested_node_impl(
        &self,
        node: &AttestedNode,
        mask: &AttestedNodeMask,
    ) -> Result<AttestedNode> {
        require_spiffe_id(&node.spiffe_id)?;
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let lock = self.dialect.for_update();
        let Some(mut stored) = fetch_node(&mut link, &node.spiffe_id, lock).await? else {
            return Err(DataStoreError::NotFound(format!(
                "attested node {:?}",
                node.spiffe_id
            )));
        };
        if mask.attestation_type {
            stored.attestation_type.clone_from(&node.attestation_type);
        }
        if mask.serial_number {
            stored.serial_number.clone_from(&node.serial_number);
        }
        if mask.expires_at {
            stored.expires_at = node.expires_at;
        }
        if mask.new_serial_number {
            stored.new_serial_number.clone_from(&node.new_serial_number);
        }
        if mask.new_expires_at {
            stored.new_expires_at = node.new_expires_at;
        }
        if mask.can_reattest {
            stored.can_reattest = node.can_reattest;
        }
        if mask.agent_version {
            stored.agent_version.clone_from(&node.agent_version);
        }
        let now = Arg::time(timefmt::now_unix())?;
        link.execute(
            &Sql::new(
                "UPDATE attested_node_entries SET updated_at = ?, data_type = ?, serial_number = ?, expires_at = ?, \
                 new_serial_number = ?, new_expires_at = ?, can_reattest = ?, agent_version = ? WHERE spiffe_id = ?",
            )
            .with(now.clone())
            .with(&stored.attestation_type)
            .with(&stored.serial_number)
            .with(Arg::time(stored.expires_at)?)
            .with(&stored.new_serial_number)
            .with(Arg::optional_time(stored.new_expires_at)?)
            .with(stored.can_reattest)
            .with(&stored.agent_version)
            .with(&stored.spiffe_id),
        )
        .await?;
        record_node_event(&mut link, &stored.spiffe_id, &now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub(super) async fn delete_attested_node_impl(&self, spiffe_id: &str) -> Result<AttestedNode> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let Some(node) = fetch_node(&mut link, spiffe_id, self.dialect.for_update()).await? else {
            return Err(DataStoreError::NotFound(format!(
                "attested node {spiffe_id:?}"
            )));
        };
        delete_node(&mut link, spiffe_id).await?;
        tx.commit().await?;
        Ok(node)
    }

    pub(super) async fn prune_attested_nodes_impl(
        &self,
        expires_before: i64,
        include_non_reattestable: bool,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let mut sql = Sql::new("SELECT spiffe_id FROM attested_node_entries WHERE expires_at < ");
        sql.bind(Arg::time(expires_before)?);
        // A banned agent (empty serial) is kept, as SPIRE does: deleting its row would
        // forget the ban and let it attest again.
        sql.push(" AND serial_number <> ''");
        if !include_non_reattestable {
            sql.push(" AND can_reattest = ").bind(Arg::Bool(true));
        }
        let rows = link.fetch_all(&sql).await?;
        for row in &rows {
            let id = row.text(0)?.unwrap_or_default();
            delete_node(&mut link, &id).await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
    }

    pub(super) async fn set_node_selectors_impl(
        &self,
        spiffe_id: &str,
        selectors: &[Selector],
    ) -> Result<()> {
        require_spiffe_id(spiffe_id)?;
        let mut tx = self.begin_write().await?;
        let now = Arg::time(timefmt::now_unix())?;
        replace_node_selectors(&mut tx.link(), spiffe_id, selectors, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn node_selectors_impl(&self, spiffe_id: &str) -> Result<Vec<Selector>> {
        let mut conn = self.stale_read_pool().acquire().await?;
        load_node_selectors(&mut conn.link(), spiffe_id).await
    }
}

fn require_spiffe_id(spiffe_id: &str) -> Result<()> {
    if spiffe_id.is_empty() {
        return Err(DataStoreError::InvalidArgument(
            "attested node: spiffe_id must not be empty".into(),
        ));
    }
    Ok(())
}

fn filter_sql(filter: &AttestedNodeFilter) -> Result<Sql> {
    let mut sql = Sql::default();
    if let Some(kind) = &filter.by_attestation_type {
        sql.push(" AND N.data_type = ")
            .bind(Arg::Text(kind.clone()));
    }
    match filter.by_banned {
        Some(true) => sql.push(" AND COALESCE(N.serial_number, '') = ''"),
        Some(false) => sql.push(" AND COALESCE(N.serial_number, '') <> ''"),
        None => &mut sql,
    };
    if let Some(can) = filter.by_can_reattest {
        sql.push(" AND N.can_reattest = ").bind(Arg::Bool(can));
    }
    if let Some(before) = filter.by_expires_before {
        sql.push(" AND N.expires_at < ").bind(Arg::time(before)?);
    }
    if let Some(m) = &filter.by_selector_match {
        let members: Vec<_> = m
            .selectors
            .iter()
            .map(|s| {
                vec![
                    ("S.type", s.kind().to_owned()),
                    ("S.value", s.value().to_owned()),
                ]
            })
            .collect();
        let table = MemberTable {
            from: "node_resolver_map_entries S",
            owner_column: "S.spiffe_id",
        };
        sql.append(matching::predicate(
            "N.spiffe_id",
            table,
            &members,
            m.behavior,
            "by_selector_match",
        )?);
    }
    Ok(sql)
}

/// The agent with `spiffe_id` and its selectors; `lock` is the dialect's `FOR UPDATE`
/// suffix when the caller rewrites the row.
async fn fetch_node(
    link: &mut Link<'_>,
    spiffe_id: &str,
    lock: &str,
) -> Result<Option<AttestedNode>> {
    let mut sql = Sql::new(&format!(
        "SELECT {NODE_COLUMNS} FROM attested_node_entries N WHERE N.spiffe_id = "
    ));
    sql.bind(Arg::Text(spiffe_id.to_owned())).push(lock);
    let Some(row) = link.fetch_optional(&sql).await? else {
        return Ok(None);
    };
    let mut node = node_from_row(&row)?;
    node.selectors = load_node_selectors(link, spiffe_id).await?;
    Ok(Some(node))
}

fn node_from_row(row: &DbRow) -> Result<AttestedNode> {
    Ok(AttestedNode {
        spiffe_id: row.text(1)?.unwrap_or_default(),
        attestation_type: row.text(2)?.unwrap_or_default(),
        serial_number: row.text(3)?.unwrap_or_default(),
        expires_at: row
            .time(4, "attested_node_entries.expires_at")?
            .unwrap_or(0),
        new_serial_number: row.text(5)?.unwrap_or_default(),
        new_expires_at: row
            .time(6, "attested_node_entries.new_expires_at")?
            .unwrap_or(0),
        can_reattest: row.boolean(7)?.unwrap_or(false),
        agent_version: row.text(8)?.unwrap_or_default(),
        selectors: Vec::new(),
    })
}

async fn load_node_selectors(link: &mut Link<'_>, spiffe_id: &str) -> Result<Vec<Selector>> {
    let rows = link
        .fetch_all(
            &Sql::new(
                "SELECT type, value FROM node_resolver_map_entries WHERE spiffe_id = ? ORDER BY type, value",
            )
            .with(spiffe_id),
        )
        .await?;
    rows.iter()
        .map(|r| selector_from_columns(r, "node_resolver_map_entries"))
        .collect()
}

async fn replace_node_selectors(
    link: &mut Link<'_>,
    spiffe_id: &str,
    selectors: &[Selector],
    now: &Arg,
) -> Result<()> {
    link.execute(
        &Sql::new("DELETE FROM node_resolver_map_entries WHERE spiffe_id = ?").with(spiffe_id),
    )
    .await?;
    let mut unique: Vec<&Selector> = selectors.iter().collect();
    unique.sort();
    unique.dedup();
    for s in unique {
        link.execute(
            &Sql::new(
                "INSERT INTO node_resolver_map_entries (created_at, updated_at, spiffe_id, type, value) VALUES (?, ?, ?, ?, ?)",
            )
            .with(now.clone())
            .with(now.clone())
            .with(spiffe_id)
            .with(s.kind())
            .with(s.value()),
        )
        .await?;
    }
    Ok(())
}

async fn delete_node(link: &mut Link<'_>, spiffe_id: &str) -> Result<()> {
    link.execute(
        &Sql::new("DELETE FROM attested_node_entries WHERE spiffe_id = ?").with(spiffe_id),
    )
    .await?;
    link.execute(
        &Sql::new("DELETE FROM node_resolver_map_entries WHERE spiffe_id = ?").with(spiffe_id),
    )
    .await?;
    let now = Arg::time(timefmt::now_unix())?;
    record_node_event(link, spiffe_id, &now).await
}

async fn record_node_event(link: &mut Link<'_>, spiffe_id: &str, now: &Arg) -> Result<()> {
    link.execute(
        &Sql::new(
            "INSERT INTO attested_node_entries_events (created_at, updated_at, spiffe_id) VALUES (?, ?, ?)",
        )
        .with(now.clone())
        .with(now.clone())
        .with(spiffe_id),
    )
    .await?;
    Ok(())
}
