use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use spire_config::{AgentConfig, KeyType, Sds, TrustBundleFormat, TrustBundleSource};

use crate::{agent_from, minimal_agent, testdata};

#[test]
fn loads_spire_style_agent_conf() {
    let c = AgentConfig::load(&testdata("agent.conf"), false).expect("sample is valid");
    assert_eq!(c.trust_domain.as_str(), "example.org");
    assert_eq!(c.server_address, "127.0.0.1");
    assert_eq!(c.server_port, 8081);
    assert_eq!(c.data_dir, PathBuf::from("./.data"));
    assert_eq!(
        c.trust_bundle,
        TrustBundleSource::Path("./conf/agent/dummy_root_ca.crt".into())
    );
    let kinds: Vec<&str> = c.plugins.iter().map(|p| p.plugin_type.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["KeyManager", "NodeAttestor", "WorkloadAttestor"]
    );
    assert_eq!(c.plugins[0].plugin_data, json!({"directory": "./.data"}));
    assert_eq!(
        c.plugins[2].plugin_data,
        json!({"discover_workload_path": true})
    );
}

#[test]
fn fills_agent_defaults_like_spire() {
    let c = agent_from(&minimal_agent("insecure_bootstrap = true")).expect("valid");
    assert_eq!(c.trust_bundle, TrustBundleSource::InsecureBootstrap);
    assert_eq!(c.data_dir, PathBuf::from("."));
    assert_eq!(
        c.socket_path,
        PathBuf::from("/tmp/spire-agent/public/api.sock")
    );
    assert_eq!(c.admin_socket_path, None);
    assert_eq!(c.trust_bundle_format, TrustBundleFormat::Pem);
    assert_eq!(c.log.level, "INFO");
    assert_eq!(c.log.format, "text");
    assert_eq!(c.workload_x509_svid_key_type, KeyType::EcP256);
    assert_eq!(
        (c.x509_svid_cache_max_size, c.jwt_svid_cache_max_size),
        (1000, 1000)
    );
    assert_eq!(c.sds, Sds::default());
    assert_eq!(c.sds.default_bundle_name, "ROOTCA");
    assert_eq!(c.sds.default_all_bundles_name, "ALL");
    assert_eq!(c.sds.default_svid_name, "default");
    assert_eq!(c.experimental.sync_interval, Duration::from_secs(5));
    assert!(c.experimental.use_sync_authorized_entries);
    assert_eq!(c.rebootstrap_mode, "never");
    assert_eq!(c.rebootstrap_delay, Duration::from_secs(600));
    assert_eq!(
        (c.join_token.clone(), c.join_token_file.clone()),
        (None, None)
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn reads_url_bootstrap_join_token_and_tuning() {
    let c = agent_from(&minimal_agent(
        r#"trust_bundle_url = "https://bundle.example.org/b.pem"
  trust_bundle_format = "spiffe"
  join_token = "abc"
  admin_socket_path = "/tmp/spire-agent/private/admin.sock"
  workload_x509_svid_key_type = "rsa-2048"
  x509_svid_cache_max_size = 50
  authorized_delegates = ["spiffe://example.org/envoy"]
  sds { default_bundle_name = "ROOTCA_SELF" default_all_bundles_name = "ROOTCA" }
  experimental { sync_interval = "30s" }"#,
    ))
    .expect("valid");
    assert_eq!(
        c.trust_bundle,
        TrustBundleSource::Url {
            url: "https://bundle.example.org/b.pem".into(),
            unix_socket: None
        }
    );
    assert_eq!(c.trust_bundle_format, TrustBundleFormat::Spiffe);
    assert_eq!(c.join_token.as_deref(), Some("abc"));
    assert_eq!(
        c.admin_socket_path,
        Some(PathBuf::from("/tmp/spire-agent/private/admin.sock"))
    );
    assert_eq!(c.workload_x509_svid_key_type, KeyType::Rsa2048);
    assert_eq!(c.x509_svid_cache_max_size, 50);
    assert_eq!(c.sds.default_all_bundles_name, "ROOTCA");
    assert_eq!(c.experimental.sync_interval, Duration::from_secs(30));
    assert_eq!(
        c.warnings.len(),
        1,
        "experimental warning: {:?}",
        c.warnings
    );
}

#[test]
fn rejects_rsa_4096_for_workload_keys() {
    let err = agent_from(&minimal_agent(
        "insecure_bootstrap = true\n workload_x509_svid_key_type = \"rsa-4096\"",
    ))
    .expect_err("agent supports only three key types");
    assert_eq!(
        err.to_string(),
        r#"agent.conf: invalid value for "agent.workload_x509_svid_key_type": key type "rsa-4096" is unknown; must be one of [rsa-2048, ec-p256, ec-p384]"#
    );
}

#[test]
fn rejects_authorized_delegate_from_another_trust_domain() {
    let err = agent_from(&minimal_agent(
        "insecure_bootstrap = true\n authorized_delegates = [\"spiffe://other.org/envoy\"]",
    ))
    .expect_err("delegate must be a member");
    assert_eq!(
        err.to_string(),
        r#"agent.conf: invalid value for "agent.authorized_delegates": error validating authorized delegate: "spiffe://other.org/envoy" is not a member of trust domain "example.org""#
    );
}
