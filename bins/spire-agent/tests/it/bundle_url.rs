//! `trust_bundle_url` against a hostile https server: the agent refuses the answer and exits
//! with an error naming the URL; it never panics (a hand-written HTTP parser once did, exit
//! 101, on a chunk size of `ffffffffffffffff`).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{AGENT, free_port, runtime};

#[test]
fn chunk_size_of_u64_max_from_the_bundle_url_is_a_clear_error_not_a_panic() {
    let (status, log, url) = run_agent_against(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc",
        false,
    );
    assert_clear_failure(status, &log, &url);
}

#[test]
fn endless_body_from_the_bundle_url_is_cut_off_with_a_clear_error() {
    let (status, log, url) = run_agent_against(b"HTTP/1.1 200 OK\r\n\r\n", true);
    assert_clear_failure(status, &log, &url);
    assert!(log.contains("larger than"), "no size-cap error:\n{log}");
}

fn assert_clear_failure(status: std::process::ExitStatus, log: &str, url: &str) {
    assert!(!status.success(), "agent accepted the bundle:\n{log}");
    assert_ne!(status.code(), Some(101), "agent panicked:\n{log}");
    assert!(!log.contains("panicked"), "agent panicked:\n{log}");
    assert!(
        log.contains(&format!("could not download trust bundle from {url}")),
        "error does not name {url}:\n{log}"
    );
}

/// Serves `head` (then an endless stream of bytes when `endless`) over https on 127.0.0.1 to
/// every connection, runs an agent whose `trust_bundle_url` points there, and returns its exit
/// status, log and the URL.
fn run_agent_against(
    head: &'static [u8],
    endless: bool,
) -> (std::process::ExitStatus, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca_pem, chain, key) = test_pki();
    let roots = dir.path().join("roots.pem");
    std::fs::write(&roots, ca_pem).expect("write roots");

    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                if tls.write_all(head).await.is_err() {
                    return;
                }
                let filler = [b'a'; 16 * 1024];
                while endless && tls.write_all(&filler).await.is_ok() {}
                let _ = tls.shutdown().await;
            });
        }
    });

    let url = format!("https://localhost:{port}/bundle.pem");
    let conf = write_agent_conf(dir.path(), &url);
    let log_path = dir.path().join("agent.log");
    let log = std::fs::File::create(&log_path).expect("agent log");
    let mut child = Command::new(AGENT)
        .args(["run", "-config"])
        .arg(&conf)
        .args(["-joinToken", "unused"])
        .env("SSL_CERT_FILE", &roots)
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .spawn()
        .expect("spawn spire-agent");
    // The download is time-boxed at 30 s inside the agent; allow for a slow machine.
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "agent did not exit:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    (status, log, url)
}

fn write_agent_conf(dir: &Path, url: &str) -> std::path::PathBuf {
    let d = dir.display();
    let conf = format!(
        r#"agent {{
    data_dir = "{d}/agent"
    log_level = "DEBUG"
    server_address = "127.0.0.1"
    server_port = "{port}"
    socket_path = "{d}/agent.sock"
    trust_bundle_url = "{url}"
    trust_domain = "example.org"
}}
plugins {{
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "memory" {{
        plugin_data {{}}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{}}
    }}
}}
"#,
        port = free_port(),
    );
    let path = dir.join("agent.conf");
    std::fs::write(&path, conf).expect("write agent.conf");
    path
}

/// A CA (PEM, for `SSL_CERT_FILE`) and a `localhost` server chain and key signed by it.
fn test_pki() -> (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "hostile bundle server root");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-signed CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("localhost SAN")
        .signed_by(&leaf_key, &issuer)
        .expect("server certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    (ca_cert.pem(), vec![leaf.der().clone()], key)
}
