//! Two servers on one database, an agent behind a load balancer; the agent's server is
//! killed with SIGKILL.

use std::time::Duration;

use spire_ha_tests::{Agent, Server, TcpLoadBalancer, TestDatabase, my_uid, postgres_url};

use crate::NODE_ID;

#[test]
#[ignore = "needs PostgreSQL (SPIRE_RS_TEST_POSTGRES; .ci/run starts it): scripts/test runs it in CI"]
fn agent_keeps_svids_and_gets_new_entries_from_the_survivor_after_kill_9() {
    let _serial = crate::serial();
    let base = postgres_url("failover");
    let db = TestDatabase::create(&base, "failover");
    let dir = tempfile::tempdir().expect("temp dir");
    let uid = my_uid();

    let mut first = Server::start(dir.path(), "server-a", &db.url);
    let second = Server::start(dir.path(), "server-b", &db.url);
    let bundle = second.ok(&["bundle", "show"]);
    assert_eq!(
        bundle.matches("BEGIN CERTIFICATE").count(),
        2,
        "the shared bundle holds both servers' CAs:\n{bundle}"
    );

    let lb = TcpLoadBalancer::start(first.address());
    let token = first.join_token(NODE_ID);
    first.create_entry(NODE_ID, "spiffe://example.org/ha/before", uid);
    let agent = Agent::start(dir.path(), lb.port(), &bundle, &token);
    agent.wait_until_serving("spiffe://example.org/ha/before", Duration::from_secs(60));

    // An entry created through the first server is served by the second.
    let shown = second.ok(&[
        "entry",
        "show",
        "-spiffeID",
        "spiffe://example.org/ha/before",
    ]);
    assert!(shown.contains("Found 1 entry"), "{shown}");

    first.kill();
    lb.switch_to(second.address());

    assert!(
        agent.serves("spiffe://example.org/ha/before"),
        "the workload keeps its SVID right after the agent's server died"
    );
    second.create_entry(NODE_ID, "spiffe://example.org/ha/after", uid);
    agent.wait_until_serving("spiffe://example.org/ha/after", Duration::from_secs(90));
    assert!(agent.serves("spiffe://example.org/ha/before"));
}
