//! The TCP API speaks TLS with the server's own X509-SVID, which chains to the bundle.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::support::Server;

#[test]
fn tcp_port_presents_the_server_svid_that_verifies_against_the_bundle() {
    let server = Server::start();
    let bundle = server.dir.path().join("bundle.pem");
    std::fs::write(&bundle, server.ok(&["bundle", "show"])).expect("write bundle");
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{}", server.port))
        .args(["-alpn", "h2", "-verify_return_error", "-CAfile"])
        .arg(&bundle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    // Closing stdin ends the session once the handshake is done.
    drop(child.stdin.take().map(|mut s| s.write_all(b"")));
    let out = child.wait_with_output().expect("s_client output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Verify return code: 0 (ok)"),
        "handshake did not verify:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ALPN protocol: h2"), "{text}");

    let mut x509 = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl x509");
    x509.stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("feed certificate");
    let san = x509.wait_with_output().expect("x509 output");
    let san = String::from_utf8_lossy(&san.stdout);
    assert!(
        san.contains("URI:spiffe://example.org/spire/server"),
        "server SVID SAN: {san}"
    );
}
