//! A restarted server resumes its CA from the journal: same bundle, and its new TCP
//! SVID chains to the root agents already trust.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::support::Server;

#[test]
fn restart_keeps_the_bundle_and_the_ca_the_server_svid_chains_to() {
    let mut server = Server::start();
    let before = server.ok(&["bundle", "show", "-format", "spiffe"]);
    let before_pem = server.ok(&["bundle", "show"]);

    server.restart();

    let after = server.ok(&["bundle", "show", "-format", "spiffe"]);
    assert_eq!(
        after, before,
        "a restart must not add or change authorities"
    );
    assert!(
        server.log().contains("CA journal loaded"),
        "the journal was found:\n{}",
        server.log()
    );

    let bundle = server.dir.path().join("bundle-before-restart.pem");
    std::fs::write(&bundle, before_pem).expect("write bundle");
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
    drop(child.stdin.take().map(|mut s| s.write_all(b"")));
    let out = child.wait_with_output().expect("s_client output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Verify return code: 0 (ok)"),
        "the SVID of the restarted server does not chain to the old root:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
