//! PostgreSQL restarted (`pg_ctl restart`) while clients create entries: every create either
//! succeeds or fails as Unavailable, the server recovers, and every acknowledged entry is
//! in the database afterwards.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spire_datastore::{DataStore, SqlConfig, SqlDataStore};
use spire_ha_tests::{Server, TestDatabase, create_args, entry_id_of, postgres_url};

const CLIENTS: usize = 4;

#[derive(Debug, Default)]
struct Outcomes {
    acknowledged: Vec<String>,
    unavailable: usize,
    acknowledged_after_restart: usize,
    other_failures: Vec<String>,
}

#[test]
#[ignore = "needs root and PostgreSQL (SPIRE_RS_TEST_POSTGRES; .ci/run starts it): scripts/test runs it in CI, as root"]
fn postgres_restart_under_load_loses_no_acknowledged_entry() {
    let _serial = crate::serial();
    let base = postgres_url("postgres_restart");
    let pg_ctl = pg_ctl();
    let db = TestDatabase::create(&base, "restart");
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Arc::new(Server::start(dir.path(), "server", &db.url));

    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (server, outcomes) = (Arc::clone(&server), Arc::clone(&outcomes));
            let (stop, restarted) = (Arc::clone(&stop), Arc::clone(&restarted));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let after = restarted.load(Ordering::SeqCst);
                    let id = format!("spiffe://example.org/load/c{client}-{n}");
                    let args = create_args(crate::NODE_ID, &id, 1000);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let out = server.cli(&args);
                    let text = format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let mut o = outcomes.lock().unwrap();
                    match entry_id_of(&text) {
                        Some(entry_id) if out.status.success() => {
                            o.acknowledged.push(entry_id);
                            o.acknowledged_after_restart += usize::from(after);
                        }
                        _ if text.contains("Unavailable") => o.unavailable += 1,
                        _ => o.other_failures.push(text),
                    }
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(3));
    let out = pg_ctl
        .restart()
        .expect("run pg_ctl restart as the postgres user");
    assert!(
        out.status.success(),
        "pg_ctl restart failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    restarted.store(true, Ordering::SeqCst);
    // Keep going until the server has recovered and acknowledged more writes.
    let deadline = Instant::now() + Duration::from_secs(60);
    while outcomes.lock().unwrap().acknowledged_after_restart < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }

    let outcomes = outcomes.lock().unwrap();
    eprintln!(
        "acknowledged {} (after restart {}), unavailable {}",
        outcomes.acknowledged.len(),
        outcomes.acknowledged_after_restart,
        outcomes.unavailable
    );
    assert!(
        outcomes.other_failures.is_empty(),
        "every failure is Unavailable; others:\n{}\nserver log tail:\n{}",
        outcomes.other_failures.join("\n---\n"),
        spire_ha_tests::tail(&server.log(), 40)
    );
    assert!(
        outcomes.acknowledged_after_restart >= 20,
        "the server recovered after the restart"
    );
    let missing = spire_ha_tests::block_on(missing_entries(&db.url, &outcomes.acknowledged));
    assert!(missing.is_empty(), "acknowledged entries lost: {missing:?}");
}

async fn missing_entries(url: &str, ids: &[String]) -> Vec<String> {
    let store = SqlDataStore::open(&SqlConfig {
        database_type: "postgres".into(),
        connection_string: url.to_owned(),
        ..SqlConfig::default()
    })
    .await
    .expect("open the test database");
    let mut missing = Vec::new();
    for id in ids {
        if store
            .fetch_registration_entry(id)
            .await
            .expect("fetch an entry")
            .is_none()
        {
            missing.push(id.clone());
        }
    }
    missing
}

/// The PostgreSQL `scripts/ci-databases` started, controlled with its own `pg_ctl`.
struct PgCtl {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
}

impl PgCtl {
    fn restart(&self) -> std::io::Result<std::process::Output> {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&self.bin)
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-m", "fast", "-w", "-t", "60", "restart"])
            .output()
    }
}

/// `pg_ctl` and the data dir of the scripts/ci-databases server; panics saying why when this
/// process may not use them (root and the Debian layout are needed).
fn pg_ctl() -> PgCtl {
    let base = PathBuf::from(
        std::env::var("SPIRE_RS_DB_DIR").unwrap_or_else(|_| "/var/tmp/spire-rs-databases".into()),
    );
    let data = base.join("postgres/data");
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pg_ctl"))
        .filter(|p| p.exists())
        .max();
    let is_root = spire_ha_tests::my_uid() == 0;
    match bin {
        Some(bin) if is_root && data.join("PG_VERSION").exists() => PgCtl {
            bin,
            log: base.join("postgres/server.log"),
            data,
        },
        _ => panic!(
            "postgres_restart needs root and the scripts/ci-databases PostgreSQL ({} with a pg_ctl under /usr/lib/postgresql)",
            data.display()
        ),
    }
}
