//! Matrix item 1: a stock spire-agent attests to our server with a join token from our CLI,
//! syncs, and serves workloads an SVID issued by our CA.

use std::process::Command;
use std::time::Duration;

use crate::support::{Agent, Server, current_uid, eventually, ok, ours, require_peers, run};

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn stock_agent_attests_to_our_server_and_serves_an_svid_from_our_ca() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&ours("spire-server"), &tmp.path().join("server"));
    let bundle = server.write_bundle();
    let token = server.join_token("spiffe://example.org/node");
    let uid = current_uid().to_string();
    server.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/node",
        "-spiffeID",
        "spiffe://example.org/workload",
        "-selector",
        &format!("unix:uid:{uid}"),
    ]);

    let mut agent = Agent::start(
        &peers.stock_agent,
        &tmp.path().join("agent"),
        server.port,
        &bundle,
        &token,
    );

    // The stock agent's own client writes what it was served.
    let out_dir = tmp.path().join("fetched");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let socket = agent.socket.display().to_string();
    let out_arg = out_dir.display().to_string();
    let fetched = eventually(
        "stock agent serves an X509-SVID",
        Duration::from_secs(60),
        || {
            let out = run(
                &peers.stock_agent,
                &[
                    "api",
                    "fetch",
                    "x509",
                    "-socketPath",
                    &socket,
                    "-write",
                    &out_arg,
                ],
            );
            if out.status.success() {
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            } else {
                Err(format!(
                    "{}\nagent log:\n{}\nserver log:\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    agent.log(),
                    server.log()
                ))
            }
        },
    );
    assert!(agent.alive(), "stock agent exited; log:\n{}", agent.log());
    assert!(
        fetched.contains("SPIFFE ID:\t\tspiffe://example.org/workload"),
        "{fetched}"
    );

    // The SVID chains to the bundle OUR CLI printed, so our CA issued it.
    let verify = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&bundle)
        .arg(out_dir.join("svid.0.pem"))
        .output()
        .expect("run openssl");
    assert!(
        verify.status.success(),
        "openssl verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let san = ok(
        std::path::Path::new("openssl"),
        &[
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            &out_dir.join("svid.0.pem").display().to_string(),
        ],
    );
    assert!(san.contains("URI:spiffe://example.org/workload"), "{san}");
    let served_bundle = std::fs::read_to_string(out_dir.join("bundle.0.pem")).expect("bundle.0");
    let our_bundle = std::fs::read_to_string(&bundle).expect("bundle.pem");
    assert_eq!(
        pem_bodies(&served_bundle),
        pem_bodies(&our_bundle),
        "the agent serves our server's bundle"
    );

    // go-spiffe's X509Source and JWTSource accept what the stock agent relays from us.
    let x509: serde_json::Value = go_client(&peers.go_client, &["x509", "-socket", &socket]);
    assert_eq!(x509["spiffe_id"], "spiffe://example.org/workload");
    let jwt: serde_json::Value = go_client(
        &peers.go_client,
        &["jwt", "-socket", &socket, "-audience", "interop"],
    );
    assert_eq!(jwt["spiffe_id"], "spiffe://example.org/workload");
    assert_eq!(jwt["audience"], serde_json::json!(["interop"]));

    // The stock CLI sees the agent our server attested.
    let agents = server.ok_with(&peers.stock_server, &["agent", "list"]);
    assert!(
        agents.contains(&format!(
            "SPIFFE ID         : spiffe://example.org/spire/agent/join_token/{token}"
        )),
        "{agents}"
    );
    assert!(
        agents.contains("Attestation type  : join_token"),
        "{agents}"
    );
}

/// The PEM blocks of `text`, without line breaks, for comparing bundles.
fn pem_bodies(text: &str) -> Vec<String> {
    text.split("-----END CERTIFICATE-----")
        .filter_map(|block| block.split_once("-----BEGIN CERTIFICATE-----"))
        .map(|(_, body)| body.split_whitespace().collect())
        .collect()
}

pub fn go_client(bin: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = ok(bin, args);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("go client output {out:?}: {e}"))
}
