//! OpenSSL, an independent verifier, accepts our chain for TLS client and server use.

use std::process::Command;
use std::time::SystemTime;

use base64::Engine;
use spire_ca::x509::X509SvidRequest;
use spire_plugin::KeyType;

use crate::support::{HOUR, km, make_ca, workload_key};

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[test]
fn openssl_verifies_svid_against_ca_for_client_and_server_auth() {
    let now = SystemTime::now();
    for key_type in [KeyType::EcP256, KeyType::Rsa2048] {
        let km = km();
        let ca = make_ca(km.as_ref(), "x509-CA-A", key_type, 24 * HOUR, now);
        let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let svid = ca
            .mint_x509_svid(
                &X509SvidRequest {
                    spiffe_id: "spiffe://example.org/web".to_owned(),
                    public_key_der: crate::support::spki(&key),
                    dns_names: vec!["web.example.org".to_owned()],
                    ttl: HOUR,
                },
                now,
            )
            .expect("valid request");
        let dir = std::env::temp_dir().join(format!(
            "spire-ca-openssl-{}-{key_type}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("ca.pem"), pem(ca.cert_der())).expect("write CA");
        std::fs::write(dir.join("svid.pem"), pem(&svid.der)).expect("write SVID");
        for purpose in ["sslclient", "sslserver"] {
            let out = Command::new("openssl")
                .current_dir(&dir)
                .args([
                    "verify", "-CAfile", "ca.pem", "-purpose", purpose, "svid.pem",
                ])
                .output()
                .expect("openssl is installed");
            assert!(
                out.status.success(),
                "{key_type} {purpose}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "svid.pem: OK");
        }
        std::fs::remove_dir_all(&dir).expect("clean up temp dir");
    }
}
