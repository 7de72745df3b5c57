//! Schema versioning through SPIRE's `migrations` table (one row: `version`,
//! `code_version`). Fresh databases get every table at [`LATEST_SCHEMA_VERSION`]; the two
//! previous versions are upgraded step by step, each step in its own transaction.

use super::args::{Arg, Sql};
use super::db::Pool;
use super::dialect::Dialect;
use super::timefmt;
use crate::error::{DataStoreError, Result};

/// The schema version this code writes (SPIRE's `latestSchemaVersion`).
pub const LATEST_SCHEMA_VERSION: i64 = 25;
/// The oldest schema version upgraded in place (SPIRE's `lastMinorReleaseSchemaVersion`).
pub const OLDEST_MIGRATABLE_VERSION: i64 = 23;
/// The SPIRE release whose schema and behaviour this store matches; recorded as
/// `code_version` so Go servers sharing the database apply their ±1 minor rule to it.
pub const CODE_VERSION: &str = "1.16.0";

/// Brings the schema to the latest version, or explains why it cannot.
pub async fn run(pool: &Pool, dialect: Dialect, disable_migration: bool) -> Result<()> {
    let has_migrations = pool
        .acquire()
        .await?
        .link()
        .fetch_i64(&Sql::new(dialect.table_exists()).with("migrations"))
        .await?;
    if has_migrations == 0 {
        return init_fresh(pool, dialect).await;
    }
    let Some((mut version, _code)) = recorded_version(pool).await? else {
        return Err(DataStoreError::FailedPrecondition(
            "the migrations table exists but is empty; this database was not created by SPIRE"
                .into(),
        ));
    };
    if version > LATEST_SCHEMA_VERSION {
        return Err(DataStoreError::FailedPrecondition(format!(
            "database schema version {version} is newer than the {LATEST_SCHEMA_VERSION} this server supports; upgrade the server"
        )));
    }
    if version == LATEST_SCHEMA_VERSION {
        return Ok(());
    }
    if disable_migration {
        return Err(DataStoreError::FailedPrecondition(format!(
            "database schema version {version} needs migrating to {LATEST_SCHEMA_VERSION} but disable_migration is set"
        )));
    }
    if version < OLDEST_MIGRATABLE_VERSION {
        return Err(DataStoreError::FailedPrecondition(format!(
            "migrating from schema version {version} requires a previous SPIRE release first (oldest supported is {OLDEST_MIGRATABLE_VERSION})"
        )));
    }
    while version < LATEST_SCHEMA_VERSION {
        let steps = dialect.migration_step(version).ok_or_else(|| {
            DataStoreError::FailedPrecondition(format!(
                "no migration from schema version {version}"
            ))
        })?;
        let mut tx = pool.begin_write().await?;
        let mut link = tx.link();
        for step in steps {
            link.execute(&Sql::new(step)).await?;
        }
        link.execute(
            &Sql::new("UPDATE migrations SET version = ?, code_version = ?, updated_at = ?")
                .with(version + 1)
                .with(CODE_VERSION)
                .with(Arg::time(timefmt::now_unix())?),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            from = version,
            to = version + 1,
            "migrated datastore schema"
        );
        version += 1;
    }
    Ok(())
}

/// The `(version, code_version)` of the first `migrations` row, if any.
pub async fn recorded_version(pool: &Pool) -> Result<Option<(i64, String)>> {
    let row = pool
        .acquire()
        .await?
        .link()
        .fetch_optional(&Sql::new(
            "SELECT version, code_version FROM migrations ORDER BY id LIMIT 1",
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((
            row.int(0)?.unwrap_or(0),
            row.text(1)?.unwrap_or_default(),
        ))),
    }
}

/// Creates every table and the `migrations` row. MySQL commits each DDL statement on
/// its own, so the statements are `IF NOT EXISTS` and a failed first start re-runs.
async fn init_fresh(pool: &Pool, dialect: Dialect) -> Result<()> {
    let mut tx = pool.begin_write().await?;
    let mut link = tx.link();
    for statement in dialect.schema_statements() {
        link.execute(&Sql::new(statement)).await?;
    }
    let now = Arg::time(timefmt::now_unix())?;
    link.execute(
        &Sql::new(
            "INSERT INTO migrations (created_at, updated_at, version, code_version) VALUES (?, ?, ?, ?)",
        )
        .with(now.clone())
        .with(now)
        .with(LATEST_SCHEMA_VERSION)
        .with(CODE_VERSION),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        version = LATEST_SCHEMA_VERSION,
        "initialized new datastore schema"
    );
    Ok(())
}
