//! [`SqlDataStore`]: the `DataStore` on SQL, using SPIRE's schema.

mod args;
mod bundles;
mod ca_journals;
pub mod connstr;
mod db;
pub mod dialect;
mod entries;
mod entry_rows;
mod events;
mod matching;
mod migrate;
mod nodes;
mod paging;
mod row;
mod schema_mysql;
mod schema_postgres;
mod schema_sqlite;
pub mod sqlite_integrity;
mod store_impl;
pub mod timefmt;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::MySqlPoolOptions;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{DataStoreError, Result};
use args::Sql;
use db::{Pool, Tx};
pub use dialect::Dialect;
pub use migrate::{CODE_VERSION, LATEST_SCHEMA_VERSION};

/// The `DataStore "sql"` plugin_data the server config carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlConfig {
    /// `sqlite3`, `postgres` or `mysql`.
    pub database_type: String,
    /// SQLite: a path, or a `file:` URI with `mode`/`cache` parameters (Go driver
    /// parameters such as `_busy_timeout=…` are ignored: the store sets its own pragmas).
    /// PostgreSQL: a `postgres://` URL or lib/pq `key=value` DSN. MySQL: a go-sql-driver
    /// DSN `user:pass@tcp(host:port)/dbname?parseTime=true` or a `mysql://` URL.
    pub connection_string: String,
    /// A read replica for reads that tolerate staleness (listing entries and agents);
    /// empty means none. Ignored for SQLite, as in SPIRE.
    pub ro_connection_string: String,
    /// Upper bound on pooled connections (SPIRE's `max_open_conns`, default 100).
    pub max_open_conns: Option<u32>,
    /// SPIRE's `max_idle_conns`. Accepted for config compatibility; sqlx pools have no
    /// idle-count cap, so idle connections are bounded by `max_open_conns` and closed
    /// after 30 s idle (SPIRE's fixed idle time) instead.
    pub max_idle_conns: Option<u32>,
    /// SPIRE's `conn_max_lifetime` as a Go duration (`"1h"`); unset or `"0"` = unlimited.
    pub conn_max_lifetime: Option<String>,
    /// Refuse to migrate an older schema instead of upgrading it.
    pub disable_migration: bool,
}

/// A `DataStore` on a SQL database.
#[derive(Debug, Clone)]
pub struct SqlDataStore {
    pool: Pool,
    /// The read replica pool, if configured; else reads go to `pool`.
    ro_pool: Option<Pool>,
    dialect: Dialect,
}

/// How long a SQLite connection waits on a locked database before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// SPIRE's fixed `SetConnMaxIdleTime`.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl SqlDataStore {
    /// Opens (creating if missing) the database and brings its schema to
    /// [`LATEST_SCHEMA_VERSION`].
    pub async fn open(config: &SqlConfig) -> Result<SqlDataStore> {
        let dialect = match config.database_type.as_str() {
            "sqlite3" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            "mysql" => Dialect::MySql,
            other => {
                return Err(DataStoreError::InvalidArgument(format!(
                    "database_type {other:?} is not one of \"sqlite3\", \"postgres\", \"mysql\""
                )));
            }
        };
        let pool = connect(dialect, &config.connection_string, config).await?;
        let ro_pool = match (dialect, config.ro_connection_string.trim()) {
            (Dialect::Sqlite, _) | (_, "") => None,
            (_, ro) => Some(connect(dialect, ro, config).await?),
        };
        let store = SqlDataStore {
            pool,
            ro_pool,
            dialect,
        };
        migrate::run(&store.pool, store.dialect, config.disable_migration).await?;
        Ok(store)
    }

    /// Closes the pools; later calls fail. A SQLite write-ahead log is first checkpointed
    /// into the database file and truncated, so a cleanly stopped server leaves one file.
    pub async fn close(&self) {
        if let Pool::Sqlite(pool) = &self.pool {
            sqlite_integrity::checkpoint(pool).await;
        }
        self.pool.close().await;
        if let Some(ro) = &self.ro_pool {
            ro.close().await;
        }
    }

    /// The dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Names of the tables in the database, sorted (used to check schema parity).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        let rows = conn
            .link()
            .fetch_all(&Sql::new(self.dialect.table_names()))
            .await?;
        rows.iter()
            .map(|r| Ok(r.text(0)?.unwrap_or_default()))
            .collect()
    }

    /// The `(version, code_version)` recorded in the `migrations` table.
    pub async fn schema_version(&self) -> Result<(i64, String)> {
        migrate::recorded_version(&self.pool)
            .await?
            .ok_or_else(|| DataStoreError::Database("migrations table has no row".into()))
    }

    async fn begin_write(&self) -> Result<Tx> {
        self.pool.begin_write().await
    }

    /// The pool for reads that tolerate replica lag.
    fn stale_read_pool(&self) -> &Pool {
        self.ro_pool.as_ref().unwrap_or(&self.pool)
    }
}

/// Opens a pool for one connection string of `dialect`.
async fn connect(dialect: Dialect, connection_string: &str, config: &SqlConfig) -> Result<Pool> {
    let lifetime = match config.conn_max_lifetime.as_deref() {
        None => None,
        Some(text) => {
            Some(connstr::go_duration(text, "conn_max_lifetime")?).filter(|d| !d.is_zero())
        }
    };
    let max = config.max_open_conns.unwrap_or(100).max(1);
    fn tune<DB: sqlx::Database>(
        o: PoolOptions<DB>,
        max: u32,
        lifetime: Option<Duration>,
    ) -> PoolOptions<DB> {
        o.max_connections(max)
            .idle_timeout(IDLE_TIMEOUT)
            .max_lifetime(lifetime)
    }
    let failed = |e: sqlx::Error| {
        DataStoreError::Database(format!(
            "connecting to the {} database: {e}",
            config.database_type
        ))
    };
    Ok(match dialect {
        Dialect::Sqlite => {
            let (options, in_memory) = sqlite_options(connection_string)?;
            let db = options.get_filename().to_owned();
            if !in_memory {
                // Before any connection: opening would make SQLite discard a damaged log.
                sqlite_integrity::check_wal_file(&db)?;
            }
            // Each connection to a private in-memory database would see its own empty
            // database, so those get exactly one connection.
            let max = if in_memory { 1 } else { max };
            let pool = tune(SqlitePoolOptions::new(), max, lifetime)
                .connect_with(options)
                .await
                .map_err(|e| {
                    DataStoreError::Database(format!(
                        "opening SQLite database {connection_string:?}: {e}"
                    ))
                })?;
            if !in_memory && let Err(e) = sqlite_integrity::quick_check(&pool, &db).await {
                pool.close().await;
                return Err(e);
            }
            Pool::Sqlite(pool)
        }
        Dialect::Postgres => {
            let options = connstr::postgres_options(connection_string)?;
            // One direct attempt first: the pool would retry a refused connection until
            // its acquire timeout, where SPIRE fails start-up at once.
            options
                .connect()
                .await
                .map_err(failed)?
                .close()
                .await
                .map_err(failed)?;
            Pool::Postgres(tune(PgPoolOptions::new(), max, lifetime).connect_lazy_with(options))
        }
        Dialect::MySql => {
            let options = connstr::mysql_options(connection_string)?;
            // One direct attempt first: the pool would retry a refused connection until
            // its acquire timeout, where SPIRE fails start-up at once.
            options
                .connect()
                .await
                .map_err(failed)?
                .close()
                .await
                .map_err(failed)?;
            Pool::MySql(tune(MySqlPoolOptions::new(), max, lifetime).connect_lazy_with(options))
        }
    })
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
