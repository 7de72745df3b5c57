//! The agent rides out a server outage on its cache and resumes syncing when the server comes
//! back on the same data dir and port.

use std::time::Duration;

use crate::support::{Env, NODE_ID, my_uid};

const BEFORE_ID: &str = "spiffe://example.org/before-restart";
const AFTER_ID: &str = "spiffe://example.org/after-restart";

#[test]
fn agent_serves_cached_svids_after_a_failed_sync_while_the_server_is_down() {
    let mut env = Env::joined(BEFORE_ID, my_uid(), &[]);
    env.wait_for_fetched_id(BEFORE_ID, Duration::from_secs(40));

    env.stop_server();
    // A failed sync proves the agent noticed the outage before we fetch from its cache.
    env.wait_for_agent_log("entry sync with the server failed");
    env.wait_for_fetched_id(BEFORE_ID, Duration::from_secs(5));
    assert!(
        env.agent_alive(),
        "the agent exited while the server was down"
    );
}

/// Regression: the server used to mint a fresh CA on restart (no CA journal), so its TLS
/// certificate chained to a root the agent's bundle lacked and every sync failed with
/// "invalid peer certificate: UnknownIssuer".
#[test]
fn agent_syncs_entries_created_after_the_server_restarts_on_the_same_data_dir() {
    let mut env = Env::joined(BEFORE_ID, my_uid(), &[]);
    env.wait_for_fetched_id(BEFORE_ID, Duration::from_secs(40));

    env.stop_server();
    env.wait_for_agent_log("entry sync with the server failed");
    env.restart_server();
    env.create_entry(NODE_ID, AFTER_ID, my_uid(), &[]);
    let text = env.wait_for_fetched_id(AFTER_ID, Duration::from_secs(40));
    assert!(
        text.contains(&format!("SPIFFE ID:\t\t{BEFORE_ID}\n")),
        "the entry from before the restart is still served:\n{text}"
    );
}
