//! CA journals (`ca_journals`: protobuf blob plus the active X.509 / JWT authority IDs it
//! is found by). Pruning reads only the expiries out of the blob (see [`JournalExpiries`]).

use super::args::{Arg, Sql};
use super::row::DbRow;
use super::{SqlDataStore, timefmt};
use crate::error::{DataStoreError, Result};
use crate::records::CaJournal;

const COLUMNS: &str =
    "SELECT id, data, active_x509_authority_id, active_jwt_authority_id FROM ca_journals";

impl SqlDataStore {
    pub(super) async fn set_ca_journal_impl(&self, journal: &CaJournal) -> Result<CaJournal> {
        if journal.id < 0 {
            return Err(DataStoreError::InvalidArgument(format!(
                "CA journal: id {} is negative",
                journal.id
            )));
        }
        let now = Arg::time(timefmt::now_unix())?;
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let id = if journal.id == 0 {
            link.insert_returning_id(
                &Sql::new(
                    "INSERT INTO ca_journals (created_at, updated_at, data, \
                     active_x509_authority_id, active_jwt_authority_id) VALUES (?, ?, ?, ?, ?)",
                )
                .with(now.clone())
                .with(now)
                .with(journal.data.clone())
                .with(&journal.active_x509_authority_id)
                .with(&journal.active_jwt_authority_id),
            )
            .await?
        } else {
            let updated = link
                .execute(
                    &Sql::new(
                        "UPDATE ca_journals SET updated_at = ?, data = ?, \
                         active_x509_authority_id = ?, active_jwt_authority_id = ? WHERE id = ?",
                    )
                    .with(now)
                    .with(journal.data.clone())
                    .with(&journal.active_x509_authority_id)
                    .with(&journal.active_jwt_authority_id)
                    .with(journal.id),
                )
                .await?;
            if updated == 0 {
                return Err(DataStoreError::NotFound(format!(
                    "CA journal {}",
                    journal.id
                )));
            }
            journal.id
        };
        tx.commit().await?;
        Ok(CaJournal {
            id,
            ..journal.clone()
        })
    }

    pub(super) async fn fetch_ca_journal_impl(
        &self,
        active_x509_authority_id: &str,
    ) -> Result<Option<CaJournal>> {
        if active_x509_authority_id.is_empty() {
            return Err(DataStoreError::InvalidArgument(
                "CA journal: active X.509 authority ID is required".into(),
            ));
        }
        let mut conn = self.pool.acquire().await?;
        let row = conn
            .link()
            .fetch_optional(
                &Sql::new(&format!(
                    "{COLUMNS} WHERE active_x509_authority_id = ? ORDER BY id DESC LIMIT 1"
                ))
                .with(active_x509_authority_id),
            )
            .await?;
        row.as_ref().map(journal_from_row).transpose()
    }

    pub(super) async fn fetch_latest_ca_journal_impl(&self) -> Result<Option<CaJournal>> {
        let mut conn = self.pool.acquire().await?;
        let row = conn
            .link()
            .fetch_optional(&Sql::new(&format!("{COLUMNS} ORDER BY id DESC LIMIT 1")))
            .await?;
        row.as_ref().map(journal_from_row).transpose()
    }

    pub(super) async fn list_ca_journals_impl(&self) -> Result<Vec<CaJournal>> {
        let mut conn = self.pool.acquire().await?;
        let rows = conn
            .link()
            .fetch_all(&Sql::new(&format!("{COLUMNS} ORDER BY id")))
            .await?;
        rows.iter().map(journal_from_row).collect()
    }

    pub(super) async fn prune_ca_journals_impl(&self, all_cas_expire_before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut link = tx.link();
        let rows = link
            .fetch_all(&Sql::new("SELECT id, data FROM ca_journals ORDER BY id"))
            .await?;
        let mut pruned = 0;
        for row in rows {
            let id = row.int_required(0, "ca_journals.id")?;
            let data = row.bytes(1)?.unwrap_or_default();
            let expiries =
                <JournalExpiries as prost::Message>::decode(data.as_slice()).map_err(|e| {
                    DataStoreError::Database(format!("CA journal {id}: data is not a journal: {e}"))
                })?;
            if expiries.all_expire_before(all_cas_expire_before) {
                pruned += link
                    .execute(&Sql::new("DELETE FROM ca_journals WHERE id = ?").with(id))
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(pruned)
    }
}

fn journal_from_row(row: &DbRow) -> Result<CaJournal> {
    Ok(CaJournal {
        id: row.int_required(0, "ca_journals.id")?,
        data: row.bytes(1)?.unwrap_or_default(),
        active_x509_authority_id: row.text(2)?.unwrap_or_default(),
        active_jwt_authority_id: row.text(3)?.unwrap_or_default(),
    })
}

/// The expiries of SPIRE's journal `Entries` message and nothing else (prost skips the
/// other fields): `x509CAs = 1` with `not_after = 7`, `jwtKeys = 2` and `witKeys = 3`
/// with `not_after = 3`. The full message lives with the CA that writes it.
#[derive(Clone, PartialEq, prost::Message)]
struct JournalExpiries {
    #[prost(message, repeated, tag = "1")]
    x509_cas: Vec<X509Expiry>,
    #[prost(message, repeated, tag = "2")]
    jwt_keys: Vec<KeyExpiry>,
    #[prost(message, repeated, tag = "3")]
    wit_keys: Vec<KeyExpiry>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct X509Expiry {
    #[prost(int64, tag = "7")]
    not_after: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct KeyExpiry {
    #[prost(int64, tag = "3")]
    not_after: i64,
}

impl JournalExpiries {
    fn all_expire_before(&self, cutoff: i64) -> bool {
        self.x509_cas.iter().all(|e| e.not_after < cutoff)
            && self.jwt_keys.iter().all(|e| e.not_after < cutoff)
            && self.wit_keys.iter().all(|e| e.not_after < cutoff)
    }
}
