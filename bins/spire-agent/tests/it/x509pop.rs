//! x509pop node attestation with a test PKI: the agent proves possession of its node
//! certificate's key and gets SPIRE's agent ID from the certificate's SHA-1 fingerprint.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::support::{Env, my_uid};

const WORKLOAD_ID: &str = "spiffe://example.org/pop-workload";

#[test]
fn x509pop_agent_attests_is_listed_and_serves_an_entry_parented_to_its_id() {
    let pki = tempfile::tempdir().expect("pki dir");
    let paths = write_test_pki(pki.path());
    let env = start_x509pop_agent(&paths);
    let agent_id = format!(
        "spiffe://example.org/spire/agent/x509pop/{}",
        sha1_hex(&paths.cert_der)
    );
    env.wait_for_agent_log("Node attestation was successful");
    let log = env.agent_log();
    assert!(
        log.contains(&format!("spiffe_id={agent_id}")),
        "agent attested as another ID than {agent_id}:\n{log}"
    );

    let listed = env.server_ok(&["agent", "list"]);
    let block = listed
        .split("\n\n")
        .find(|b| b.contains(&format!("SPIFFE ID         : {agent_id}\n")))
        .unwrap_or_else(|| panic!("agent list does not show {agent_id}:\n{listed}"));
    assert!(
        block.contains("Attestation type  : x509pop\n"),
        "attestation type is not x509pop:\n{block}"
    );

    env.create_entry(&agent_id, WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
}

/// A server trusting `paths.ca` for x509pop and an agent attesting with `paths.key` and
/// `paths.cert`.
pub(crate) fn start_x509pop_agent(paths: &PkiPaths) -> Env {
    let mut env = Env::start_server_with_plugins(&format!(
        r#"    NodeAttestor "x509pop" {{
        plugin_data {{
            ca_bundle_path = "{}"
        }}
    }}"#,
        paths.ca.display()
    ));
    env.start_agent_with_node_attestor(
        &format!(
            r#"NodeAttestor "x509pop" {{
        plugin_data {{
            private_key_path = "{}"
            certificate_path = "{}"
        }}
    }}"#,
            paths.key.display(),
            paths.cert.display()
        ),
        None,
    );
    env
}

pub(crate) struct PkiPaths {
    pub(crate) ca: std::path::PathBuf,
    pub(crate) cert: std::path::PathBuf,
    pub(crate) key: std::path::PathBuf,
    pub(crate) cert_der: Vec<u8>,
}

/// A root CA and a node leaf (digitalSignature, as x509pop requires) signed by it, as PEM.
pub(crate) fn write_test_pki(dir: &Path) -> PkiPaths {
    let ca_key = KeyPair::generate().expect("P-256 CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "x509pop test root");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-signed CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("P-256 node key");
    let mut leaf_params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "node1");
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("node certificate");

    let paths = PkiPaths {
        ca: dir.join("ca.pem"),
        cert: dir.join("node.crt.pem"),
        key: dir.join("node.key.pem"),
        cert_der: leaf.der().to_vec(),
    };
    std::fs::write(&paths.ca, ca_cert.pem()).expect("write CA");
    std::fs::write(&paths.cert, leaf.pem()).expect("write node cert");
    std::fs::write(&paths.key, leaf_key.serialize_pem()).expect("write node key");
    paths
}

/// SHA-1 of `der`, lowercase hex, by `openssl dgst` (what SPIRE puts in the agent ID).
pub(crate) fn sha1_hex(der: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("leaf.der");
    std::fs::write(&file, der).expect("write DER");
    let out = Command::new("openssl")
        .args(["dgst", "-sha1", "-r"])
        .arg(&file)
        .output()
        .expect("run openssl dgst");
    assert!(out.status.success(), "openssl dgst failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text
        .split_whitespace()
        .next()
        .expect("openssl dgst -r prints `<hex> *<file>`");
    assert_eq!(hex.len(), 40, "{text}");
    hex.to_owned()
}
