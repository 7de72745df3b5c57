//! A damaged SQLite database is refused at open, never silently started empty; a clean close
//! leaves no write-ahead log behind.

use std::path::{Path, PathBuf};

use spire_datastore::{DataStore, JoinToken, SqlConfig, SqlDataStore};

fn config(db: &Path) -> SqlConfig {
    SqlConfig {
        database_type: "sqlite3".into(),
        connection_string: db.display().to_string(),
        ..SqlConfig::default()
    }
}

fn wal(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

async fn store_with_tokens(db: &Path, n: usize) -> SqlDataStore {
    let ds = SqlDataStore::open(&config(db)).await.expect("open");
    for i in 0..n {
        ds.create_join_token(&JoinToken {
            token: format!("token-{i:05}-{}", "x".repeat(200)),
            expires_at: 4_000_000_000,
        })
        .await
        .expect("create token");
    }
    ds
}

#[tokio::test]
async fn clean_close_checkpoints_and_removes_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("datastore.sqlite3");
    let ds = store_with_tokens(&db, 20).await;
    let logged = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);
    assert!(logged > 0, "writes went to the log first");
    DataStore::close(&ds).await;
    let left = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);
    assert_eq!(left, 0, "a cleanly closed store leaves an empty or no log");
    let reopened = SqlDataStore::open(&config(&db)).await.expect("reopen");
    let token = reopened
        .fetch_join_token(&format!("token-00019-{}", "x".repeat(200)))
        .await
        .expect("fetch");
    assert!(token.is_some(), "the data is in the database file");
}

#[tokio::test]
async fn junk_over_the_log_header_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("datastore.sqlite3");
    let live = store_with_tokens(&db, 20).await;
    // Copy the database and its log while the store is open: what a kill -9 leaves.
    let crashed = dir.path().join("crashed.sqlite3");
    std::fs::copy(&db, &crashed).expect("copy db");
    let mut log = std::fs::read(wal(&db)).expect("log exists while open");
    drop(live);
    assert!(log.len() > 4096, "the log holds the writes");
    log[..4096].fill(0xA5);
    std::fs::write(wal(&crashed), &log).expect("damaged log");

    let err = SqlDataStore::open(&config(&crashed))
        .await
        .expect_err("a damaged log must not open");
    let text = err.to_string();
    assert!(
        text.contains(&wal(&crashed).display().to_string()),
        "{text}"
    );
    assert!(text.contains("refusing to start"), "{text}");
    assert_eq!(std::fs::read(wal(&crashed)).expect("log kept"), log);
}

#[tokio::test]
async fn a_damaged_page_fails_the_integrity_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("datastore.sqlite3");
    let ds = store_with_tokens(&db, 300).await;
    DataStore::close(&ds).await;
    // Past the schema pages: junk in the middle of the join_tokens b-tree.
    let mut bytes = std::fs::read(&db).expect("db");
    let page = 4096;
    assert!(bytes.len() > 12 * page, "{} bytes", bytes.len());
    let start = bytes.len() - 4 * page;
    bytes[start..start + page].fill(0x33);
    std::fs::write(&db, &bytes).expect("damage a page");

    let err = SqlDataStore::open(&config(&db))
        .await
        .expect_err("a damaged page must not open");
    let text = err.to_string();
    assert!(text.contains(&db.display().to_string()), "{text}");
    assert!(text.contains("refusing to start"), "{text}");
}
