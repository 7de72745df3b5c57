//! Matrix items 2, 4 and 7 (go-spiffe parts): our spire-agent attests to a stock spire-server
//! with a token from the stock CLI and serves go-spiffe workloads X509- and JWT-SVIDs, which
//! they use for mTLS between each other.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::stock_agent::go_client;
use crate::support::{Agent, Peers, Server, eventually, ours, peers_or_skip, run};

#[test]
fn our_agent_attests_to_a_stock_server_and_serves_go_spiffe() {
    let peers = peers_or_skip!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (server, agent) = stock_server_with_our_agent(&peers, tmp.path());
    let client = copy_client(&peers, tmp.path(), "workload");
    register(&server, &client, "/workload");
    let socket = agent.socket.display().to_string();

    let x509 = eventually("go-spiffe X509-SVID", Duration::from_secs(60), || {
        let out = run(&client, &["x509", "-socket", &socket, "-timeout", "5s"]);
        parse(&out).map_err(|e| format!("{e}\nagent log:\n{}", agent.log()))
    });
    assert_eq!(x509["spiffe_id"], "spiffe://example.org/workload");
    assert_eq!(x509["chain_len"], 1);

    // Item 7, first half: a JWT-SVID from our agent validates in go-spiffe against our bundle.
    let jwt = go_client(
        &client,
        &["jwt", "-socket", &socket, "-audience", "interop"],
    );
    assert_eq!(jwt["spiffe_id"], "spiffe://example.org/workload");
    assert_eq!(jwt["audience"], serde_json::json!(["interop"]));
}

#[test]
fn go_spiffe_workloads_authorize_each_other_over_mtls_with_svids_from_our_agent() {
    let peers = peers_or_skip!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (server, agent) = stock_server_with_our_agent(&peers, tmp.path());
    let [a, b, c] = ["a", "b", "c"].map(|name| {
        let client = copy_client(&peers, tmp.path(), name);
        register(&server, &client, &format!("/{name}"));
        client
    });
    let socket = agent.socket.display().to_string();
    for client in [&a, &b, &c] {
        eventually("workload has an SVID", Duration::from_secs(60), || {
            parse(&run(
                client,
                &["x509", "-socket", &socket, "-timeout", "5s"],
            ))
        });
    }

    // a serves and allows only b: b gets in and sees a.
    let addr = format!("127.0.0.1:{}", crate::support::process::free_port());
    let server_a = serve(&a, &socket, &addr, "spiffe://example.org/b");
    let dialed = go_client(
        &b,
        &[
            "dial",
            "-socket",
            &socket,
            "-addr",
            &addr,
            "-allow",
            "spiffe://example.org/a",
        ],
    );
    assert_eq!(dialed["peer_id"], "spiffe://example.org/a");
    assert_eq!(dialed["reply"], "hello spiffe://example.org/b");
    let served = server_a.wait_with_output().expect("serve a");
    let served = parse(&served).expect("serve a result");
    assert_eq!(served["peer_id"], "spiffe://example.org/b");

    // c is refused by a.
    let server_a = serve(&a, &socket, &addr, "spiffe://example.org/b");
    let refused = run(
        &c,
        &[
            "dial",
            "-socket",
            &socket,
            "-addr",
            &addr,
            "-allow",
            "spiffe://example.org/a",
            "-timeout",
            "10s",
        ],
    );
    assert!(!refused.status.success(), "c must be refused");
    let served = server_a.wait_with_output().expect("serve a");
    assert!(!served.status.success(), "a must reject c");
    let why = String::from_utf8_lossy(&served.stderr);
    assert!(
        why.contains("unexpected ID \"spiffe://example.org/c\""),
        "{why}"
    );
}

/// A stock server and our agent attested to it with a token from the stock CLI.
fn stock_server_with_our_agent(peers: &Peers, tmp: &Path) -> (Server, Agent) {
    let server = Server::start(&peers.stock_server, &tmp.join("server"));
    let bundle = server.write_bundle();
    let token = server.join_token("spiffe://example.org/node");
    let agent = Agent::start(
        &ours("spire-agent"),
        &tmp.join("agent"),
        server.port,
        &bundle,
        &token,
    );
    (server, agent)
}

/// A copy of the go-spiffe client at its own path, so `unix:path` tells workloads apart.
fn copy_client(peers: &Peers, tmp: &Path, name: &str) -> PathBuf {
    let path = tmp.join(format!("client-{name}"));
    std::fs::copy(&peers.go_client, &path).expect("copy go client");
    path
}

fn register(server: &Server, client: &Path, path: &str) {
    let spiffe_id = format!("spiffe://example.org{path}");
    let selector = format!("unix:path:{}", client.display());
    server.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/node",
        "-spiffeID",
        &spiffe_id,
        "-selector",
        &selector,
    ]);
}

/// Starts `client serve` and returns once it listens.
fn serve(client: &Path, socket: &str, addr: &str, allow: &str) -> std::process::Child {
    let mut child = Command::new(client)
        .args([
            "serve", "-socket", socket, "-addr", addr, "-allow", allow, "-timeout", "20s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn go client serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut first).expect("read serve banner");
    assert_eq!(first.trim(), r#"{"listening":true}"#);
    child.stdout = Some(reader.into_inner());
    child
}

fn parse(out: &std::process::Output) -> Result<serde_json::Value, String> {
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).map_err(|e| format!("{e}: {text}"))
}
