//! The agent CLI against a fake Workload API served on a temporary socket.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use spire_proto::prost_types::{self, value::Kind as ValueKind};
use spire_proto::workload::spiffe_workload_api_server::{
    SpiffeWorkloadApi, SpiffeWorkloadApiServer,
};
use spire_proto::workload::*;
use tokio_stream::{Stream, StreamExt as _};
use tonic::{Request, Response, Status};

use super::*;
use crate::pretty::pem::pem_block;

type Responses<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Test PKI: a CA for example.org, one for a federated domain, and a leaf.
struct Pki {
    ca_der: Vec<u8>,
    federated_der: Vec<u8>,
    leaf_der: Vec<u8>,
    leaf_key: Vec<u8>,
}

fn pki() -> Pki {
    let ca = |name: &str| {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-signed");
        (params, key, cert.der().to_vec())
    };
    let (ca_params, ca_key, ca_der) = ca("example.org CA");
    let (_, _, federated_der) = ca("a.test CA");
    let leaf_key = KeyPair::generate().expect("key");
    let mut leaf = CertificateParams::new(Vec::<String>::new()).expect("params");
    leaf.subject_alt_names = vec![SanType::URI(
        "spiffe://example.org/workload".try_into().expect("uri"),
    )];
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_der = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("signed")
        .der()
        .to_vec();
    Pki {
        ca_der,
        federated_der,
        leaf_der,
        leaf_key: leaf_key.serialize_der(),
    }
}

/// A Workload API with fixed answers that, like SPIRE's, refuses calls
/// without the `workload.spiffe.io: true` header.
struct FakeWorkloadApi {
    x509: X509svidResponse,
}

const TOKEN: &str =
    "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly9leGFtcGxlLm9yZy93b3JrbG9hZCJ9.c2ln";
const JWKS: &str = "{\"keys\":[]}";

fn check_header<T>(request: &Request<T>) -> Result<(), Status> {
    match request.metadata().get("workload.spiffe.io") {
        Some(v) if v == "true" => Ok(()),
        _ => Err(Status::invalid_argument(
            "security header missing from request",
        )),
    }
}

#[tonic::async_trait]
impl SpiffeWorkloadApi for FakeWorkloadApi {
    type FetchX509SVIDStream = Responses<X509svidResponse>;
    type FetchX509BundlesStream = Responses<X509BundlesResponse>;
    type FetchJWTBundlesStream = Responses<JwtBundlesResponse>;
    type FetchWITSVIDStream = Responses<WitsvidResponse>;
    type FetchWITBundlesStream = Responses<WitBundlesResponse>;

    async fn fetch_x509svid(
        &self,
        request: Request<X509svidRequest>,
    ) -> Result<Response<Self::FetchX509SVIDStream>, Status> {
        check_header(&request)?;
        // One update, then held open as the agent does.
        let stream = tokio_stream::iter([Ok(self.x509.clone())]).chain(tokio_stream::pending());
        Ok(Response::new(Box::pin(stream)))
    }

    async fn fetch_x509_bundles(
        &self,
        _: Request<X509BundlesRequest>,
    ) -> Result<Response<Self::FetchX509BundlesStream>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn fetch_jwtsvid(
        &self,
        request: Request<JwtsvidRequest>,
    ) -> Result<Response<JwtsvidResponse>, Status> {
        check_header(&request)?;
        let request = request.into_inner();
        if request.audience != ["aud1", "aud2"] {
            return Err(Status::invalid_argument("unexpected audience"));
        }
        Ok(Response::new(JwtsvidResponse {
            svids: vec![Jwtsvid {
                spiffe_id: "spiffe://example.org/workload".to_owned(),
                svid: TOKEN.to_owned(),
                hint: String::new(),
            }],
        }))
    }

    async fn fetch_jwt_bundles(
        &self,
        request: Request<JwtBundlesRequest>,
    ) -> Result<Response<Self::FetchJWTBundlesStream>, Status> {
        check_header(&request)?;
        let bundles = [("spiffe://example.org".to_owned(), JWKS.as_bytes().to_vec())];
        let response = JwtBundlesResponse {
            bundles: bundles.into_iter().collect(),
        };
        Ok(Response::new(Box::pin(tokio_stream::iter([Ok(response)]))))
    }

    async fn validate_jwtsvid(
        &self,
        request: Request<ValidateJwtsvidRequest>,
    ) -> Result<Response<ValidateJwtsvidResponse>, Status> {
        check_header(&request)?;
        let request = request.into_inner();
        if request.svid != TOKEN || request.audience != "aud1" {
            return Err(Status::invalid_argument("token has expired"));
        }
        let sub = prost_types::Value {
            kind: Some(ValueKind::StringValue(
                "spiffe://example.org/workload".to_owned(),
            )),
        };
        Ok(Response::new(ValidateJwtsvidResponse {
            spiffe_id: "spiffe://example.org/workload".to_owned(),
            claims: Some(prost_types::Struct {
                fields: [("sub".to_owned(), sub)].into_iter().collect(),
            }),
        }))
    }

    async fn fetch_witsvid(
        &self,
        _: Request<WitsvidRequest>,
    ) -> Result<Response<Self::FetchWITSVIDStream>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn fetch_wit_bundles(
        &self,
        _: Request<WitBundlesRequest>,
    ) -> Result<Response<Self::FetchWITBundlesStream>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }
}

/// Serves the fake (and grpc.health.v1) on a socket in `dir`.
fn serve(dir: &Path, pki: &Pki) -> PathBuf {
    let socket = dir.join("api.sock");
    let listener = tokio::net::UnixListener::bind(&socket).expect("bind socket");
    let fake = FakeWorkloadApi {
        x509: X509svidResponse {
            svids: vec![X509svid {
                spiffe_id: "spiffe://example.org/workload".to_owned(),
                x509_svid: pki.leaf_der.clone(),
                x509_svid_key: pki.leaf_key.clone(),
                bundle: pki.ca_der.clone(),
                hint: String::new(),
            }],
            crl: Vec::new(),
            federated_bundles: [("spiffe://a.test".to_owned(), pki.federated_der.clone())]
                .into_iter()
                .collect(),
        },
    };
    let (_reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(SpiffeWorkloadApiServer::new(fake))
            .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener)),
    );
    socket
}

async fn run(args: &[&str]) -> (u8, Console) {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let mut console = Console::default();
    let code = run_agent_to_console(&args, &mut console).await;
    (code, console)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("file written")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn fetch_x509_write_prints_the_svid_and_writes_pem_files_with_spire_modes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki();
    let socket = serve(dir.path(), &pki);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let (code, console) = run(&[
        "api",
        "fetch",
        "x509",
        "-socketPath",
        socket.to_str().expect("utf-8"),
        "-write",
        out_dir.to_str().expect("utf-8"),
    ])
    .await;
    assert_eq!(console.err, "");
    assert_eq!(code, 0);
    assert!(
        console.out.starts_with("Received 1 svid after "),
        "{}",
        console.out
    );
    assert!(
        console
            .out
            .contains("\n\nSPIFFE ID:\t\tspiffe://example.org/workload\nSVID Valid After:\t")
    );
    assert!(console.out.contains("\nCA #1 Valid Until:\t"));
    assert!(
        console
            .out
            .contains("\n[spiffe://a.test] CA #1 Valid After:\t")
    );
    let d = out_dir.display();
    assert!(console.out.ends_with(&format!(
        "\n\nWriting SVID #0 to file {d}/svid.0.pem.\n\
         Writing key #0 to file {d}/svid.0.key.\n\
         Writing bundle #0 to file {d}/bundle.0.pem.\n\
         Writing federated bundle #0 for trust domain spiffe://a.test to file {d}/federated_bundle.0.0.pem.\n"
    )));
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).expect("written");
    assert_eq!(read("svid.0.pem"), pem_block("CERTIFICATE", &pki.leaf_der));
    assert_eq!(read("svid.0.key"), pem_block("PRIVATE KEY", &pki.leaf_key));
    assert_eq!(read("bundle.0.pem"), pem_block("CERTIFICATE", &pki.ca_der));
    assert_eq!(
        read("federated_bundle.0.0.pem"),
        pem_block("CERTIFICATE", &pki.federated_der)
    );
    assert_eq!(mode(&out_dir.join("svid.0.key")), 0o600);
    assert_eq!(mode(&out_dir.join("svid.0.pem")), 0o644);
    assert_eq!(mode(&out_dir.join("bundle.0.pem")), 0o644);
}

#[tokio::test]
async fn plain_api_fetch_is_x509_and_json_output_is_the_raw_response() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki();
    let socket = serve(dir.path(), &pki);
    let sock = socket.to_str().expect("utf-8");
    let (code, console) = run(&["api", "fetch", "-socketPath", sock, "-silent"]).await;
    assert_eq!(
        (code, console.out.as_str(), console.err.as_str()),
        (0, "", "")
    );
    let (code, console) = run(&[
        "api",
        "fetch",
        "x509",
        "-socketPath",
        sock,
        "-output",
        "json",
    ])
    .await;
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&console.out).expect("json");
    assert_eq!(
        json["svids"][0]["spiffe_id"],
        "spiffe://example.org/workload"
    );
    assert_eq!(json["svids"][0]["hint"], "");
    assert_eq!(json["crl"], serde_json::json!([]));
    assert!(json["federated_bundles"]["spiffe://a.test"].is_string());
}

#[tokio::test]
async fn fetch_jwt_prints_token_then_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = serve(dir.path(), &pki());
    let sock = socket.to_str().expect("utf-8");
    let (code, console) = run(&[
        "api",
        "fetch",
        "jwt",
        "-socketPath",
        sock,
        "-audience",
        "aud1,aud2",
    ])
    .await;
    assert_eq!(console.err, "");
    assert_eq!(code, 0);
    assert_eq!(
        console.out,
        format!(
            "token(spiffe://example.org/workload):\n\t{TOKEN}\n\
             bundle(spiffe://example.org):\n\t{JWKS}\n"
        )
    );
}

#[tokio::test]
async fn validate_jwt_prints_validity_or_spire_rejection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = serve(dir.path(), &pki());
    let sock = socket.to_str().expect("utf-8");
    let (code, console) = run(&[
        "api",
        "validate",
        "jwt",
        "-socketPath",
        sock,
        "-audience",
        "aud1",
        "-svid",
        TOKEN,
    ])
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        console.out,
        "SVID is valid.\n\
         SPIFFE ID : spiffe://example.org/workload\n\
         Claims    : {\"sub\":\"spiffe://example.org/workload\"}\n"
    );
    let (code, console) = run(&[
        "api",
        "validate",
        "jwt",
        "-socketPath",
        sock,
        "-audience",
        "other",
        "-svid",
        TOKEN,
    ])
    .await;
    assert_eq!(code, 1);
    assert_eq!(console.err, "SVID is not valid: token has expired\n");
}

#[tokio::test]
async fn healthcheck_reports_a_serving_agent_healthy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = serve(dir.path(), &pki());
    let sock = socket.to_str().expect("utf-8");
    let (code, console) = run(&["healthcheck", "-socketPath", sock, "-verbose"]).await;
    assert_eq!(console.err, "");
    assert_eq!(code, 0);
    assert_eq!(console.out, "Checking agent health...\nAgent is healthy.\n");
}

#[tokio::test]
async fn missing_socket_gives_grpc_go_dial_error_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.sock");
    let sock = missing.to_str().expect("utf-8");
    let (code, console) = run(&["api", "fetch", "x509", "-socketPath", sock]).await;
    assert_eq!(code, 1);
    assert_eq!(
        console.err,
        format!(
            "rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix {sock}: connect: no such file or directory\"\n"
        )
    );
    let (code, console) = run(&["healthcheck", "-socketPath", sock]).await;
    assert_eq!(code, 1);
    assert_eq!(
        console.err,
        "Agent is unhealthy: unable to determine health\n"
    );
}

/// A `Write` the test can read while the watch is still writing.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

#[tokio::test]
async fn watch_prints_each_update_with_federated_domains_by_name_until_interrupted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = serve(dir.path(), &pki());
    let client = WorkloadClient::new(&socket, None).expect("client");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let out = SharedBuffer::default();
    let err = SharedBuffer::default();
    let (mut w_out, mut w_err) = (out.clone(), err.clone());
    let task = tokio::spawn(async move {
        watch::watch(&client, &mut w_out, &mut w_err, async {
            let _ = stopped.await;
        })
        .await
    });
    for _ in 0..200 {
        if out.text().ends_with("UTC\n\n") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    let code = task.await.expect("watch task");
    let text = out.text();
    assert!(text.starts_with("Received 1 svid after "), "{text}");
    assert!(text.contains("SPIFFE ID:\t\tspiffe://example.org/workload\n"));
    assert!(text.contains("\n[a.test] CA #1 Valid After:\t"));
    assert_eq!(code, 1);
    assert_eq!(
        err.text(),
        "rpc error: code = Canceled desc = context canceled\n".repeat(2)
    );
}
