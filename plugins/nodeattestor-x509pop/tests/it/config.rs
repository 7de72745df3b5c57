//! Both halves built from `plugin_data` with PEM files on disk.

use serde_json::json;
use spire_nodeattestor_x509pop::{X509PopAgent, X509PopServer};

use crate::attest;
use crate::pki::{Ca, LeafSpec, fingerprint};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.display().to_string()
}

#[test]
fn halves_built_from_plugin_data_attest_with_custom_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Ca::root("root");
    let inter = root.intermediate("inter", false);
    let leaf = inter.leaf(LeafSpec::default());
    let server = X509PopServer::from_plugin_data(&json!({
        "ca_bundle_paths": [write(&dir, "root.pem", &root.pem)],
        "agent_path_template": "/cn/{{ .Subject.CommonName }}",
        "max_intermediates": 2,
    }))
    .expect("valid server config");
    let agent = X509PopAgent::from_plugin_data(&json!({
        "private_key_path": write(&dir, "key.pem", &leaf.key.serialize_pem()),
        "certificate_path": write(&dir, "cert.pem", &leaf.pem),
        "intermediates_path": write(&dir, "inter.pem", &inter.pem),
    }))
    .expect("valid agent config");
    let result = attest(&server, &agent).expect("attests");
    assert_eq!(result.agent_id, "spiffe://example.org/spire/agent/cn/node1");
    assert!(
        result
            .selectors
            .iter()
            .any(|s| s.value() == format!("ca:fingerprint:{}", fingerprint(&inter.der)))
    );
}

#[test]
fn server_config_errors_name_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Ca::root("root");
    let path = write(&dir, "root.pem", &root.pem);
    let cases = [
        (json!({"ca_bundle_path": path, "bogus": 1}), "bogus"),
        (
            json!({"ca_bundle_path": path, "ca_bundle_paths": [path]}),
            "only one of ca_bundle_path or ca_bundle_paths",
        ),
        (
            json!({}),
            "one of ca_bundle_path or ca_bundle_paths must be configured",
        ),
        (json!({"mode": "spiffe"}), "not supported"),
        (
            json!({"ca_bundle_path": path, "max_intermediates": 0}),
            "max_intermediates must be greater than 0",
        ),
        (
            json!({"ca_bundle_path": "/nonexistent/ca.pem"}),
            "/nonexistent/ca.pem",
        ),
        (
            json!({"ca_bundle_path": path, "agent_path_template": "/{{ .X | upper }}"}),
            "unsupported action",
        ),
    ];
    for (config, needle) in cases {
        let err = X509PopServer::from_plugin_data(&config).expect_err("invalid config");
        assert!(
            err.to_string().contains(needle),
            "{err} should mention {needle}"
        );
    }
}

#[test]
fn agent_refuses_a_key_that_does_not_match_the_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Ca::root("root");
    let leaf = root.leaf(LeafSpec::default());
    let other = root.leaf(LeafSpec::default());
    let err = X509PopAgent::from_plugin_data(&json!({
        "private_key_path": write(&dir, "key.pem", &other.key.serialize_pem()),
        "certificate_path": write(&dir, "cert.pem", &leaf.pem),
    }))
    .expect_err("mismatched key");
    assert!(err.to_string().contains("does not match"));
    let missing =
        X509PopAgent::from_plugin_data(&json!({"certificate_path": "x"})).expect_err("no key path");
    assert!(missing.to_string().contains("private_key_path is required"));
}
