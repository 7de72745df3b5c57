//! Files the server and its CLI write, attacked as a local user or a crash would: temp files
//! planted in a shared `-write` directory, and junk in the SQLite write-ahead log.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::Server;

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn wal_of(server: &Server) -> PathBuf {
    server.dir.path().join("data/datastore.sqlite3-wal")
}

fn create_entries(server: &Server, n: usize) {
    for i in 0..n {
        server.ok(&[
            "entry",
            "create",
            "-parentID",
            "spiffe://example.org/node",
            "-spiffeID",
            &format!("spiffe://example.org/workload-{i}"),
            "-selector",
            "unix:uid:1000",
        ]);
    }
}

fn entry_count(server: &Server) -> String {
    server.ok(&["entry", "count"])
}

#[test]
fn x509_mint_write_never_writes_through_planted_tmp_files() {
    let server = Server::start();
    let dir = server.dir.path().join("shared");
    std::fs::create_dir(&dir).expect("shared dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    // The names the old writer used (`Path::with_extension("tmp")`), and `<file>.tmp`.
    let planted = ["key.tmp", "svid.tmp", "bundle.tmp", "key.pem.tmp"];
    for name in planted {
        let path = dir.join(name);
        std::fs::write(&path, b"").expect("plant");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))
            .expect("world-writable");
    }
    let dir_arg = dir.display().to_string();

    let out = server.ok(&[
        "x509",
        "mint",
        "-spiffeID",
        "spiffe://example.org/minted",
        "-write",
        &dir_arg,
    ]);
    assert!(out.contains("Private key written to"), "{out}");

    for name in planted {
        let path = dir.join(name);
        assert_eq!(
            std::fs::read(&path).expect("planted file still there"),
            b"",
            "{name} must stay empty"
        );
        assert_eq!(mode_of(&path), 0o666, "{name} keeps its mode");
    }
    let key = std::fs::read_to_string(dir.join("key.pem")).expect("key written");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    assert_eq!(mode_of(&dir.join("key.pem")), 0o600);
    assert_eq!(mode_of(&dir.join("svid.pem")), 0o644);
}

#[test]
fn junk_in_the_wal_stops_the_server_naming_the_file() {
    let mut server = Server::start();
    create_entries(&server, 10);
    server.kill();
    let wal = wal_of(&server);
    let mut bytes = std::fs::read(&wal).expect("a killed server leaves its log");
    assert!(
        bytes.len() > 4096,
        "the log holds the entries: {}",
        bytes.len()
    );
    bytes[..4096].fill(0x5A);
    std::fs::write(&wal, &bytes).expect("junk over the log");

    let status = server
        .start_again()
        .unwrap_or_else(|| panic!("the server started on a damaged log:\n{}", server.log()));
    assert!(!status.success(), "exit status {status}");
    let log = server.log();
    assert!(
        log.contains(&format!(
            "SQLite write-ahead log {} is damaged",
            wal.display()
        )),
        "{log}"
    );
    assert!(
        log.contains("refusing to start so no data is lost"),
        "{log}"
    );
    assert_eq!(std::fs::read(&wal).expect("log kept"), bytes);
}

#[test]
fn clean_stop_checkpoints_the_wal_and_keeps_the_entries() {
    let mut server = Server::start();
    create_entries(&server, 10);
    let before = entry_count(&server);
    let status = server.terminate();
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    let left = std::fs::metadata(wal_of(&server)).map_or(0, |m| m.len());
    assert_eq!(
        left, 0,
        "a cleanly stopped server leaves an empty or no log"
    );
    // sqlx also removes the log when its last connection closes; the explicit checkpoint
    // makes that a guarantee (a reader or a busy connection cannot leave frames behind).
    assert!(
        server
            .log()
            .contains("SQLite write-ahead log checkpointed and truncated"),
        "{}",
        server.log()
    );

    assert_eq!(server.start_again(), None, "{}", server.log());
    assert_eq!(entry_count(&server), before);
}
