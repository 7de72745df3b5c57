//! [`SqlDataStore`]: the `DataStore` on SQL, using SPIRE's schema.

mod args;
mod bundles;
pub mod dialect;
mod entries;
mod entry_rows;
mod matching;
mod migrate;
mod nodes;
mod paging;
mod store_impl;
pub mod timefmt;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::error::{DataStoreError, Result};
pub use dialect::Dialect;
pub use migrate::{CODE_VERSION, LATEST_SCHEMA_VERSION};

/// The `DataStore "sql"` plugin_data the server config carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlConfig {
    /// `sqlite3` (implemented), `postgres` / `mysql` (not yet).
    pub database_type: String,
    /// For SQLite: a path, or a `file:` URI with `mode`/`cache` parameters; Go driver
    /// parameters (`_busy_timeout=…`) are ignored because the store sets its own pragmas.
    pub connection_string: String,
    /// Upper bound on pooled connections (SPIRE's `max_open_conns`, default 100).
    pub max_open_conns: Option<u32>,
    /// Refuse to migrate an older schema instead of upgrading it.
    pub disable_migration: bool,
}

/// A `DataStore` on a SQL database.
#[derive(Debug, Clone)]
pub struct SqlDataStore {
    pool: SqlitePool,
    dialect: Dialect,
}

/// How long a SQLite connection waits on a locked database before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl SqlDataStore {
    /// Opens (creating if missing) the database and brings its schema to
    /// [`LATEST_SCHEMA_VERSION`].
    pub async fn open(config: &SqlConfig) -> Result<SqlDataStore> {
        match config.database_type.as_str() {
            "sqlite3" => {}
            "postgres" | "mysql" => {
                return Err(DataStoreError::Unsupported(format!(
                    "database_type {:?} is not implemented yet; only \"sqlite3\" is",
                    config.database_type
                )));
            }
            other => {
                return Err(DataStoreError::InvalidArgument(format!(
                    "database_type {other:?} is not one of \"sqlite3\", \"postgres\", \"mysql\""
                )));
            }
        }
        let (options, in_memory) = sqlite_options(&config.connection_string)?;
        // Each connection to a private in-memory database would see its own empty
        // database, so those get exactly one connection.
        let max = if in_memory {
            1
        } else {
            config.max_open_conns.unwrap_or(100).max(1)
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await
            .map_err(|e| {
                DataStoreError::Database(format!(
                    "opening SQLite database {:?}: {e}",
                    config.connection_string
                ))
            })?;
        let store = SqlDataStore {
            pool,
            dialect: Dialect::Sqlite,
        };
        migrate::run(&store.pool, store.dialect, config.disable_migration).await?;
        Ok(store)
    }

    /// Closes the pool; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Names of the tables in the database, sorted (used to check schema parity).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(names)
    }

    /// The `(version, code_version)` recorded in the `migrations` table.
    pub async fn schema_version(&self) -> Result<(i64, String)> {
        migrate::recorded_version(&self.pool)
            .await?
            .ok_or_else(|| DataStoreError::Database("migrations table has no row".into()))
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with(self.dialect.begin_write()).await?)
    }
}

/// Turns a SPIRE SQLite connection string into sqlx options; also says whether the
/// database lives only in memory.
fn sqlite_options(connection_string: &str) -> Result<(SqliteConnectOptions, bool)> {
    let bad = |why: &str| {
        DataStoreError::InvalidArgument(format!("connection_string {connection_string:?}: {why}"))
    };
    if connection_string.is_empty() {
        return Err(bad("must not be empty"));
    }
    let base = if connection_string == ":memory:" {
        SqliteConnectOptions::from_str("sqlite::memory:").map_err(|e| bad(&e.to_string()))?
    } else {
        let rest = connection_string
            .strip_prefix("file:")
            .unwrap_or(connection_string);
        let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(bad("names no database file"));
        }
        let mut options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        for pair in params.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            options = match (key, value) {
                ("mode", "memory") => options.in_memory(true).shared_cache(true),
                ("mode", "ro") => options.read_only(true),
                ("mode", "rw") => options.create_if_missing(false),
                ("mode", "rwc") => options.create_if_missing(true),
                ("cache", "shared") => options.shared_cache(true),
                ("cache", "private") => options.shared_cache(false),
                (key, _) if key.starts_with('_') => {
                    tracing::debug!(parameter = key, "ignoring Go sqlite driver parameter");
                    options
                }
                _ => return Err(bad(&format!("unsupported parameter {pair:?}"))),
            };
        }
        options
    };
    let in_memory = connection_string == ":memory:" || connection_string.contains("mode=memory");
    let options = base
        .journal_mode(if in_memory {
            SqliteJournalMode::Memory
        } else {
            SqliteJournalMode::Wal
        })
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    Ok((options, in_memory))
}
