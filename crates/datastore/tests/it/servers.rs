//! The conformance suite and schema checks on real PostgreSQL and MariaDB/MySQL servers,
//! named by `SPIRE_RS_TEST_POSTGRES` (a `postgres://` URL or key=value DSN) and
//! `SPIRE_RS_TEST_MYSQL` (a go-sql-driver DSN); `scripts/ci-databases start` prints both.
//! Each test creates its own uniquely named database and drops it afterwards. The tests are
//! `#[ignore]`d: scripts/test runs them in CI (where .ci/run starts both servers) with
//! `--ignored --skip _as_root`; an unset variable fails the test, it never passes by skipping.

use spire_datastore::conformance::CHECKS;
use spire_datastore::sql::connstr::{mysql_options, postgres_options};
use spire_datastore::sql::{CODE_VERSION, LATEST_SCHEMA_VERSION};
use spire_datastore::{DataStore, DataStoreError, EntryFilter, SqlConfig, SqlDataStore};
use sqlx::Connection;

#[derive(Debug, Clone, Copy)]
pub enum Server {
    Postgres,
    MySql,
}

impl Server {
    fn env_var(self) -> &'static str {
        match self {
            Server::Postgres => "SPIRE_RS_TEST_POSTGRES",
            Server::MySql => "SPIRE_RS_TEST_MYSQL",
        }
    }

    fn database_type(self) -> &'static str {
        match self {
            Server::Postgres => "postgres",
            Server::MySql => "mysql",
        }
    }

    /// The server's connection string; panics saying how to get one when not configured.
    fn base(self) -> String {
        let var = self.env_var();
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => panic!(
                "this {} test needs {var}: run `eval \"$(scripts/ci-databases start)\"` first",
                self.database_type()
            ),
        }
    }
}

/// A database created for one test.
pub struct TempDb {
    server: Server,
    base: String,
    name: String,
    /// Connection string of the new database, in the same form as `base`.
    pub connection_string: String,
}

impl TempDb {
    /// Creates a fresh database on `server` (panics when the server is not configured).
    pub async fn create(server: Server) -> TempDb {
        let base = server.base();
        let name = format!("spire_rs_t_{}", uuid::Uuid::new_v4().simple());
        let db = TempDb {
            connection_string: with_database(server, &base, &name),
            server,
            base,
            name,
        };
        db.admin(&format!("CREATE DATABASE {}", db.name)).await;
        db
    }

    pub fn config(&self) -> SqlConfig {
        SqlConfig {
            database_type: self.server.database_type().into(),
            connection_string: self.connection_string.clone(),
            ..SqlConfig::default()
        }
    }

    pub async fn open(&self) -> SqlDataStore {
        SqlDataStore::open(&self.config())
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.name))
    }

    /// Runs `statement` on this database behind the store's back.
    pub async fn raw(&self, statement: &str) {
        match self.server {
            Server::Postgres => {
                let options = postgres_options(&self.connection_string).expect("options");
                let mut c = sqlx::PgConnection::connect_with(&options)
                    .await
                    .expect("raw connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{statement}: {e}"));
            }
            Server::MySql => {
                let options = mysql_options(&self.connection_string).expect("options");
                let mut c = sqlx::MySqlConnection::connect_with(&options)
                    .await
                    .expect("raw connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{statement}: {e}"));
            }
        }
    }

    /// Drops the database; call after closing every store on it.
    ///
    /// PostgreSQL 15 refuses `WITH (FORCE)` to a non-superuser while an autovacuum
    /// worker (a process with no role) is on the database ("must be a member of the
    /// role whose process is being terminated"). The worker finishes within moments,
    /// so the drop is retried for a few seconds before the test fails.
    pub async fn drop_database(self) {
        let statement = match self.server {
            Server::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Server::MySql => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        let mut attempt = 0;
        loop {
            match self.try_admin(&statement).await {
                Ok(()) => return,
                Err(e) if attempt < 40 => {
                    attempt += 1;
                    eprintln!("{statement}: {e}; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => panic!("{statement}: {e}"),
            }
        }
    }

    async fn admin(&self, statement: &str) {
        self.try_admin(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    async fn try_admin(&self, statement: &str) -> Result<(), sqlx::Error> {
        match self.server {
            Server::Postgres => {
                let options = postgres_options(&self.base).expect("SPIRE_RS_TEST_POSTGRES");
                let mut c = sqlx::PgConnection::connect_with(&options).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&mut c)
                    .await?;
            }
            Server::MySql => {
                let options = mysql_options(&self.base).expect("SPIRE_RS_TEST_MYSQL");
                let mut c = sqlx::MySqlConnection::connect_with(&options).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                    .execute(&mut c)
                    .await?;
            }
        }
        Ok(())
    }
}

/// `base` pointing at database `name`, keeping its form (URL, key=value or Go DSN).
fn with_database(server: Server, base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    match server {
        Server::Postgres if !base.contains("://") => format!("{base} dbname={name}"),
        Server::Postgres => {
            let authority_start = head.find("://").map_or(0, |i| i + 3);
            let path = head[authority_start..]
                .find('/')
                .map_or(head.len(), |i| authority_start + i);
            format!("{}/{name}{query}", &head[..path])
        }
        Server::MySql => {
            let slash = head.rfind('/').unwrap_or(head.len());
            format!("{}/{name}{query}", &head[..slash])
        }
    }
}

/// Runs the conformance check `name` on a fresh database of `server`.
pub async fn conformance(server: Server, name: &str) {
    let db = TempDb::create(server).await;
    let ds = db.open().await;
    let (_, check) = CHECKS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("every test names a conformance check");
    check(&ds).await;
    ds.close().await;
    db.drop_database().await;
}

/// Reopening leaves one `migrations` row at the latest version and SPIRE's tables.
pub async fn migration_is_idempotent(server: Server) {
    let db = TempDb::create(server).await;
    for _ in 0..3 {
        let ds = db.open().await;
        assert_eq!(
            ds.schema_version().await.expect("version"),
            (LATEST_SCHEMA_VERSION, CODE_VERSION.to_owned())
        );
        assert_eq!(
            ds.table_names().await.expect("tables"),
            crate::SPIRE_TABLES,
            "{server:?} schema"
        );
        ds.close().await;
    }
    db.raw("DELETE FROM migrations WHERE version <> 25").await;
    let ds = db.open().await;
    let entries = ds
        .count_registration_entries(&EntryFilter::default())
        .await
        .expect("count");
    assert_eq!(entries, 0);
    ds.close().await;
    db.drop_database().await;
}

/// A database written by a newer SPIRE is refused, naming its version.
pub async fn newer_schema_is_refused(server: Server) {
    let db = TempDb::create(server).await;
    db.open().await.close().await;
    db.raw(&format!(
        "UPDATE migrations SET version = {}",
        LATEST_SCHEMA_VERSION + 1
    ))
    .await;
    let err = SqlDataStore::open(&db.config())
        .await
        .expect_err("newer schema must be refused");
    assert!(
        matches!(&err, DataStoreError::FailedPrecondition(m) if m.contains("26")),
        "{server:?}: {err:?}"
    );
    db.drop_database().await;
}

/// A schema-23 database (SPIRE's previous minor) is upgraded in place, unless
/// `disable_migration` is set.
pub async fn schema_23_is_migrated(server: Server) {
    let db = TempDb::create(server).await;
    db.open().await.close().await;
    db.raw("ALTER TABLE attested_node_entries DROP COLUMN agent_version")
        .await;
    db.raw("ALTER TABLE registered_entries DROP COLUMN additional_attributes")
        .await;
    db.raw("UPDATE migrations SET version = 23, code_version = '1.14.0'")
        .await;
    let refused = SqlDataStore::open(&SqlConfig {
        disable_migration: true,
        ..db.config()
    })
    .await
    .expect_err("disable_migration refuses");
    assert!(
        matches!(&refused, DataStoreError::FailedPrecondition(m) if m.contains("disable_migration")),
        "{refused:?}"
    );
    let ds = db.open().await;
    assert_eq!(
        ds.schema_version().await.expect("version").0,
        LATEST_SCHEMA_VERSION
    );
    for name in ["node_crud_and_ban", "entry_crud_and_revision"] {
        let (_, check) = CHECKS
            .iter()
            .find(|(n, _)| *n == name)
            .expect("check exists");
        check(&ds).await;
    }
    ds.close().await;
    db.drop_database().await;
}

/// Entry/agent listings go to `ro_connection_string`; point reads stay on the primary.
pub async fn stale_reads_use_the_replica(server: Server) {
    let primary = TempDb::create(server).await;
    let replica = TempDb::create(server).await;
    replica.open().await.close().await;
    let ds = SqlDataStore::open(&SqlConfig {
        ro_connection_string: replica.connection_string.clone(),
        max_open_conns: Some(4),
        conn_max_lifetime: Some("1h".into()),
        ..primary.config()
    })
    .await
    .expect("open with replica");
    let entry = spire_datastore::RegistrationEntry {
        spiffe_id: "spiffe://example.org/w".into(),
        parent_id: "spiffe://example.org/a".into(),
        selectors: vec!["unix:uid:0".parse().expect("selector")],
        ..Default::default()
    };
    let created = ds.create_registration_entry(&entry).await.expect("create");
    assert!(
        ds.fetch_registration_entry(&created.entry_id)
            .await
            .expect("fetch")
            .is_some(),
        "point read sees the primary"
    );
    let listed = ds
        .list_registration_entries(&EntryFilter::default(), None)
        .await
        .expect("list");
    assert!(
        listed.items.is_empty(),
        "listing reads the (empty) replica, got {listed:?}"
    );
    ds.close().await;
    primary.drop_database().await;
    replica.drop_database().await;
}
