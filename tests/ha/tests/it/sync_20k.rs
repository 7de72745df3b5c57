//! An agent authorized for 20k entries syncs them all through the paged protocol.

use std::sync::Arc;
use std::time::Duration;

use spire_datastore::{DataStore, RegistrationEntry, SqlConfig, SqlDataStore};
use spire_ha_tests::{Agent, Server, TestDatabase, my_uid, postgres_url};
use spire_spiffe::Selector;
use tokio::task::JoinSet;

use crate::NODE_ID;

const ENTRIES: usize = 20_000;

#[test]
#[ignore = "needs PostgreSQL (SPIRE_RS_TEST_POSTGRES; .ci/run starts it): scripts/test runs it in CI"]
fn an_agent_with_20k_entries_syncs_without_hitting_the_message_limit() {
    let _serial = crate::serial();
    let base = postgres_url("sync_20k");
    let db = TestDatabase::create(&base, "sync20k");
    let dir = tempfile::tempdir().expect("temp dir");
    let uid = my_uid();
    // ~400 bytes each once encoded: 20k of them are ~8 MB, twice gRPC's 4 MB limit.
    insert_entries(&db.url, ENTRIES - 1);

    let server = Server::start(dir.path(), "server", &db.url);
    let token = server.join_token(NODE_ID);
    server.create_entry(NODE_ID, "spiffe://example.org/bulk/mine", uid);
    let bundle = server.ok(&["bundle", "show"]);
    let agent = Agent::start(dir.path(), server.port, &bundle, &token);
    agent.wait_until_serving("spiffe://example.org/bulk/mine", Duration::from_secs(300));

    let log = agent.log();
    // The node entry created by `token generate` is authorized too.
    let want = ENTRIES + 1;
    assert!(
        log.contains(&format!("entries={want}")) || log.contains(&format!("\"entries\":{want}")),
        "the agent synced {want} entries; log tail:\n{}",
        spire_ha_tests::tail(&log, 40)
    );
    assert!(
        !log.contains("entry sync with the server failed"),
        "no sync failed:\n{}",
        spire_ha_tests::tail(&log, 40)
    );
}

/// Writes `n` entries under [`NODE_ID`] straight into the database (the API would take
/// minutes), 16 at a time.
fn insert_entries(url: &str, n: usize) {
    let url = url.to_owned();
    spire_ha_tests::block_on(async move {
        let store: Arc<dyn DataStore> = Arc::new(
            SqlDataStore::open(&SqlConfig {
                database_type: "postgres".into(),
                connection_string: url,
                ..SqlConfig::default()
            })
            .await
            .expect("open the test database"),
        );
        let mut tasks = JoinSet::new();
        for worker in 0..16 {
            let store = Arc::clone(&store);
            tasks.spawn(async move {
                for i in (worker..n).step_by(16) {
                    store
                        .create_registration_entry(&bulk_entry(i))
                        .await
                        .expect("create a bulk entry");
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("insert task");
        }
    });
}

fn bulk_entry(i: usize) -> RegistrationEntry {
    let selector = |t: &str, v: String| Selector::new(t, &v).expect("valid selector");
    RegistrationEntry {
        parent_id: NODE_ID.into(),
        spiffe_id: format!("spiffe://example.org/bulk/workload-{i:05}"),
        // uid 4,000,000+i: selects no process on this machine.
        selectors: vec![
            selector("unix", format!("uid:{}", 4_000_000 + i)),
            selector("unix", format!("path:/opt/bulk/service-{i:05}/bin/server")),
        ],
        dns_names: (0..4)
            .map(|d| format!("replica-{d}.service-{i:05}.bulk.example.org"))
            .collect(),
        ..RegistrationEntry::default()
    }
}
