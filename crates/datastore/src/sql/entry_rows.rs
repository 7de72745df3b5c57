//! Reading registration entries back from `registered_entries` and its child tables
//! (`selectors`, `dns_names`, `federated_registration_entries` ⋈ `bundles`).

use spire_spiffe::Selector;

use super::args::{Arg, Sql};
use super::db::Link;
use super::row::DbRow;
use crate::bundle_codec::{decode_additional_attributes, trust_domain_name};
use crate::error::{DataStoreError, Result};
use crate::records::RegistrationEntry;

/// Columns of `registered_entries E` in the order [`entry_from_row`] reads them.
pub const ENTRY_COLUMNS: &str = "E.id, E.entry_id, E.spiffe_id, E.parent_id, E.ttl, E.admin, \
     E.downstream, E.expiry, E.revision_number, E.store_svid, E.hint, E.jwt_svid_ttl, \
     E.additional_attributes, E.created_at";

/// The row ID and entry (without child rows) of a row selected with [`ENTRY_COLUMNS`].
pub fn entry_from_row(row: &DbRow) -> Result<(i64, RegistrationEntry)> {
    let id = row.int_required(0, "registered_entries.id")?;
    let entry_id = row.text(1)?.unwrap_or_default();
    let attrs = row.bytes(12)?;
    let (disable_prefetch, include_jti) =
        decode_additional_attributes(attrs.as_deref(), &entry_id)?;
    let ttl = |i: usize, column: &str| -> Result<i32> {
        let v = row.int(i)?.unwrap_or(0);
        i32::try_from(v).map_err(|_| {
            DataStoreError::Database(format!("registered_entries.{column} holds {v}, beyond i32"))
        })
    };
    let entry = RegistrationEntry {
        spiffe_id: row.text(2)?.unwrap_or_default(),
        parent_id: row.text(3)?.unwrap_or_default(),
        x509_svid_ttl: ttl(4, "ttl")?,
        admin: row.boolean(5)?.unwrap_or(false),
        downstream: row.boolean(6)?.unwrap_or(false),
        expires_at: row.int(7)?.unwrap_or(0),
        revision_number: row.int(8)?.unwrap_or(0),
        store_svid: row.boolean(9)?.unwrap_or(false),
        hint: row.text(10)?.unwrap_or_default(),
        jwt_svid_ttl: ttl(11, "jwt_svid_ttl")?,
        created_at: row.time(13, "registered_entries.created_at")?.unwrap_or(0),
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
    link: &mut Link<'_>,
    id: i64,
    entry: &mut RegistrationEntry,
) -> Result<()> {
    let rows = link
        .fetch_all(
            &Sql::new(
                "SELECT type, value FROM selectors WHERE registered_entry_id = ? ORDER BY type, value",
            )
            .with(id),
        )
        .await?;
    entry.selectors = rows
        .iter()
        .map(|r| selector_from_columns(r, "selectors"))
        .collect::<Result<_>>()?;
    let rows = link
        .fetch_all(
            &Sql::new("SELECT value FROM dns_names WHERE registered_entry_id = ? ORDER BY id")
                .with(id),
        )
        .await?;
    entry.dns_names = rows
        .iter()
        .map(|r| Ok(r.text(0)?.unwrap_or_default()))
        .collect::<Result<_>>()?;
    let rows = link
        .fetch_all(
            &Sql::new(
                "SELECT B.trust_domain FROM federated_registration_entries F JOIN bundles B ON B.id = F.bundle_id \
                 WHERE F.registered_entry_id = ? ORDER BY B.trust_domain",
            )
            .with(id),
        )
        .await?;
    entry.federates_with = rows
        .iter()
        .map(|r| Ok(trust_domain_name(&r.text(0)?.unwrap_or_default()).to_owned()))
        .collect::<Result<_>>()?;
    Ok(())
}

/// Loads a whole entry by its `entry_id`, returning its row ID too; `lock` is the
/// dialect's `FOR UPDATE` suffix when the caller rewrites the row.
pub async fn fetch_entry(
    link: &mut Link<'_>,
    entry_id: &str,
    lock: &str,
) -> Result<Option<(i64, RegistrationEntry)>> {
    let mut sql = Sql::new(&format!(
        "SELECT {ENTRY_COLUMNS} FROM registered_entries E WHERE E.entry_id = "
    ));
    sql.bind(Arg::Text(entry_id.to_owned())).push(lock);
    let Some(row) = link.fetch_optional(&sql).await? else {
        return Ok(None);
    };
    let (id, mut entry) = entry_from_row(&row)?;
    load_children(link, id, &mut entry).await?;
    Ok(Some((id, entry)))
}

/// A selector from a `(type, value)` row of `table`.
pub fn selector_from_columns(row: &DbRow, table: &str) -> Result<Selector> {
    let kind = row.text(0)?.unwrap_or_default();
    let value = row.text(1)?.unwrap_or_default();
    Selector::new(kind.clone(), value.clone()).map_err(|e| {
        DataStoreError::Database(format!(
            "{table} holds invalid selector {kind:?}:{value:?}: {e}"
        ))
    })
}
