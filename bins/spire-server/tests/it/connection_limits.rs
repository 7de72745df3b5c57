//! Network resource bounds: a server run under `ulimit -n 256` stays usable while anonymous
//! clients hold hundreds of idle TCP and TLS connections, closes them after the handshake and
//! idle timeouts, and sends a GOAWAY at the maximum connection age.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

use crate::support::{BIN, Server};

/// Raw TCP connections that never start a TLS handshake.
const RAW: usize = 60;
/// Connections that finish the TLS handshake, then say nothing. With RAW, more than the 234
/// that used to exhaust a 256-descriptor server, and more than its TCP cap (256 - 64 - 32).
const TLS_IDLE: usize = 200;
/// Idle connections to the admin socket: more than its own budget (32).
const ADMIN_IDLE: usize = 40;
/// HTTP/2 frame types.
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;

/// `spire-server run` under `ulimit -n 256` (soft and hard) with short test timeouts.
fn under_ulimit_256(dir: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -n 256; exec \"$0\" run -config \"$1\"", BIN])
        .arg(dir.join("server.conf"))
        .env("SPIRE_RS_TEST_HANDSHAKE_TIMEOUT", "3s")
        .env("SPIRE_RS_TEST_IDLE_TIMEOUT", "20s");
    cmd
}

fn with_short_max_age(dir: &Path) -> Command {
    let mut cmd = crate::support::run_command(dir);
    cmd.env("SPIRE_RS_TEST_MAX_CONNECTION_AGE", "2s");
    cmd
}

#[test]
fn idle_anonymous_connections_neither_exhaust_descriptors_nor_outlive_their_timeouts() {
    let server = Server::start_via(|conf| conf, under_ulimit_256);
    let addr = format!("127.0.0.1:{}", server.port);
    let baseline_fds = open_fds(server.pid());

    let raw: Vec<TcpStream> = (0..RAW)
        .map(|_| TcpStream::connect(&addr).expect("TCP connect"))
        .collect();
    let tls: Vec<(ClientConnection, TcpStream)> =
        (0..TLS_IDLE).map(|_| tls_handshake(&addr)).collect();
    let admin: Vec<UnixStream> = (0..ADMIN_IDLE)
        .map(|_| UnixStream::connect(&server.socket).expect("admin socket connect"))
        .collect();
    // Connections quiet for a second may be evicted to make room (EVICTABLE_AFTER).
    std::thread::sleep(Duration::from_millis(1100));

    // The admin socket has its own budget, and its quietest connections make room: the CLI
    // is answered.
    server.ok(&["healthcheck"]);
    server.ok(&["entry", "show"]);
    // A newcomer on the TCP port (an agent) still gets a TLS session and an HTTP/2 server.
    let (conn, mut tcp) = tls_handshake(&addr);
    let frames = h2_frames_until(conn, &mut tcp, SETTINGS);
    assert!(
        frames.contains(&SETTINGS),
        "no HTTP/2 SETTINGS from the server"
    );
    let fds = open_fds(server.pid());
    assert!(
        fds < 256,
        "server holds {fds} descriptors under a limit of 256"
    );
    assert!(
        server.log().contains("Connection limit reached"),
        "the TCP cap was never reached; log:\n{}",
        server.log()
    );

    // The raw ones are closed by the handshake timeout (or evicted), the TLS ones by the
    // idle timeout (or evicted).
    for (i, mut stream) in raw.into_iter().enumerate() {
        assert!(
            closed_by_server(&mut stream),
            "raw connection {i} still open"
        );
    }
    for (i, (_, mut stream)) in tls.into_iter().enumerate() {
        assert!(
            closed_by_server(&mut stream),
            "idle TLS connection {i} still open"
        );
    }
    for (i, mut stream) in admin.into_iter().enumerate() {
        assert!(
            closed_by_server(&mut stream),
            "idle admin connection {i} still open"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_fds(server.pid()) > baseline_fds + 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        open_fds(server.pid()) <= baseline_fds + 2,
        "descriptors not released: {} open, {baseline_fds} at start",
        open_fds(server.pid())
    );
    server.ok(&["healthcheck"]);
}

#[test]
fn tcp_connection_gets_goaway_at_max_connection_age() {
    let server = Server::start_via(|conf| conf, with_short_max_age);
    let addr = format!("127.0.0.1:{}", server.port);
    let (conn, mut tcp) = tls_handshake(&addr);
    let frames = h2_frames_until(conn, &mut tcp, GOAWAY);
    assert!(
        frames.contains(&GOAWAY),
        "no GOAWAY after the maximum connection age; frames seen: {frames:?}"
    );
}

/// Number of open descriptors of `pid`.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/<pid>/fd")
        .count()
}

/// A socket whose reads can time out.
trait TimedRead: Read {
    fn read_timeout(&self, timeout: Duration);
}

impl TimedRead for TcpStream {
    fn read_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout))
            .expect("set read timeout");
    }
}

impl TimedRead for UnixStream {
    fn read_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout))
            .expect("set read timeout");
    }
}

/// Waits (up to a minute) for the server to close `stream`: EOF or reset. Bytes the server
/// sends first (session tickets, HTTP/2 SETTINGS) are skipped.
fn closed_by_server(stream: &mut impl TimedRead) -> bool {
    stream.read_timeout(Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

/// A finished TLS 1.3 handshake with ALPN h2, as an anonymous client (no certificate).
fn tls_handshake(addr: &str) -> (ClientConnection, TcpStream) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let name = ServerName::try_from("spire-server").expect("server name");
    let mut conn = ClientConnection::new(Arc::new(config), name).expect("client connection");
    let mut tcp = TcpStream::connect(addr).expect("TCP connect");
    tcp.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set read timeout");
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).expect("TLS handshake");
    }
    (conn, tcp)
}

/// Sends the HTTP/2 preface and an empty SETTINGS, then reads frame types until `wanted` or
/// the end of the connection (at most a minute).
fn h2_frames_until(conn: ClientConnection, tcp: &mut TcpStream, wanted: u8) -> Vec<u8> {
    let mut tls = rustls::StreamOwned::new(conn, tcp.try_clone().expect("clone socket"));
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .expect("send preface");
    tls.flush().expect("flush");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut kinds = Vec::new();
    let mut header = [0u8; 9];
    while Instant::now() < deadline {
        if tls.read_exact(&mut header).is_err() {
            break;
        }
        let len =
            usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
        let mut payload = vec![0u8; len];
        if tls.read_exact(&mut payload).is_err() {
            break;
        }
        kinds.push(header[3]);
        if header[3] == wanted {
            break;
        }
    }
    kinds
}

/// Accepts any server certificate: these tests are about connections, not identities.
#[derive(Debug)]
struct AnyServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
