use spire_datastore::conformance::CHECKS;
use spire_datastore::sql::{CODE_VERSION, LATEST_SCHEMA_VERSION};
use spire_datastore::{DataStore, DataStoreError, JoinToken, SqlConfig, SqlDataStore};
use tempfile::TempDir;

fn config(connection_string: String) -> SqlConfig {
    SqlConfig {
        database_type: "sqlite3".into(),
        connection_string,
        ..SqlConfig::default()
    }
}

async fn fresh() -> (TempDir, SqlDataStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("datastore.sqlite3");
    let ds = SqlDataStore::open(&config(path.display().to_string()))
        .await
        .expect("open fresh db");
    (dir, ds)
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let (_dir, ds) = fresh().await;
            let (_, check) = CHECKS
                .iter()
                .find(|(n, _)| *n == stringify!($name))
                .expect("every test names a conformance check");
            check(&ds).await;
        }
    )*};
}

conformance!(
    bundle_crud,
    bundle_append_dedups_and_bumps_sequence,
    bundle_delete_modes,
    bundle_prune_jwt_keys,
    bundle_bad_input,
    node_crud_and_ban,
    node_filters,
    node_selectors,
    node_prune,
    entry_crud_and_revision,
    entry_already_exists,
    entry_paging,
    entry_selector_match_modes,
    entry_federates_with_match_modes,
    entry_simple_filters,
    entry_prune,
    entry_bad_input,
    join_tokens,
    ca_journals,
    entry_events_prune,
    node_events_prune,
);

#[tokio::test]
async fn every_conformance_check_has_a_test() {
    assert_eq!(
        CHECKS.len(),
        21,
        "add a conformance!() line for each new check"
    );
}

#[tokio::test]
async fn run_all_passes_on_in_memory_stores() {
    spire_datastore::conformance::run_all(|| async {
        let ds = SqlDataStore::open(&config(":memory:".into()))
            .await
            .expect("open in-memory db");
        Box::new(ds) as Box<dyn DataStore>
    })
    .await;
}

#[tokio::test]
async fn data_persists_across_reopen_and_migration_is_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let uri = format!("file:{}?cache=private", dir.path().join("ds.db").display());
    let ds = SqlDataStore::open(&config(uri.clone()))
        .await
        .expect("first open");
    let token = JoinToken {
        token: "persisted".into(),
        expires_at: 42,
    };
    ds.create_join_token(&token).await.expect("create token");
    ds.close().await;

    let reopened = SqlDataStore::open(&config(uri)).await.expect("second open");
    assert_eq!(
        reopened.fetch_join_token("persisted").await.expect("fetch"),
        Some(token)
    );
    assert_eq!(
        reopened.schema_version().await.expect("version"),
        (LATEST_SCHEMA_VERSION, CODE_VERSION.to_owned())
    );
    reopened.close().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM migrations")
        .fetch_one(&raw(&dir.path().join("ds.db")).await)
        .await
        .expect("count migrations");
    assert_eq!(rows, 1, "reopening must not add migrations rows");
}

#[tokio::test]
async fn schema_has_spire_table_names() {
    let (_dir, ds) = fresh().await;
    assert_eq!(ds.table_names().await.expect("tables"), crate::SPIRE_TABLES);
}

#[tokio::test]
async fn newer_schema_version_is_refused_with_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ds.db").display().to_string();
    let ds = SqlDataStore::open(&config(path.clone()))
        .await
        .expect("open");
    ds.close().await;
    sqlx::query("UPDATE migrations SET version = ?")
        .bind(LATEST_SCHEMA_VERSION + 1)
        .execute(&raw(std::path::Path::new(&path)).await)
        .await
        .expect("bump version");
    let err = SqlDataStore::open(&config(path))
        .await
        .expect_err("newer schema must be refused");
    assert!(
        matches!(err, DataStoreError::FailedPrecondition(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("26"), "names the version: {err}");
}

#[tokio::test]
async fn schema_23_is_migrated_to_latest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ds.db").display().to_string();
    let ds = SqlDataStore::open(&config(path.clone()))
        .await
        .expect("open");
    ds.close().await;
    let pool = raw(std::path::Path::new(&path)).await;
    for statement in [
        "ALTER TABLE attested_node_entries DROP COLUMN agent_version",
        "ALTER TABLE registered_entries DROP COLUMN additional_attributes",
        "UPDATE migrations SET version = 23, code_version = '1.14.0'",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("downgrade to schema 23");
    }
    pool.close().await;
    let ds = SqlDataStore::open(&config(path))
        .await
        .expect("reopen migrates");
    assert_eq!(
        ds.schema_version().await.expect("version").0,
        LATEST_SCHEMA_VERSION
    );
    // agent_version (v24) and additional_attributes (v25) are usable again.
    let (_, node_check) = CHECKS
        .iter()
        .find(|(n, _)| *n == "node_crud_and_ban")
        .expect("check exists");
    node_check(&ds).await;
    let (_, entry_check) = CHECKS
        .iter()
        .find(|(n, _)| *n == "entry_crud_and_revision")
        .expect("check exists");
    entry_check(&ds).await;
}

#[tokio::test]
async fn unknown_database_type_is_refused_by_name() {
    let cfg = SqlConfig {
        database_type: "oracle".into(),
        connection_string: "x".into(),
        ..SqlConfig::default()
    };
    let err = SqlDataStore::open(&cfg).await.expect_err("must be refused");
    assert!(
        matches!(&err, DataStoreError::InvalidArgument(m) if m.contains("oracle")),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_server_connection_strings_are_invalid_argument() {
    let cases = [
        ("postgres", "x", "not followed by '='"),
        (
            "postgres",
            "dbname=spire sslmode=maybe",
            "sslmode \"maybe\"",
        ),
        ("mysql", "x", "no '/dbname'"),
        ("mysql", "spire@tcp(db:70000)/spire", "port \"70000\""),
    ];
    for (kind, conn, want) in cases {
        let cfg = SqlConfig {
            database_type: kind.into(),
            connection_string: conn.into(),
            ..SqlConfig::default()
        };
        let err = SqlDataStore::open(&cfg).await.expect_err(conn);
        assert!(
            matches!(&err, DataStoreError::InvalidArgument(m) if m.contains(want) && m.contains(kind)),
            "{kind} {conn:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn bad_conn_max_lifetime_is_invalid_argument() {
    let cfg = SqlConfig {
        conn_max_lifetime: Some("forever".into()),
        ..config(":memory:".into())
    };
    let err = SqlDataStore::open(&cfg).await.expect_err("bad duration");
    assert!(
        matches!(&err, DataStoreError::InvalidArgument(m) if m.contains("conn_max_lifetime")),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_connection_parameter_is_invalid_argument() {
    let err = SqlDataStore::open(&config("file:x.db?bogus=1".into()))
        .await
        .expect_err("bad param");
    assert!(
        matches!(&err, DataStoreError::InvalidArgument(m) if m.contains("bogus")),
        "{err:?}"
    );
}

/// A plain pool on the database file, to inspect or tamper with it behind the store.
async fn raw(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    sqlx::SqlitePool::connect_with(options)
        .await
        .expect("raw connection")
}

#[tokio::test]
async fn unreachable_server_is_a_database_error_naming_the_type() {
    for (kind, conn) in [
        (
            "postgres",
            "postgres://spire:spire@127.0.0.1:1/spire?sslmode=disable",
        ),
        ("mysql", "spire:spire@tcp(127.0.0.1:1)/spire?parseTime=true"),
    ] {
        let cfg = SqlConfig {
            database_type: kind.into(),
            connection_string: conn.into(),
            ..SqlConfig::default()
        };
        let err = SqlDataStore::open(&cfg).await.expect_err("nothing listens");
        assert!(
            matches!(&err, DataStoreError::Database(m) if m.contains(&format!("connecting to the {kind} database"))),
            "{kind}: {err:?}"
        );
    }
}
