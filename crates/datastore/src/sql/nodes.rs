//! Attested agents (`attested_node_entries`) and node selectors
//! (`node_resolver_map_entries`). Every change to an agent records its SPIFFE ID in
//! `attested_node_entries_events`, as SPIRE does for its events-based cache.

use spire_spiffe::Selector;
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::args::{Arg, Sql};
use super::matching::{self, MemberTable};
use super::paging::PageWindow;
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
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM attested_node_entries WHERE spiffe_id = ?")
                .bind(&node.spiffe_id)
                .fetch_one(&mut *tx)
                .await?;
        if taken > 0 {
            return Err(DataStoreError::AlreadyExists(format!(
                "attested node {:?}",
                node.spiffe_id
            )));
        }
        let now = timefmt::format(timefmt::now_unix())?;
        sqlx::query(
            "INSERT INTO attested_node_entries (created_at, updated_at, spiffe_id, data_type, serial_number, \
             expires_at, new_serial_number, new_expires_at, can_reattest, agent_version) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&now)
        .bind(&now)
        .bind(&node.spiffe_id)
        .bind(&node.attestation_type)
        .bind(&node.serial_number)
        .bind(timefmt::format(node.expires_at)?)
        .bind(&node.new_serial_number)
        .bind(optional_time(node.new_expires_at)?)
        .bind(node.can_reattest)
        .bind(&node.agent_version)
        .execute(&mut *tx)
        .await?;
        replace_node_selectors(&mut tx, &node.spiffe_id, &node.selectors, &now).await?;
        record_node_event(&mut tx, &node.spiffe_id, &now).await?;
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
        fetch_node(&mut conn, spiffe_id).await
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
        let mut conn = self.pool.acquire().await?;
        let rows = sql.fetch_all(&mut *conn).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_id = None;
        for row in &rows {
            last_id = Some(row.try_get::<i64, _>(0)?);
            let mut node = node_from_row(row)?;
            if filter.fetch_selectors {
                node.selectors = load_node_selectors(&mut conn, &node.spiffe_id).await?;
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
        Ok(u64::try_from(sql.fetch_i64(&self.pool).await?).unwrap_or(0))
    }

    pub(super) async fn update_attested_node_impl(
        &self,
        node: &AttestedNode,
        mask: &AttestedNodeMask,
    ) -> Result<AttestedNode> {
        require_spiffe_id(&node.spiffe_id)?;
        let mut tx = self.begin_write().await?;
        let Some(mut stored) = fetch_node(&mut tx, &node.spiffe_id).await? else {
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
        let now = timefmt::format(timefmt::now_unix())?;
        sqlx::query(
            "UPDATE attested_node_entries SET updated_at = ?, data_type = ?, serial_number = ?, expires_at = ?, \
             new_serial_number = ?, new_expires_at = ?, can_reattest = ?, agent_version = ? WHERE spiffe_id = ?",
        )
        .bind(&now)
        .bind(&stored.attestation_type)
        .bind(&stored.serial_number)
        .bind(timefmt::format(stored.expires_at)?)
        .bind(&stored.new_serial_number)
        .bind(optional_time(stored.new_expires_at)?)
        .bind(stored.can_reattest)
        .bind(&stored.agent_version)
        .bind(&stored.spiffe_id)
        .execute(&mut *tx)
        .await?;
        record_node_event(&mut tx, &stored.spiffe_id, &now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub(super) async fn delete_attested_node_impl(&self, spiffe_id: &str) -> Result<AttestedNode> {
        let mut tx = self.begin_write().await?;
        let Some(node) = fetch_node(&mut tx, spiffe_id).await? else {
            return Err(DataStoreError::NotFound(format!(
                "attested node {spiffe_id:?}"
            )));
        };
        delete_node(&mut tx, spiffe_id).await?;
        tx.commit().await?;
        Ok(node)
    }

    pub(super) async fn prune_attested_nodes_impl(
        &self,
        expires_before: i64,
        include_non_reattestable: bool,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut sql = Sql::new("SELECT spiffe_id FROM attested_node_entries WHERE expires_at < ");
        sql.bind(Arg::Text(timefmt::format(expires_before)?));
        if !include_non_reattestable {
            sql.push(" AND can_reattest = 1");
        }
        let rows = sql.fetch_all(&mut *tx).await?;
        for row in &rows {
            let id: String = row.try_get(0)?;
            delete_node(&mut tx, &id).await?;
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
        let now = timefmt::format(timefmt::now_unix())?;
        replace_node_selectors(&mut tx, spiffe_id, selectors, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn node_selectors_impl(&self, spiffe_id: &str) -> Result<Vec<Selector>> {
        let mut conn = self.pool.acquire().await?;
        load_node_selectors(&mut conn, spiffe_id).await
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
        sql.push(" AND N.can_reattest = ")
            .bind(Arg::Int(i64::from(can)));
    }
    if let Some(before) = filter.by_expires_before {
        sql.push(" AND N.expires_at < ")
            .bind(Arg::Text(timefmt::format(before)?));
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

async fn fetch_node(conn: &mut SqliteConnection, spiffe_id: &str) -> Result<Option<AttestedNode>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NODE_COLUMNS} FROM attested_node_entries N WHERE N.spiffe_id = ?"
    )))
    .bind(spiffe_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut node = node_from_row(&row)?;
    node.selectors = load_node_selectors(conn, spiffe_id).await?;
    Ok(Some(node))
}

fn node_from_row(row: &SqliteRow) -> Result<AttestedNode> {
    let spiffe_id: String = row.try_get::<Option<String>, _>(1)?.unwrap_or_default();
    let expires: Option<String> = row.try_get(4)?;
    let new_expires: Option<String> = row.try_get(6)?;
    Ok(AttestedNode {
        attestation_type: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
        serial_number: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
        expires_at: match expires {
            Some(t) => timefmt::parse(&t, "attested_node_entries.expires_at")?,
            None => 0,
        },
        new_serial_number: row.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
        new_expires_at: match new_expires {
            Some(t) => timefmt::parse(&t, "attested_node_entries.new_expires_at")?,
            None => 0,
        },
        can_reattest: row.try_get::<Option<bool>, _>(7)?.unwrap_or(false),
        agent_version: row.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
        selectors: Vec::new(),
        spiffe_id,
    })
}

/// NULL for 0, like SPIRE's `*time.Time` for an absent new SVID.
fn optional_time(unix: i64) -> Result<Option<String>> {
    if unix == 0 {
        Ok(None)
    } else {
        timefmt::format(unix).map(Some)
    }
}

async fn load_node_selectors(
    conn: &mut SqliteConnection,
    spiffe_id: &str,
) -> Result<Vec<Selector>> {
    let rows = sqlx::query(
        "SELECT type, value FROM node_resolver_map_entries WHERE spiffe_id = ? ORDER BY type, value",
    )
    .bind(spiffe_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| selector_from_columns(r, "node_resolver_map_entries"))
        .collect()
}

async fn replace_node_selectors(
    conn: &mut SqliteConnection,
    spiffe_id: &str,
    selectors: &[Selector],
    now: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM node_resolver_map_entries WHERE spiffe_id = ?")
        .bind(spiffe_id)
        .execute(&mut *conn)
        .await?;
    let mut unique: Vec<&Selector> = selectors.iter().collect();
    unique.sort();
    unique.dedup();
    for s in unique {
        sqlx::query(
            "INSERT INTO node_resolver_map_entries (created_at, updated_at, spiffe_id, type, value) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now)
        .bind(now)
        .bind(spiffe_id)
        .bind(s.kind())
        .bind(s.value())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn delete_node(conn: &mut SqliteConnection, spiffe_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM attested_node_entries WHERE spiffe_id = ?")
        .bind(spiffe_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM node_resolver_map_entries WHERE spiffe_id = ?")
        .bind(spiffe_id)
        .execute(&mut *conn)
        .await?;
    let now = timefmt::format(timefmt::now_unix())?;
    record_node_event(conn, spiffe_id, &now).await
}

async fn record_node_event(conn: &mut SqliteConnection, spiffe_id: &str, now: &str) -> Result<()> {
    sqlx::query("INSERT INTO attested_node_entries_events (created_at, updated_at, spiffe_id) VALUES (?, ?, ?)")
        .bind(now)
        .bind(now)
        .bind(spiffe_id)
        .execute(conn)
        .await?;
    Ok(())
}
