//! Trust bundles (`bundles`: trust_domain as `spiffe://<name>`, data as protobuf).

use super::args::{Arg, Sql};
use super::db::Link;
use super::paging::PageWindow;
use super::{SqlDataStore, entries, timefmt};
use crate::bundle_codec::{decode_bundle, encode_bundle, trust_domain_id};
use crate::error::{DataStoreError, Result};
use crate::query::{BundleDeleteMode, Page, Pagination};
use spire_spiffe::Bundle;

impl SqlDataStore {
    pub(super) async fn create_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        if bundle_row_id(&mut link, &bundle.trust_domain)
            .await?
            .is_some()
        {
            return Err(DataStoreError::AlreadyExists(format!(
                "bundle for trust domain {:?}",
                bundle.trust_domain
            )));
        }
        link.execute(&insert_bundle(bundle)?).await?;
        tx.commit().await?;
        Ok(bundle.clone())
    }

    pub(super) async fn fetch_bundle_impl(&self, trust_domain: &str) -> Result<Option<Bundle>> {
        let mut conn = self.pool.acquire().await?;
        let data = bundle_data(&mut conn.link(), trust_domain, "").await?;
        data.map(|d| decode_bundle(&d, trust_domain)).transpose()
    }

    pub(super) async fn list_bundles_impl(
        &self,
        pagination: Option<&Pagination>,
    ) -> Result<Page<Bundle>> {
        let window = PageWindow::from_request(pagination)?;
        let mut sql = Sql::new("SELECT id, trust_domain, data FROM bundles WHERE 1 = 1");
        window.push_bound(&mut sql, "id");
        window.push_order_limit(&mut sql, "id");
        let mut conn = self.pool.acquire().await?;
        let rows = conn.link().fetch_all(&sql).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_id = None;
        for row in rows {
            last_id = Some(row.int_required(0, "bundles.id")?);
            let td = row.text(1)?.unwrap_or_default();
            let data = row.bytes(2)?.unwrap_or_default();
            items.push(decode_bundle(&data, &td)?);
        }
        let next_token = window.next_token(items.len(), last_id);
        Ok(Page { items, next_token })
    }

    pub(super) async fn count_bundles_impl(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let n = conn
            .link()
            .fetch_i64(&Sql::new("SELECT COUNT(*) FROM bundles"))
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(super) async fn set_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let now = Arg::time(timefmt::now_unix())?;
        let mut conn = self.pool.acquire().await?;
        conn.link()
            .execute(
                &Sql::new(self.dialect.upsert_bundle())
                    .with(trust_domain_id(&bundle.trust_domain))
                    .with(encode_bundle(bundle))
                    .with(now.clone())
                    .with(now),
            )
            .await?;
        Ok(bundle.clone())
    }

    pub(super) async fn append_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let existing =
            bundle_data(&mut link, &bundle.trust_domain, self.dialect.for_update()).await?;
        let Some(data) = existing else {
            link.execute(&insert_bundle(bundle)?).await?;
            tx.commit().await?;
            return Ok(bundle.clone());
        };
        let mut stored = decode_bundle(&data, &bundle.trust_domain)?;
        let mut changed = false;
        for authority in &bundle.x509_authorities {
            if !stored
                .x509_authorities
                .iter()
                .any(|a| a.der == authority.der)
            {
                stored.x509_authorities.push(authority.clone());
                changed = true;
            }
        }
        for key in &bundle.jwt_authorities {
            let known = stored
                .jwt_authorities
                .iter()
                .any(|k| k.key_id == key.key_id && k.public_key_der == key.public_key_der);
            if !known {
                stored.jwt_authorities.push(key.clone());
                changed = true;
            }
        }
        if changed {
            stored.sequence_number = stored.sequence_number.saturating_add(1);
            write_bundle(&mut link, &stored).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    pub(super) async fn delete_bundle_impl(
        &self,
        trust_domain: &str,
        mode: BundleDeleteMode,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let Some(bundle_id) = bundle_row_id(&mut link, trust_domain).await? else {
            return Err(DataStoreError::NotFound(format!(
                "bundle for trust domain {trust_domain:?}"
            )));
        };
        let entry_ids = link
            .fetch_all(
                &Sql::new(
                    "SELECT registered_entry_id FROM federated_registration_entries WHERE bundle_id = ?",
                )
                .with(bundle_id),
            )
            .await?
            .iter()
            .map(|r| r.int_required(0, "federated_registration_entries.registered_entry_id"))
            .collect::<Result<Vec<i64>>>()?;
        match mode {
            BundleDeleteMode::Restrict if !entry_ids.is_empty() => {
                return Err(DataStoreError::FailedPrecondition(format!(
                    "cannot delete bundle of {trust_domain:?}: {} registration entries federate with it",
                    entry_ids.len()
                )));
            }
            BundleDeleteMode::Delete => {
                for id in entry_ids {
                    entries::delete_entry_row(&mut link, id).await?;
                }
            }
            BundleDeleteMode::Restrict | BundleDeleteMode::Dissociate => {}
        }
        link.execute(
            &Sql::new("DELETE FROM federated_registration_entries WHERE bundle_id = ?")
                .with(bundle_id),
        )
        .await?;
        link.execute(&Sql::new("DELETE FROM bundles WHERE id = ?").with(bundle_id))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn prune_bundle_impl(
        &self,
        trust_domain: &str,
        expires_before: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let data = bundle_data(&mut link, trust_domain, self.dialect.for_update()).await?;
        let Some(data) = data else {
            return Err(DataStoreError::NotFound(format!(
                "bundle for trust domain {trust_domain:?}"
            )));
        };
        let mut bundle = decode_bundle(&data, trust_domain)?;
        let mut kept = Vec::with_capacity(bundle.x509_authorities.len());
        for authority in &bundle.x509_authorities {
            if certificate_not_after(&authority.der, trust_domain)? >= expires_before {
                kept.push(authority.clone());
            }
        }
        if kept.is_empty() && !bundle.x509_authorities.is_empty() {
            return Err(DataStoreError::FailedPrecondition(format!(
                "pruning bundle of {trust_domain:?} would remove every X.509 authority"
            )));
        }
        let before = (bundle.x509_authorities.len(), bundle.jwt_authorities.len());
        bundle.x509_authorities = kept;
        bundle
            .jwt_authorities
            .retain(|k| k.expires_at == 0 || k.expires_at >= expires_before);
        let changed = before != (bundle.x509_authorities.len(), bundle.jwt_authorities.len());
        if changed {
            bundle.sequence_number = bundle.sequence_number.saturating_add(1);
            write_bundle(&mut link, &bundle).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

/// The row ID of the bundle of `trust_domain` (a name without scheme).
pub(super) async fn bundle_row_id(link: &mut Link<'_>, trust_domain: &str) -> Result<Option<i64>> {
    let row = link
        .fetch_optional(
            &Sql::new("SELECT id FROM bundles WHERE trust_domain = ?")
                .with(trust_domain_id(trust_domain)),
        )
        .await?;
    row.map(|r| r.int_required(0, "bundles.id")).transpose()
}

/// The stored protobuf of the bundle of `trust_domain`; `lock` is the dialect's
/// `FOR UPDATE` suffix when the caller rewrites it.
async fn bundle_data(
    link: &mut Link<'_>,
    trust_domain: &str,
    lock: &str,
) -> Result<Option<Vec<u8>>> {
    let mut sql = Sql::new("SELECT data FROM bundles WHERE trust_domain = ");
    sql.bind(Arg::Text(trust_domain_id(trust_domain)))
        .push(lock);
    let row = link.fetch_optional(&sql).await?;
    row.map(|r| Ok(r.bytes(0)?.unwrap_or_default())).transpose()
}

fn insert_bundle(bundle: &Bundle) -> Result<Sql> {
    let now = Arg::time(timefmt::now_unix())?;
    Ok(Sql::new(
        "INSERT INTO bundles (created_at, updated_at, trust_domain, data) VALUES (?, ?, ?, ?)",
    )
    .with(now.clone())
    .with(now)
    .with(trust_domain_id(&bundle.trust_domain))
    .with(encode_bundle(bundle)))
}

async fn write_bundle(link: &mut Link<'_>, bundle: &Bundle) -> Result<()> {
    link.execute(
        &Sql::new("UPDATE bundles SET data = ?, updated_at = ? WHERE trust_domain = ?")
            .with(encode_bundle(bundle))
            .with(Arg::time(timefmt::now_unix())?)
            .with(trust_domain_id(&bundle.trust_domain)),
    )
    .await?;
    Ok(())
}

fn validate(bundle: &Bundle) -> Result<()> {
    if bundle.trust_domain.is_empty() {
        return Err(DataStoreError::InvalidArgument(
            "bundle.trust_domain must not be empty".into(),
        ));
    }
    if bundle.trust_domain.contains("://") {
        return Err(DataStoreError::InvalidArgument(format!(
            "bundle.trust_domain {:?} must be a name without scheme",
            bundle.trust_domain
        )));
    }
    Ok(())
}

/// The notAfter of a DER certificate, in Unix seconds.
fn certificate_not_after(der: &[u8], trust_domain: &str) -> Result<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        DataStoreError::Database(format!(
            "bundle of {trust_domain:?} holds an unparseable X.509 authority: {e}"
        ))
    })?;
    Ok(cert.validity().not_after.timestamp())
}
