//! Reading registration entries back from `registered_entries` and its child tables
//! (`selectors`, `dns_names`, `federated_registration_entries` ⋈ `bundles`).

use spire_spiffe::Selector;
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::timefmt;
use crate::bundle_codec::{decode_additional_attributes, trust_domain_name};
use crate::error::{DataStoreError, Result};
use crate::records::RegistrationEntry;

/// Columns of `registered_entries E` in the order [`entry_from_row`] reads them.
pub const ENTRY_COLUMNS: &str = "E.id, E.entry_id, E.spiffe_id, E.parent_id, E.ttl, E.admin, \
     E.downstream, E.expiry, E.revision_number, E.store_svid, E.hint, E.jwt_svid_ttl, \
     E.additional_attributes, E.created_at";

/// The row ID and entry (without child rows) of a row selected with [`ENTRY_COLUMNS`].
pub fn entry_from_row(row: &SqliteRow) -> Result<(i64, RegistrationEntry)> {
    let id: i64 = row.try_get(0)?;
    let entry_id: String = row.try_get::<Option<String>, _>(1)?.unwrap_or_default();
    let attrs: Option<Vec<u8>> = row.try_get(12)?;
    let (disable_prefetch, include_jti) =
        decode_additional_attributes(attrs.as_deref(), &entry_id)?;
    let created: Option<String> = row.try_get(13)?;
    let entry = RegistrationEntry {
        spiffe_id: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
        parent_id: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
        x509_svid_ttl: row.try_get::<Option<i32>, _>(4)?.unwrap_or(0),
        admin: row.try_get::<Option<bool>, _>(5)?.unwrap_or(false),
        downstream: row.try_get::<Option<bool>, _>(6)?.unwrap_or(false),
        expires_at: row.try_get::<Option<i64>, _>(7)?.unwrap_or(0),
        revision_number: row.try_get::<Option<i64>, _>(8)?.unwrap_or(0),
        store_svid: row.try_get::<Option<bool>, _>(9)?.unwrap_or(false),
        hint: row.try_get::<Option<String>, _>(10)?.unwrap_or_default(),
        jwt_svid_ttl: row.try_get::<Option<i32>, _>(11)?.unwrap_or(0),
        created_at: match created {
            Some(t) => timefmt::parse(&t, "registered_entries.created_at")?,
            None => 0,
        },
        disable_x509_svid_prefetch: disable_prefetch,
        jwt_svid_include_jti: include_jti,
        entry_id,
        selectors: Vec::new(),
        federates_with: Vec::new(),
        dns_names: Vec::new(),
    };
    Ok((id, entry))
}

/// Fills selectors, DNS names and federated trust domains of the entry at row `id`.
pub async fn load_children(
    conn: &mut SqliteConnection,
    id: i64,
    entry: &mut RegistrationEntry,
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT type, value FROM selectors WHERE registered_entry_id = ? ORDER BY type, value",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    entry.selectors = rows
        .iter()
        .map(|r| selector_from_columns(r, "selectors"))
        .collect::<Result<_>>()?;
    entry.dns_names =
        sqlx::query_scalar("SELECT value FROM dns_names WHERE registered_entry_id = ? ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let tds: Vec<String> = sqlx::query_scalar(
        "SELECT B.trust_domain FROM federated_registration_entries F JOIN bundles B ON B.id = F.bundle_id \
         WHERE F.registered_entry_id = ? ORDER BY B.trust_domain",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    entry.federates_with = tds
        .iter()
        .map(|td| trust_domain_name(td).to_owned())
        .collect();
    Ok(())
}

/// Loads a whole entry by its `entry_id`, returning its row ID too.
pub async fn fetch_entry(
    conn: &mut SqliteConnection,
    entry_id: &str,
) -> Result<Option<(i64, RegistrationEntry)>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM registered_entries E WHERE E.entry_id = ?"
    )))
    .bind(entry_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (id, mut entry) = entry_from_row(&row)?;
    load_children(conn, id, &mut entry).await?;
    Ok(Some((id, entry)))
}

/// A selector from a `(type, value)` row of `table`.
pub fn selector_from_columns(row: &SqliteRow, table: &str) -> Result<Selector> {
    let kind: String = row.try_get::<Option<String>, _>(0)?.unwrap_or_default();
    let value: String = row.try_get::<Option<String>, _>(1)?.unwrap_or_default();
    Selector::new(kind.clone(), value.clone()).map_err(|e| {
        DataStoreError::Database(format!(
            "{table} holds invalid selector {kind:?}:{value:?}: {e}"
        ))
    })
}
