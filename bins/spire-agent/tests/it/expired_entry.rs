//! An entry past its `expires_at` stops being served before the server's 5-minute pruner
//! deletes it: the server no longer syncs or signs it, so the agent drops it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::{Env, NODE_ID, my_uid};

const SHORT_LIVED: &str = "spiffe://example.org/short-lived";
const LASTING: &str = "spiffe://example.org/lasting";

#[test]
fn an_expired_entry_is_dropped_by_the_agent_before_it_is_pruned() {
    let uid = my_uid();
    let mut env = Env::joined(LASTING, uid, &[]);
    let expiry = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 10;
    let expiry = expiry.to_string();
    let entry_id = env.create_entry(NODE_ID, SHORT_LIVED, uid, &["-entryExpiry", &expiry]);
    env.wait_for_fetched_id(SHORT_LIVED, Duration::from_secs(40));

    // Expired, then a sync or two: the Workload API serves only the lasting entry.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = env.agent_cli(&["api", "fetch", "x509"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success()
            && text.contains(&format!("SPIFFE ID:\t\t{LASTING}\n"))
            && !text.contains(SHORT_LIVED)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expired entry is still served:\n{text}\nagent log:\n{}",
            env.agent_log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Not because it was pruned: the row is still there.
    let shown = env.server_ok(&["entry", "show", "-entryID", &entry_id]);
    assert!(shown.contains(SHORT_LIVED), "{shown}");
    assert!(env.agent_alive());
}
