//! Registration entries (`registered_entries` + `selectors`, `dns_names`,
//! `federated_registration_entries`). Every change records the entry ID in
//! `registered_entries_events`, as SPIRE does for its events-based cache.

use super::args::{Arg, Sql};
use super::bundles::bundle_row_id;
use super::db::Link;
use super::entry_rows::{ENTRY_COLUMNS, entry_from_row, fetch_entry, load_children};
use super::matching::{self, MemberTable};
use super::paging::PageWindow;
use super::{SqlDataStore, timefmt};
use crate::bundle_codec::{encode_additional_attributes, trust_domain_id};
use crate::error::{DataStoreError, Result};
use crate::query::{EntryFilter, Page, Pagination};
use crate::records::{EntryMask, RegistrationEntry};

/// Longest entry ID SPIRE accepts.
const MAX_ENTRY_ID_LEN: usize = 255;

impl SqlDataStore {
    pub(super) async fn create_registration_entry_impl(
        &self,
        entry: &RegistrationEntry,
    ) -> Result<RegistrationEntry> {
        let mut entry = entry.clone();
        if entry.entry_id.is_empty() {
            entry.entry_id = uuid::Uuid::new_v4().to_string();
        }
        validate(&entry)?;
        normalize(&mut entry);
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        if let Some(existing) = find_identical(&mut link, &entry).await? {
            return Err(DataStoreError::EntryAlreadyExists(Box::new(existing)));
        }
        if fetch_entry(&mut link, &entry.entry_id, "").await?.is_some() {
            return Err(DataStoreError::AlreadyExists(format!(
                "registration entry ID {:?}",
                entry.entry_id
            )));
        }
        let now_unix = timefmt::now_unix();
        let now = Arg::time(now_unix)?;
        let id = link
            .insert_returning_id(
                &Sql::new(
                    "INSERT INTO registered_entries (created_at, updated_at, entry_id, spiffe_id, parent_id, ttl, admin, \
                     downstream, expiry, revision_number, store_svid, hint, jwt_svid_ttl, additional_attributes) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                )
                .with(now.clone())
                .with(now.clone())
                .with(&entry.entry_id)
                .with(&entry.spiffe_id)
                .with(&entry.parent_id)
                .with(entry.x509_svid_ttl)
                .with(entry.admin)
                .with(entry.downstream)
                .with(entry.expires_at)
                .with(entry.store_svid)
                .with(&entry.hint)
                .with(entry.jwt_svid_ttl)
                .with(encode_additional_attributes(
                    entry.disable_x509_svid_prefetch,
                    entry.jwt_svid_include_jti,
                )),
            )
            .await?;
        write_selectors(&mut link, id, &entry, &now).await?;
        write_dns_names(&mut link, id, &entry, &now).await?;
        write_federation(&mut link, id, &entry).await?;
        record_entry_event(&mut link, &entry.entry_id, &now).await?;
        tx.commit().await?;
        entry.revision_number = 0;
        entry.created_at = now_unix;
        Ok(entry)
    }

    pub(super) async fn fetch_registration_entry_impl(
        &self,
        entry_id: &str,
    ) -> Result<Option<RegistrationEntry>> {
        let mut conn = self.pool.acquire().await?;
        Ok(fetch_entry(&mut conn.link(), entry_id, "")
            .await?
            .map(|(_, e)| e))
    }

    pub(super) async fn list_registration_entries_impl(
        &self,
        filter: &EntryFilter,
        pagination: Option<&Pagination>,
    ) -> Result<Page<RegistrationEntry>> {
        let window = PageWindow::from_request(pagination)?;
        let mut sql = Sql::new(&format!(
            "SELECT {ENTRY_COLUMNS} FROM registered_entries E WHERE 1 = 1"
        ));
        sql.append(filter_sql(filter)?);
        window.push_bound(&mut sql, "E.id");
        window.push_order_limit(&mut sql, "E.id");
        let mut conn = self.stale_read_pool().acquire().await?;
        let mut link = conn.link();
        let rows = link.fetch_all(&sql).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_id = None;
        for row in &rows {
            let (id, mut entry) = entry_from_row(row)?;
            load_children(&mut link, id, &mut entry).await?;
            last_id = Some(id);
            items.push(entry);
        }
        let next_token = window.next_token(items.len(), last_id);
        Ok(Page { items, next_token })
    }

    pub(super) async fn count_registration_entries_impl(
        &self,
        filter: &EntryFilter,
    ) -> Result<u64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM registered_entries E WHERE 1 = 1");
        sql.append(filter_sql(filter)?);
        let mut conn = self.pool.acquire().await?;
        Ok(u64::try_from(conn.link().fetch_i64(&sql).await?).unwrap_or(0))
    }

    pub(super) async fn update_registration_entry_impl(
        &self,
        update: &RegistrationEntry,
        mask: &EntryMask,
    ) -> Result<RegistrationEntry> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let lock = self.dialect.for_update();
        let Some((id, mut entry)) = fetch_entry(&mut link, &update.entry_id, lock).await? else {
            return Err(DataStoreError::NotFound(format!(
                "registration entry {:?}",
                update.entry_id
            )));
        };
        apply_mask(&mut entry, update, mask);
        validate(&entry)?;
        normalize(&mut entry);
        entry.revision_number = entry.revision_number.saturating_add(1);
        let now = Arg::time(timefmt::now_unix())?;
        link.execute(
            &Sql::new(
                "UPDATE registered_entries SET updated_at = ?, spiffe_id = ?, parent_id = ?, ttl = ?, admin = ?, \
                 downstream = ?, expiry = ?, revision_number = ?, store_svid = ?, hint = ?, jwt_svid_ttl = ?, \
                 additional_attributes = ? WHERE id = ?",
            )
            .with(now.clone())
            .with(&entry.spiffe_id)
            .with(&entry.parent_id)
            .with(entry.x509_svid_ttl)
            .with(entry.admin)
            .with(entry.downstream)
            .with(entry.expires_at)
            .with(entry.revision_number)
            .with(entry.store_svid)
            .with(&entry.hint)
            .with(entry.jwt_svid_ttl)
            .with(encode_additional_attributes(
                entry.disable_x509_svid_prefetch,
                entry.jwt_svid_include_jti,
            ))
            .with(id),
        )
        .await?;
        if mask.selectors {
            write_selectors(&mut link, id, &entry, &now).await?;
        }
        if mask.dns_names {
            write_dns_names(&mut link, id, &entry, &now).await?;
        }
        if mask.federates_with {
            write_federation(&mut link, id, &entry).await?;
        }
        record_entry_event(&mut link, &entry.entry_id, &now).await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub(super) async fn delete_registration_entry_impl(
        &self,
        entry_id: &str,
    ) -> Result<RegistrationEntry> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let lock = self.dialect.for_update();
        let Some((id, entry)) = fetch_entry(&mut link, entry_id, lock).await? else {
            return Err(DataStoreError::NotFound(format!(
                "registration entry {entry_id:?}"
            )));
        };
        delete_entry_row(&mut link, id).await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub(super) async fn prune_registration_entries_impl(&self, expires_before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let ids = link
            .fetch_all(
                &Sql::new("SELECT id FROM registered_entries WHERE expiry != 0 AND expiry < ?")
                    .with(expires_before),
            )
            .await?
            .iter()
            .map(|r| r.int_required(0, "registered_entries.id"))
            .collect::<Result<Vec<i64>>>()?;
        for id in &ids {
            delete_entry_row(&mut link, *id).await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }
}

/// Deletes the entry at row `id` with its child rows, recording an event.
pub(super) async fn delete_entry_row(link: &mut Link<'_>, id: i64) -> Result<()> {
    let entry_id = match link
        .fetch_optional(&Sql::new("SELECT entry_id FROM registered_entries WHERE id = ?").with(id))
        .await?
    {
        Some(row) => row.text(0)?,
        None => None,
    };
    for statement in [
        "DELETE FROM selectors WHERE registered_entry_id = ?",
        "DELETE FROM dns_names WHERE registered_entry_id = ?",
        "DELETE FROM federated_registration_entries WHERE registered_entry_id = ?",
        "DELETE FROM registered_entries WHERE id = ?",
    ] {
        link.execute(&Sql::new(statement).with(id)).await?;
    }
    if let Some(entry_id) = entry_id {
        let now = Arg::time(timefmt::now_unix())?;
        record_entry_event(link, &entry_id, &now).await?;
    }
    Ok(())
}

/// SPIRE's `validateRegistrationEntry` rules.
fn validate(entry: &RegistrationEntry) -> Result<()> {
    let invalid = |why: String| {
        Err(DataStoreError::InvalidArgument(format!(
            "registration entry: {why}"
        )))
    };
    if entry.selectors.is_empty() {
        return invalid("selectors must not be empty".into());
    }
    if entry.spiffe_id.is_empty() {
        return invalid("spiffe_id must not be empty".into());
    }
    if entry.parent_id.is_empty() {
        return invalid("parent_id must not be empty".into());
    }
    if entry.entry_id.len() > MAX_ENTRY_ID_LEN {
        return invalid(format!("entry_id is longer than {MAX_ENTRY_ID_LEN} bytes"));
    }
    if !entry
        .entry_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return invalid(format!(
            "entry_id {:?} may only hold [A-Za-z0-9._-]",
            entry.entry_id
        ));
    }
    if entry.x509_svid_ttl < 0 {
        return invalid(format!(
            "x509_svid_ttl {} must not be negative",
            entry.x509_svid_ttl
        ));
    }
    if entry.jwt_svid_ttl < 0 {
        return invalid(format!(
            "jwt_svid_ttl {} must not be negative",
            entry.jwt_svid_ttl
        ));
    }
    if entry.store_svid {
        if entry.disable_x509_svid_prefetch {
            return invalid("store_svid is incompatible with disable_x509_svid_prefetch".into());
        }
        let first = entry.selectors[0].kind();
        if entry.selectors.iter().any(|s| s.kind() != first) {
            return invalid("selectors must all have the same type when store_svid is set".into());
        }
    }
    if let Some(td) = entry
        .federates_with
        .iter()
        .find(|td| td.is_empty() || td.contains("://"))
    {
        return invalid(format!(
            "federates_with {td:?} must be a trust domain name without scheme"
        ));
    }
    Ok(())
}

/// Sorts and dedups the set-valued fields, as the store returns them.
fn normalize(entry: &mut RegistrationEntry) {
    entry.selectors.sort();
    entry.selectors.dedup();
    entry.federates_with.sort();
    entry.federates_with.dedup();
    let mut seen = std::collections::HashSet::new();
    entry.dns_names.retain(|d| seen.insert(d.clone()));
}

fn apply_mask(entry: &mut RegistrationEntry, update: &RegistrationEntry, mask: &EntryMask) {
    macro_rules! take {
        ($($field:ident),*) => { $( if mask.$field { entry.$field = update.$field.clone(); } )* };
    }
    take!(
        spiffe_id,
        parent_id,
        selectors,
        x509_svid_ttl,
        jwt_svid_ttl,
        federates_with,
        admin
    );
    take!(downstream, expires_at, dns_names, store_svid, hint);
    if mask.additional_attributes {
        entry.disable_x509_svid_prefetch = update.disable_x509_svid_prefetch;
        entry.jwt_svid_include_jti = update.jwt_svid_include_jti;
    }
}

async fn find_identical(
    link: &mut Link<'_>,
    entry: &RegistrationEntry,
) -> Result<Option<RegistrationEntry>> {
    let rows = link
        .fetch_all(
            &Sql::new(&format!(
                "SELECT {ENTRY_COLUMNS} FROM registered_entries E WHERE E.spiffe_id = ? AND E.parent_id = ? ORDER BY E.id"
            ))
            .with(&entry.spiffe_id)
            .with(&entry.parent_id),
        )
        .await?;
    for row in &rows {
        let (id, mut candidate) = entry_from_row(row)?;
        load_children(link, id, &mut candidate).await?;
        if candidate.selectors == entry.selectors {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

fn filter_sql(filter: &EntryFilter) -> Result<Sql> {
    let mut sql = Sql::default();
    if let Some(id) = &filter.by_spiffe_id {
        sql.push(" AND E.spiffe_id = ").bind(Arg::Text(id.clone()));
    }
    if let Some(id) = &filter.by_parent_id {
        sql.push(" AND E.parent_id = ").bind(Arg::Text(id.clone()));
    }
    if let Some(hint) = &filter.by_hint {
        sql.push(" AND E.hint = ").bind(Arg::Text(hint.clone()));
    }
    if let Some(downstream) = filter.by_downstream {
        sql.push(" AND E.downstream = ").bind(Arg::Bool(downstream));
    }
    if let Some(m) = &filter.by_selectors {
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
            from: "selectors S",
            owner_column: "S.registered_entry_id",
        };
        sql.append(matching::predicate(
            "E.id",
            table,
            &members,
            m.behavior,
            "by_selectors",
        )?);
    }
    if let Some(m) = &filter.by_federates_with {
        let members: Vec<_> = m
            .trust_domains
            .iter()
            .map(|td| vec![("B.trust_domain", trust_domain_id(td))])
            .collect();
        let table = MemberTable {
            from: "federated_registration_entries F JOIN bundles B ON B.id = F.bundle_id",
            owner_column: "F.registered_entry_id",
        };
        sql.append(matching::predicate(
            "E.id",
            table,
            &members,
            m.behavior,
            "by_federates_with",
        )?);
    }
    Ok(sql)
}

async fn write_selectors(
    link: &mut Link<'_>,
    id: i64,
    entry: &RegistrationEntry,
    now: &Arg,
) -> Result<()> {
    link.execute(&Sql::new("DELETE FROM selectors WHERE registered_entry_id = ?").with(id))
        .await?;
    for s in &entry.selectors {
        link.execute(
            &Sql::new(
                "INSERT INTO selectors (created_at, updated_at, registered_entry_id, type, value) VALUES (?, ?, ?, ?, ?)",
            )
            .with(now.clone())
            .with(now.clone())
            .with(id)
            .with(s.kind())
            .with(s.value()),
        )
        .await?;
    }
    Ok(())
}

async fn write_dns_names(
    link: &mut Link<'_>,
    id: i64,
    entry: &RegistrationEntry,
    now: &Arg,
) -> Result<()> {
    link.execute(&Sql::new("DELETE FROM dns_names WHERE registered_entry_id = ?").with(id))
        .await?;
    for name in &entry.dns_names {
        link.execute(
            &Sql::new(
                "INSERT INTO dns_names (created_at, updated_at, registered_entry_id, value) VALUES (?, ?, ?, ?)",
            )
            .with(now.clone())
            .with(now.clone())
            .with(id)
            .with(name),
        )
        .await?;
    }
    Ok(())
}

/// Links the entry to the bundles of its federated trust domains, which must exist.
async fn write_federation(link: &mut Link<'_>, id: i64, entry: &RegistrationEntry) -> Result<()> {
    let mut bundle_ids = Vec::with_capacity(entry.federates_with.len());
    for td in &entry.federates_with {
        let bundle_id = bundle_row_id(link, td).await?.ok_or_else(|| {
            DataStoreError::InvalidArgument(format!(
                "registration entry: federates_with {td:?} has no bundle in the datastore"
            ))
        })?;
        bundle_ids.push(bundle_id);
    }
    link.execute(
        &Sql::new("DELETE FROM federated_registration_entries WHERE registered_entry_id = ?")
            .with(id),
    )
    .await?;
    for bundle_id in bundle_ids {
        link.execute(
            &Sql::new(
                "INSERT INTO federated_registration_entries (bundle_id, registered_entry_id) VALUES (?, ?)",
            )
            .with(bundle_id)
            .with(id),
        )
        .await?;
    }
    Ok(())
}

async fn record_entry_event(link: &mut Link<'_>, entry_id: &str, now: &Arg) -> Result<()> {
    link.execute(
        &Sql::new(
            "INSERT INTO registered_entries_events (created_at, updated_at, entry_id) VALUES (?, ?, ?)",
        )
        .with(now.clone())
        .with(now.clone())
        .with(entry_id),
    )
    .await?;
    Ok(())
}
