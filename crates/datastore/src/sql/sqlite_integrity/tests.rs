use super::*;

#[test]
fn wal_path_appends_the_suffix() {
    assert_eq!(
        wal_path(Path::new("/d/datastore.sqlite3")),
        Path::new("/d/datastore.sqlite3-wal")
    );
}

#[test]
fn missing_or_empty_log_is_fine() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db.sqlite3");
    check_wal_file(&db).expect("no log");
    std::fs::write(wal_path(&db), b"").expect("empty log");
    check_wal_file(&db).expect("empty log");
}

#[test]
fn junk_log_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db.sqlite3");
    let wal = wal_path(&db);
    std::fs::write(&wal, [0x5Au8; 4096]).expect("junk log");
    let err = check_wal_file(&db).expect_err("junk is refused");
    let text = err.to_string();
    assert!(text.contains(&wal.display().to_string()), "{text}");
    assert!(
        text.contains("is damaged (bad magic number 0x5a5a5a5a)"),
        "{text}"
    );
    assert!(text.contains("restore it or move it away"), "{text}");
    assert_eq!(std::fs::read(&wal).expect("log kept"), [0x5Au8; 4096]);
}

#[test]
fn torn_header_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db.sqlite3");
    std::fs::write(wal_path(&db), [0x37, 0x7f, 0x06, 0x82]).expect("torn log");
    let err = check_wal_file(&db).expect_err("torn header is refused");
    assert!(err.to_string().contains("4 bytes is shorter"), "{err}");
}
