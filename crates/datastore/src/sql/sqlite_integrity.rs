//! Refusing a damaged SQLite database instead of starting on what is left of it, and leaving
//! a clean one behind at shutdown.
//!
//! A damaged write-ahead log header makes SQLite ignore the log: the server would come up with
//! every recent write gone (0 entries, 0 agents) and its next checkpoint would make the loss
//! permanent. A damaged page would surface later as query errors or wrong answers. Both are
//! refused at start with an error naming the file, and nothing is modified, so the operator
//! can restore or inspect it. At clean shutdown the log is checkpointed into the database file
//! and truncated, so a stopped server's state is in one file.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use crate::error::{DataStoreError, Result};
use crate::sqlite_wal;

/// What the operator is told to do with a damaged file.
const REFUSAL: &str = "refusing to start so no data is lost; restore it or move it away";

/// `<db>-wal`, where SQLite keeps the write-ahead log of `db`.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push("-wal");
    PathBuf::from(name)
}

/// Before the database is opened: a non-empty log whose header SQLite did not write is
/// refused. A missing or empty log is what a clean shutdown or a new database leaves.
pub fn check_wal_file(db: &Path) -> Result<()> {
    let wal = wal_path(db);
    let damaged = |reason: String| {
        DataStoreError::Database(format!(
            "SQLite write-ahead log {} is damaged ({reason}); {REFUSAL}",
            wal.display()
        ))
    };
    let mut header = Vec::with_capacity(sqlite_wal::HEADER_LEN);
    match File::open(&wal) {
        Ok(file) => {
            let limit = sqlite_wal::HEADER_LEN as u64;
            file.take(limit)
                .read_to_end(&mut header)
                .map_err(|e| damaged(format!("cannot read it: {e}")))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(DataStoreError::Database(format!(
                "cannot read SQLite write-ahead log {}: {e}",
                wal.display()
            )));
        }
    }
    if header.is_empty() {
        return Ok(());
    }
    sqlite_wal::parse_header(&header)
        .map(|_| ())
        .map_err(|e| damaged(e.to_string()))
}

/// Once the database is open (the log, if any, replayed): SQLite's `PRAGMA quick_check`
/// must answer exactly `ok`.
pub async fn quick_check(pool: &SqlitePool, db: &Path) -> Result<()> {
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(pool)
        .await
        .map_err(|e| {
            DataStoreError::Database(format!(
                "SQLite database {} failed its integrity check: {e}; {REFUSAL}",
                db.display()
            ))
        })?;
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(());
    }
    // quick_check lists up to 100 problems; the first few say enough.
    let problems: Vec<&str> = rows.iter().take(5).map(String::as_str).collect();
    Err(DataStoreError::Database(format!(
        "SQLite database {} is damaged ({}); {REFUSAL}",
        db.display(),
        problems.join("; ")
    )))
}

/// At clean shutdown: moves every logged transaction into the database file and truncates
/// the log. Best effort: a failure is logged, the data is still safe in the log.
pub async fn checkpoint(pool: &SqlitePool) {
    let result: std::result::Result<(i64, i64, i64), sqlx::Error> =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await;
    match result {
        Ok((0, _, _)) => tracing::debug!("SQLite write-ahead log checkpointed and truncated"),
        Ok((_, log, done)) => tracing::warn!(
            log_frames = log,
            checkpointed_frames = done,
            "SQLite write-ahead log not fully checkpointed at shutdown (database busy); it is replayed at next start"
        ),
        Err(error) => {
            tracing::warn!(%error, "cannot checkpoint the SQLite write-ahead log at shutdown")
        }
    }
}

#[cfg(test)]
mod tests;
