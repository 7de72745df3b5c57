//! What a refused agent does, as SPIRE's agent: banned stops; evicted (or expired) attests
//! again when its node attestor allows it (x509pop) and stops when it does not (join token).

use std::time::Duration;

use crate::support::Env;
use crate::x509pop::{sha1_hex, start_x509pop_agent, write_test_pki};

const AGENT_LOG_WAIT: Duration = Duration::from_secs(60);

fn attested_agent_id(env: &Env) -> String {
    env.agent_log()
        .lines()
        .find(|l| l.contains("Node attestation was successful"))
        .and_then(|l| l.split("spiffe_id=").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .expect("attested agent ID in the log")
        .to_owned()
}

fn assert_stops_with(env: &mut Env, line: &str) {
    let status = env
        .wait_agent_exit(AGENT_LOG_WAIT)
        .unwrap_or_else(|| panic!("refused agent kept running:\n{}", env.agent_log()));
    assert!(!status.success());
    assert_ne!(status.code(), Some(101), "panicked:\n{}", env.agent_log());
    let log = env.agent_log();
    assert!(log.contains(line), "no {line:?} in:\n{log}");
    let data = std::fs::read_to_string(env.dir.path().join("agent").join("agent-data.json"))
        .expect("agent data");
    assert!(data.contains("\"svid\":null"), "SVID kept: {data}");
}

#[test]
fn banned_join_token_agent_stops_saying_it_is_banned() {
    let mut env = Env::start_server();
    let token = env.join_token("spiffe://example.org/node");
    env.start_agent(Some(&token));
    env.wait_for_agent_log("Node attestation was successful");
    let id = attested_agent_id(&env);
    env.server_ok(&["agent", "ban", "-spiffeID", &id]);
    assert_stops_with(&mut env, "Agent is banned: removing SVID and shutting down");
    assert!(!env.agent_log().contains("will attempt to re-attest"));
}

#[test]
fn evicted_join_token_agent_cannot_reattest_and_stops() {
    let mut env = Env::start_server();
    let token = env.join_token("spiffe://example.org/node");
    env.start_agent(Some(&token));
    env.wait_for_agent_log("Node attestation was successful");
    let id = attested_agent_id(&env);
    env.server_ok(&["agent", "evict", "-spiffeID", &id]);
    assert_stops_with(
        &mut env,
        "Agent failed re-attestation; removing SVID and shutting down",
    );
    let log = env.agent_log();
    assert!(log.contains("Agent needs to re-attest"), "{log}");
    assert!(log.contains("cannot attest again"), "{log}");
}

#[test]
fn evicted_x509pop_agent_reattests_and_keeps_running() {
    let pki = tempfile::tempdir().expect("pki dir");
    let paths = write_test_pki(pki.path());
    let mut env = start_x509pop_agent(&paths);
    env.wait_for_agent_log("Node attestation was successful");
    let id = format!(
        "spiffe://example.org/spire/agent/x509pop/{}",
        sha1_hex(&paths.cert_der)
    );
    env.server_ok(&["agent", "evict", "-spiffeID", &id]);
    env.wait_for_agent_log("Agent re-attested after the server refused its SVID");
    assert!(env.agent_alive(), "agent stopped:\n{}", env.agent_log());
    let listed = env.server_ok(&["agent", "list"]);
    assert!(
        listed.contains(&format!("SPIFFE ID         : {id}\n")),
        "re-attested agent is not listed:\n{listed}"
    );
    let log = env.agent_log();
    assert!(log.contains("Agent needs to re-attest"), "{log}");
    assert!(!log.contains("shutting down"), "{log}");
}
