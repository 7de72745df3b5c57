//! Server + agent with a join token; a workload entry for this test's uid.

use std::process::Command;
use std::time::Duration;

use crate::support::{Env, my_uid};

const AGENT_ID: &str = "spiffe://example.org/test-node";
const WORKLOAD_ID: &str = "spiffe://example.org/workload";

/// A server with a join token aliasing AGENT_ID and an entry for this uid under it, and an
/// agent attested with that token.
fn attested() -> Env {
    let mut env = Env::start_server();
    let out = env.server_ok(&["token", "generate", "-spiffeID", AGENT_ID]);
    let token = out
        .split_whitespace()
        .nth(1)
        .expect("token generate prints `Token: <token>`")
        .to_owned();
    let selector = format!("unix:uid:{}", my_uid());
    env.server_ok(&[
        "entry",
        "create",
        "-parentID",
        AGENT_ID,
        "-spiffeID",
        WORKLOAD_ID,
        "-selector",
        &selector,
    ]);
    env.start_agent(Some(&token));
    env
}

fn fetch_and_verify(env: &Env) -> String {
    let out_dir = env.dir.path().join(format!("svids-{}", rand_suffix()));
    std::fs::create_dir_all(&out_dir).expect("svid dir");
    let text = env.agent_ok_eventually(&[
        "api",
        "fetch",
        "x509",
        "-write",
        &out_dir.display().to_string(),
    ]);
    assert!(
        text.contains(&format!("SPIFFE ID:\t\t{WORKLOAD_ID}")) || text.contains(WORKLOAD_ID),
        "{text}"
    );
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(out_dir.join("bundle.0.pem"))
        .arg(out_dir.join("svid.0.pem"))
        .output()
        .expect("run openssl verify");
    assert!(
        verify.status.success(),
        "openssl verify failed: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    text
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[test]
fn workload_gets_an_x509_svid_that_openssl_verifies_against_the_bundle() {
    let env = attested();
    assert!(env.agent_log().contains("Node attestation was successful"));
    fetch_and_verify(&env);
}

#[test]
fn jwt_svid_validates_for_its_audience_and_not_for_another() {
    let env = attested();
    let out = env.agent_ok_eventually(&["api", "fetch", "jwt", "-audience", "X"]);
    let token = out
        .lines()
        .skip_while(|l| !l.starts_with("token("))
        .nth(1)
        .map(str::trim)
        .expect("a token line after token(<id>):")
        .to_owned();
    let ok = env.agent_cli(&["api", "validate", "jwt", "-audience", "X", "-svid", &token]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("SVID is valid."));
    let wrong = env.agent_cli(&["api", "validate", "jwt", "-audience", "Y", "-svid", &token]);
    assert!(!wrong.status.success(), "audience Y must not validate");
}

#[test]
fn restarted_agent_reuses_its_stored_svid_without_attesting() {
    let mut env = attested();
    fetch_and_verify(&env);
    env.stop_agent();
    // The join token is spent: a second attestation would fail.
    env.start_agent(None);
    let log = env.agent_log();
    assert!(log.contains("SVID loaded"), "{log}");
    assert!(!log.contains("Starting node attestation"), "{log}");
    fetch_and_verify(&env);
}

#[test]
fn agent_keeps_serving_cached_svids_while_the_server_is_down() {
    let mut env = attested();
    fetch_and_verify(&env);
    env.stop_server();
    std::thread::sleep(Duration::from_secs(6));
    fetch_and_verify(&env);
}

#[test]
fn banned_agent_removes_its_svid_and_stops() {
    let mut env = attested();
    fetch_and_verify(&env);
    let agent_id = env
        .agent_log()
        .lines()
        .find(|l| l.contains("Node attestation was successful"))
        .and_then(|l| l.split("spiffe_id=").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .expect("attested agent ID in the log")
        .to_owned();
    env.server_ok(&["agent", "ban", "-spiffeID", &agent_id]);
    let status = env
        .wait_agent_exit(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("banned agent kept running:\n{}", env.agent_log()));
    assert!(!status.success());
    let data = std::fs::read_to_string(env.dir.path().join("agent").join("agent-data.json"))
        .expect("agent data");
    assert!(data.contains("\"svid\":null"), "{data}");
}
