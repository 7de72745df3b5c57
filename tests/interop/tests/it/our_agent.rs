//! Matrix items 2, 4 and 7 (first half): our spire-agent attests to a stock spire-server with a
//! token from the stock CLI and serves go-spiffe, py-spiffe and rust `spiffe` workloads X509-
//! and JWT-SVIDs; go-spiffe workloads use them for mTLS between each other, told apart by
//! `unix:path` and by `unix:uid`.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::stock_agent::go_client;
use crate::support::{
    Agent, Peers, Server, current_uid, eventually, ok, ours, py_spiffe, require_peers, run,
};

/// A py-spiffe workload: `x509 CHAIN KEY` saves its X509-SVID; `jwt` fetches a JWT-SVID for
/// audience `interop`; `jwt-validate TOKEN` asks the agent's ValidateJWTSVID. Both JWT forms
/// then validate the token locally against the JWT bundle from the Workload API.
pub const PY_CLIENT: &str = r#"
import json, sys
from cryptography.hazmat.primitives.serialization import Encoding
from spiffe import JwtSvid, WorkloadApiClient
client = WorkloadApiClient(default_timeout=20)
out = {}
if sys.argv[1] == "x509":
    svid = client.fetch_x509_svid()
    svid.save(sys.argv[2], sys.argv[3], Encoding.PEM)
    out["spiffe_id"] = str(svid.spiffe_id)
else:
    if sys.argv[1] == "jwt":
        token = client.fetch_jwt_svid(audience={"interop"}).token
    else:
        token = sys.argv[2]
        out["agent_validated"] = str(client.validate_jwt_svid(token, "interop").spiffe_id)
    td = JwtSvid.parse_insecure(token, {"interop"}).spiffe_id.trust_domain
    bundle = client.fetch_jwt_bundles().get_bundle_for_trust_domain(td)
    svid = JwtSvid.parse_and_validate(token, bundle, {"interop"})
    out["spiffe_id"] = str(svid.spiffe_id)
    out["audience"] = sorted(svid.audience)
print(json.dumps(out))
client.close()
"#;

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn our_agent_attests_to_a_stock_server_and_serves_go_spiffe() {
    let peers = require_peers!();
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
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn go_spiffe_workloads_authorize_each_other_over_mtls_with_svids_from_our_agent() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (server, agent) = stock_server_with_our_agent(&peers, tmp.path());
    let [a, b, c] = ["a", "b", "c"].map(|name| {
        let client = copy_client(&peers, tmp.path(), name);
        register(&server, &client, &format!("/{name}"));
        Workload {
            bin: client,
            uid: None,
        }
    });
    authorize_each_other_over_mtls(&agent, [&a, &b, &c]);
}

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn our_agent_attested_to_a_stock_server_serves_py_spiffe_and_rust_spiffe_workloads() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (server, agent) = stock_server_with_our_agent(&peers, tmp.path());
    let bundle = server.dir.join("bundle.pem");
    register_uid(&server, "/workload", current_uid());

    // The rust `spiffe` crate (tonic): its SVID chains to the stock server's bundle.
    let (id, leaf) = eventually("rust spiffe X509-SVID", Duration::from_secs(60), || {
        rust_spiffe_x509(&agent.socket).map_err(|e| format!("{e}\nagent log:\n{}", agent.log()))
    });
    assert_eq!(id, "spiffe://example.org/workload");
    let der = tmp.path().join("rust-svid.der");
    std::fs::write(&der, &leaf).expect("write leaf");
    let pem = tmp.path().join("rust-svid.pem");
    ok(
        Path::new("openssl"),
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            &der.display().to_string(),
            "-out",
            &pem.display().to_string(),
        ],
    );
    openssl_verifies(&bundle, &pem);

    // py-spiffe (gRPC C-core): X509-SVID chain and a JWT-SVID validated against our JWT bundle.
    let python = py_spiffe(module_path!());
    let chain = tmp.path().join("py-svid.pem");
    let key = tmp.path().join("py-svid.key");
    let x509 = py_client(
        &python,
        &agent.socket,
        &[
            "x509",
            &chain.display().to_string(),
            &key.display().to_string(),
        ],
    );
    assert_eq!(x509["spiffe_id"], "spiffe://example.org/workload");
    openssl_verifies(&bundle, &chain);
    // Item 7: a JWT-SVID from our agent validates in py-spiffe against our JWT bundle.
    let jwt = py_client(&python, &agent.socket, &["jwt"]);
    assert_eq!(jwt["spiffe_id"], "spiffe://example.org/workload");
    assert_eq!(jwt["audience"], serde_json::json!(["interop"]));
}

#[test]
#[ignore = "needs root and stock SPIRE v1.13.3, go-spiffe (.ci/run installs them): scripts/test runs it in CI, as root"]
fn go_spiffe_workloads_running_as_different_uids_authorize_each_other_over_mtls() {
    let peers = require_peers!();
    assert_eq!(
        current_uid(),
        0,
        "{} needs root to run workloads as uids 1001-1003",
        module_path!()
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    // The workloads need to reach the client copy and the agent socket under the temp dir.
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod temp dir");
    let (server, agent) = stock_server_with_our_agent(&peers, tmp.path());
    let client = copy_client(&peers, tmp.path(), "uids");
    let [a, b, c] = [("a", 1001), ("b", 1002), ("c", 1003)].map(|(name, uid)| {
        register_uid(&server, &format!("/{name}"), uid);
        Workload {
            bin: client.clone(),
            uid: Some(uid),
        }
    });
    authorize_each_other_over_mtls(&agent, [&a, &b, &c]);
}

/// A go-spiffe client binary, run as `uid` (and gid) when set.
struct Workload {
    bin: PathBuf,
    uid: Option<u32>,
}

impl Workload {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).stdin(Stdio::null());
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.bin.display()))
    }
}

/// Workloads a, b, c (registered as /a, /b, /c): a serves allowing only b; b gets in and both
/// see each other's ID; c is refused.
fn authorize_each_other_over_mtls(agent: &Agent, [a, b, c]: [&Workload; 3]) {
    let socket = agent.socket.display().to_string();
    for client in [a, b, c] {
        eventually("workload has an SVID", Duration::from_secs(60), || {
            parse(&client.run(&["x509", "-socket", &socket, "-timeout", "5s"]))
                .map_err(|e| format!("{e}\nagent log:\n{}", agent.log()))
        });
    }

    // a serves and allows only b: b gets in and sees a.
    let addr = format!("127.0.0.1:{}", crate::support::process::free_port());
    let server_a = serve(a, &socket, &addr, "spiffe://example.org/b");
    let dialed = parse(&b.run(&[
        "dial",
        "-socket",
        &socket,
        "-addr",
        &addr,
        "-allow",
        "spiffe://example.org/a",
    ]))
    .expect("b dials a");
    assert_eq!(dialed["peer_id"], "spiffe://example.org/a");
    assert_eq!(dialed["reply"], "hello spiffe://example.org/b");
    let served = server_a.wait_with_output().expect("serve a");
    let served = parse(&served).expect("serve a result");
    assert_eq!(served["peer_id"], "spiffe://example.org/b");

    // c is refused by a.
    let server_a = serve(a, &socket, &addr, "spiffe://example.org/b");
    let refused = c.run(&[
        "dial",
        "-socket",
        &socket,
        "-addr",
        &addr,
        "-allow",
        "spiffe://example.org/a",
        "-timeout",
        "10s",
    ]);
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

/// An entry for workloads running as `uid`, under our agent's node alias.
pub fn register_uid(server: &Server, path: &str, uid: u32) {
    let spiffe_id = format!("spiffe://example.org{path}");
    let selector = format!("unix:uid:{uid}");
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

/// Runs [`PY_CLIENT`] against the Workload API at `socket` and parses its JSON line.
pub fn py_client(python: &Path, socket: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(python)
        .args(["-c", PY_CLIENT])
        .args(args)
        .env(
            "SPIFFE_ENDPOINT_SOCKET",
            format!("unix://{}", socket.display()),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run python");
    parse(&out).unwrap_or_else(|e| panic!("py-spiffe {args:?}: {e}"))
}

/// The SPIFFE ID and leaf DER of the X509-SVID the rust `spiffe` crate fetches from `socket`.
fn rust_spiffe_x509(socket: &Path) -> Result<(String, Vec<u8>), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let endpoint = format!("unix:{}", socket.display());
        let client = spiffe::WorkloadApiClient::connect_to(&endpoint)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let svid = tokio::time::timeout(Duration::from_secs(5), client.fetch_x509_svid())
            .await
            .map_err(|_| "fetch timed out".to_owned())?
            .map_err(|e| format!("fetch: {e}"))?;
        Ok((
            svid.spiffe_id().to_string(),
            svid.leaf().as_bytes().to_vec(),
        ))
    })
}

fn openssl_verifies(bundle: &Path, chain: &Path) {
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(bundle)
        .arg(chain)
        .output()
        .expect("run openssl verify");
    assert!(
        verify.status.success(),
        "openssl verify of {}: {}{}",
        chain.display(),
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// Starts `client serve` and returns once it listens.
fn serve(client: &Workload, socket: &str, addr: &str, allow: &str) -> std::process::Child {
    let mut child = client
        .command(&[
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

pub fn parse(out: &Output) -> Result<serde_json::Value, String> {
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).map_err(|e| format!("{e}: {text}"))
}
