//! Trust bundles (`bundles`: trust_domain as `spiffe://<name>`, data as protobuf).

use spire_spiffe::Bundle;
use sqlx::Row;

use super::paging::PageWindow;
use super::{SqlDataStore, args::Sql, entries, timefmt};
use crate::bundle_codec::{decode_bundle, encode_bundle, trust_domain_id};
use crate::error::{DataStoreError, Result};
use crate::query::{BundleDeleteMode, Page, Pagination};

impl SqlDataStore {
    pub(super) async fn create_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let mut tx = self.begin_write().await?;
        if bundle_row_id(&mut tx, &bundle.trust_domain)
            .await?
            .is_some()
        {
            return Err(DataStoreError::AlreadyExists(format!(
                "bundle for trust domain {:?}",
                bundle.trust_domain
            )));
        }
        let now = timefmt::format(timefmt::now_unix())?;
        sqlx::query(
            "INSERT INTO bundles (created_at, updated_at, trust_domain, data) VALUES (?, ?, ?, ?)",
        )
        .bind(&now)
        .bind(&now)
        .bind(trust_domain_id(&bundle.trust_domain))
        .bind(encode_bundle(bundle))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(bundle.clone())
    }

    pub(super) async fn fetch_bundle_impl(&self, trust_domain: &str) -> Result<Option<Bundle>> {
        let data: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT data FROM bundles WHERE trust_domain = ?")
                .bind(trust_domain_id(trust_domain))
                .fetch_optional(&self.pool)
                .await?;
        data.map(|d| decode_bundle(&d.unwrap_or_default(), trust_domain))
            .transpose()
    }

    pub(super) async fn list_bundles_impl(
        &self,
        pagination: Option<&Pagination>,
    ) -> Result<Page<Bundle>> {
        let window = PageWindow::from_request(pagination)?;
        let mut sql = Sql::new("SELECT id, trust_domain, data FROM bundles WHERE 1 = 1");
        window.push_bound(&mut sql, "id");
        window.push_order_limit(&mut sql, "id");
        let rows = sql.fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_id = None;
        for row in rows {
            last_id = Some(row.try_get::<i64, _>(0)?);
            let td: String = row.try_get(1)?;
            let data: Option<Vec<u8>> = row.try_get(2)?;
            items.push(decode_bundle(&data.unwrap_or_default(), &td)?);
        }
        let next_token = window.next_token(items.len(), last_id);
        Ok(Page { items, next_token })
    }

    pub(super) async fn count_bundles_impl(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bundles")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(super) async fn set_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let now = timefmt::format(timefmt::now_unix())?;
        sqlx::query(self.dialect.upsert_bundle())
            .bind(trust_domain_id(&bundle.trust_domain))
            .bind(encode_bundle(bundle))
            .bind(&now)
            .bind(&now)
            .execute(&self.pool)
            .await?;
        Ok(bundle.clone())
    }

    pub(super) async fn append_bundle_impl(&self, bundle: &Bundle) -> Result<Bundle> {
        validate(bundle)?;
        let mut tx = self.begin_write().await?;
        let existing: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT data FROM bundles WHERE trust_domain = ?")
                .bind(trust_domain_id(&bundle.trust_domain))
                .fetch_optional(&mut *tx)
                .await?;
        let now = timefmt::format(timefmt::now_unix())?;
        let Some(data) = existing else {
            sqlx::query("INSERT INTO bundles (created_at, updated_at, trust_domain, data) VALUES (?, ?, ?, ?)")
                .bind(&now)
                .bind(&now)
                .bind(trust_domain_id(&bundle.trust_domain))
                .bind(encode_bundle(bundle))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(bundle.clone());
        };
        let mut stored = decode_bundle(&data.unwrap_or_default(), &bundle.trust_domain)?;
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
            write_bundle(&mut tx, &stored, &now).await?;
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
        let Some(bundle_id) = bundle_row_id(&mut tx, trust_domain).await? else {
            return Err(DataStoreError::NotFound(format!(
                "bundle for trust domain {trust_domain:?}"
            )));
        };
        let entry_ids: Vec<i64> = sqlx::query_scalar(
            "SELECT registered_entry_id FROM federated_registration_entries WHERE bundle_id = ?",
        )
        .bind(bundle_id)
        .fetch_all(&mut *tx)
        .await?;
        match mode {
            BundleDeleteMode::Restrict if !entry_ids.is_empty() => {
                return Err(DataStoreError::FailedPrecondition(format!(
                    "cannot delete bundle of {trust_domain:?}: {} registration entries federate with it",
                    entry_ids.len()
                )));
            }
            BundleDeleteMode::Delete => {
                for id in entry_ids {
                    entries::delete_entry_row(&mut tx, id).await?;
                }
            }
            BundleDeleteMode::Restrict | BundleDeleteMode::Dissociate => {}
        }
        sqlx::query("DELETE FROM federated_registration_entries WHERE bundle_id = ?")
            .bind(bundle_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM bundles WHERE id = ?")
            .bind(bundle_id)
            .execute(&mut *tx)
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
        let data: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT data FROM bundles WHERE trust_domain = ?")
                .bind(trust_domain_id(trust_domain))
                .fetch_optional(&mut *tx)
                .await?;
        let Some(data) = data else {
            return Err(DataStoreError::NotFound(format!(
                "bundle for trust domain {trust_domain:?}"
            )));
        };
        let mut bundle = decode_bundle(&data.unwrap_or_default(), trust_domain)?;
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
            let now = timefmt::format(timefmt::now_unix())?;
            write_bundle(&mut tx, &bundle, &now).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

/// The row ID of the bundle of `trust_domain` (a name without scheme).
pub(super) async fn bundle_row_id(
    conn: &mut sqlx::SqliteConnection,
    trust_domain: &str,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM bundles WHERE trust_domain = ?")
            .bind(trust_domain_id(trust_domain))
            .fetch_optional(conn)
            .await?,
    )
}

async fn write_bundle(conn: &mut sqlx::SqliteConnection, bundle: &Bundle, now: &str) -> Result<()> {
    sqlx::query("UPDATE bundles SET data = ?, updated_at = ? WHERE trust_domain = ?")
        .bind(encode_bundle(bundle))
        .bind(now)
        .bind(trust_domain_id(&bundle.trust_domain))
        .execute(conn)
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
