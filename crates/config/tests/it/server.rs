use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use spire_config::{CaSubject, KeyType, ServerConfig};

use crate::{minimal_server, server_from, testdata};

#[test]
fn loads_spire_style_server_conf_with_values_as_written() {
    let c = ServerConfig::load(&testdata("server.conf"), false).expect("sample is valid");
    assert_eq!(c.trust_domain.as_str(), "example.org");
    assert_eq!(c.bind_address, "127.0.0.1");
    assert_eq!(c.bind_port, 8081);
    assert_eq!(c.data_dir, PathBuf::from("./.data"));
    assert_eq!(c.log.level, "DEBUG");
    assert_eq!(c.ca_ttl, Duration::from_secs(168 * 3600));
    assert_eq!(c.default_x509_svid_ttl, Duration::from_secs(7200));
    assert_eq!(
        c.ca_subject,
        CaSubject {
            country: vec!["DE".into()],
            organization: vec!["Robots Inc".into()],
            common_name: None
        }
    );
    let kinds: Vec<(&str, &str)> = c
        .plugins
        .iter()
        .map(|p| (p.plugin_type.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("DataStore", "sql"),
            ("KeyManager", "memory"),
            ("NodeAttestor", "join_token"),
            ("UpstreamAuthority", "disk")
        ]
    );
    assert_eq!(
        c.plugins[0].plugin_data,
        json!({"database_type": "sqlite3", "connection_string": "./.data/datastore.sqlite3"})
    );
    assert_eq!(c.plugins[1].plugin_data, json!({}));
    assert!(c.health_checks.listener_enabled);
    assert_eq!(c.health_checks.bind_port, 8080);
    assert_eq!(c.health_checks.live_path, "/live");
    assert_eq!(
        c.telemetry,
        json!({"Prometheus": {"port": 9988}, "M3": [{"address": "localhost:9000", "env": "dev"}]})
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn fills_every_default_like_spire() {
    let c = server_from(&minimal_server("")).expect("minimal file is valid");
    assert_eq!(c.bind_address, "0.0.0.0");
    assert_eq!(c.bind_port, 8081);
    assert_eq!(
        c.socket_path,
        PathBuf::from("/tmp/spire-server/private/api.sock")
    );
    assert_eq!(c.ca_ttl, Duration::from_secs(86_400));
    assert_eq!(c.default_x509_svid_ttl, Duration::from_secs(3600));
    assert_eq!(c.default_jwt_svid_ttl, Duration::from_secs(300));
    assert_eq!(c.agent_ttl, None);
    assert_eq!(c.effective_agent_ttl(), Duration::from_secs(3600));
    assert_eq!(c.ca_key_type, KeyType::EcP256);
    assert_eq!(c.jwt_key_type, KeyType::EcP256);
    assert_eq!(c.ca_subject, CaSubject::default());
    assert_eq!(c.ca_subject.country, vec!["US".to_string()]);
    assert_eq!(c.ca_subject.organization, vec!["SPIFFE".to_string()]);
    assert_eq!(
        (
            c.log.level.as_str(),
            c.log.format.as_str(),
            c.log.file.clone()
        ),
        ("INFO", "text", None)
    );
    assert!(c.ratelimit.attestation && c.ratelimit.signing);
    assert!(!c.audit_log_enabled && !c.disable_jwt_svids);
    assert_eq!(c.jwt_issuer, None);
    assert!(c.admin_ids.is_empty());
    assert_eq!(c.health_checks.bind_address, "localhost");
    assert_eq!(c.health_checks.bind_port, 80);
    assert_eq!(c.health_checks.ready_path, "/ready");
    assert!(!c.health_checks.listener_enabled);
    assert_eq!(c.experimental.cache_reload_interval, Duration::from_secs(5));
    assert_eq!(c.experimental.event_timeout, Duration::from_secs(900));
    assert_eq!(c.telemetry, json!({}));
    assert_eq!(c.federation, None);
    assert!(c.warnings.is_empty());
}

#[test]
fn jwt_key_type_follows_ca_key_type_unless_set() {
    let c = server_from(&minimal_server(r#"ca_key_type = "RSA-2048""#)).expect("valid");
    assert_eq!(
        (c.ca_key_type, c.jwt_key_type),
        (KeyType::Rsa2048, KeyType::Rsa2048)
    );
    let c = server_from(&minimal_server(
        "ca_key_type = \"rsa-2048\"\n jwt_key_type = \"ec-p384\"",
    ))
    .expect("valid");
    assert_eq!(
        (c.ca_key_type, c.jwt_key_type),
        (KeyType::Rsa2048, KeyType::EcP384)
    );
}

#[test]
fn accepts_port_as_number_or_string_and_go_durations() {
    let c = server_from(&minimal_server(
        "bind_port = 9090\n agent_ttl = \"1h30m\"\n default_jwt_svid_ttl = \"90s\"",
    ))
    .expect("valid");
    assert_eq!(c.bind_port, 9090);
    assert_eq!(c.agent_ttl, Some(Duration::from_secs(5400)));
    assert_eq!(c.default_jwt_svid_ttl, Duration::from_secs(90));
}

#[test]
fn warns_when_svid_ttl_exceeds_a_sixth_of_ca_ttl() {
    let c = server_from(&minimal_server(
        "ca_ttl = \"12h\"\n default_x509_svid_ttl = \"3h\"",
    ))
    .expect("valid");
    assert_eq!(
        c.warnings,
        vec![
            "default_x509_svid_ttl is too high for the configured ca_ttl value. SVIDs with shorter lifetimes may be \
             issued. Please set default_x509_svid_ttl to 2h or less, or the ca_ttl to 18h or more, to guarantee the \
             full default_x509_svid_ttl lifetime when CA rotations are scheduled."
                .to_string()
        ]
    );
}

#[test]
fn empty_ca_subject_falls_back_to_default_with_warning() {
    let c = server_from(&minimal_server("ca_subject {}")).expect("valid");
    assert_eq!(c.ca_subject, CaSubject::default());
    assert_eq!(
        c.warnings,
        vec!["ca_subject configurable is set but empty; the default will be used".to_string()]
    );
}

#[test]
fn loads_json_form_with_hcl1_style_lists_of_blocks() {
    let c = ServerConfig::load(&testdata("server.json"), false).expect("JSON sample is valid");
    assert_eq!(c.bind_port, 9081);
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/spire/server"));
    assert_eq!(c.plugins[0].plugin_type, "DataStore");
    assert_eq!(
        c.plugins[0].plugin_data,
        json!({"database_type": "sqlite3", "connection_string": "/x.db"})
    );
    assert_eq!(
        c.plugins[1].plugin_data,
        json!({"keys_path": "/var/lib/spire/keys.json"})
    );
}

#[test]
fn expand_env_substitutes_before_parsing() {
    // CARGO_PKG_NAME is set by cargo for test processes; UNSET_SPIRE_RS_VAR never is.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("server.conf");
    let text =
        minimal_server("jwt_issuer = \"https://$UNSET_SPIRE_RS_VAR${CARGO_PKG_NAME}.example\"");
    std::fs::write(&path, text).expect("write temp file");
    let expanded = ServerConfig::load(&path, true).expect("valid");
    assert_eq!(
        expanded.jwt_issuer.as_deref(),
        Some("https://spire-config.example")
    );
    let literal = ServerConfig::load(&path, false).expect("valid");
    assert_eq!(
        literal.jwt_issuer.as_deref(),
        Some("https://$UNSET_SPIRE_RS_VAR${CARGO_PKG_NAME}.example")
    );
}

#[test]
fn disabled_plugins_do_not_count_toward_exactly_one() {
    let text = minimal_server("").replace(
        "plugins {",
        "plugins {\n  KeyManager \"disk\" { enabled = false\n plugin_data { keys_path = \"/k\" } }",
    );
    let c = server_from(&text).expect("valid");
    assert_eq!(
        c.plugins_of("KeyManager")
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["memory"]
    );
    assert_eq!(
        c.plugins
            .iter()
            .filter(|p| p.plugin_type == "KeyManager")
            .count(),
        2
    );
}

#[test]
fn keeps_federation_and_checks_its_endpoints() {
    let c = server_from(&minimal_server(
        r#"federation {
    bundle_endpoint { address = "0.0.0.0" port = 8443 }
    federates_with "other.org" {
        bundle_endpoint_url = "https://other.org:8443"
        bundle_endpoint_profile "https_spiffe" { endpoint_spiffe_id = "spiffe://other.org/spire/server" }
    }
  }"#,
    ))
    .expect("valid");
    let federation = c.federation.expect("federation kept");
    assert_eq!(federation["bundle_endpoint"]["port"], json!(8443));
    assert_eq!(
        federation["federates_with"]["other.org"]["bundle_endpoint_profile"]["https_spiffe"]["endpoint_spiffe_id"],
        json!("spiffe://other.org/spire/server")
    );
}

#[test]
fn accepts_trust_domain_written_as_spiffe_id_and_parses_admin_ids() {
    let text = minimal_server(r#"admin_ids = ["spiffe://example.org/admin"]"#)
        .replace("\"example.org\"", "\"spiffe://example.org\"");
    let c = server_from(&text).expect("valid");
    assert_eq!(c.trust_domain.as_str(), "example.org");
    assert_eq!(c.admin_ids[0].as_str(), "spiffe://example.org/admin");
}

#[test]
fn ratelimit_switches_are_read_one_by_one() {
    let c = server_from(&minimal_server("ratelimit {\n attestation = false\n }")).expect("valid");
    assert!(!c.ratelimit.attestation, "explicitly off");
    assert!(c.ratelimit.signing, "signing keeps its default");
    let c = server_from(&minimal_server(
        "ratelimit {\n attestation = true\n signing = false\n }",
    ))
    .expect("valid");
    assert!(c.ratelimit.attestation && !c.ratelimit.signing);
}

#[test]
fn ratelimit_of_the_wrong_type_names_the_key() {
    let err = server_from(&minimal_server("ratelimit {\n attestation = \"no\"\n }"))
        .expect_err("a string is not a bool");
    assert!(err.to_string().contains("attestation"), "{err}");
}

#[test]
fn event_and_agent_pruning_keys_are_read() {
    let c = server_from(&minimal_server(
        "prune_attested_nodes_expired_for = \"24h\"\n experimental {\n prune_events_older_than = \"30m\"\n }",
    ))
    .expect("valid");
    assert_eq!(
        c.prune_attested_nodes_expired_for,
        Some(Duration::from_secs(86_400))
    );
    assert_eq!(
        c.experimental.prune_events_older_than,
        Duration::from_secs(1_800)
    );
    let defaults = server_from(&minimal_server("")).expect("valid");
    assert_eq!(defaults.prune_attested_nodes_expired_for, None);
    assert_eq!(
        defaults.experimental.prune_events_older_than,
        Duration::from_secs(12 * 3600)
    );
    let err = server_from(&minimal_server(
        "prune_attested_nodes_expired_for = \"soon\"",
    ))
    .expect_err("not a duration");
    assert!(
        err.to_string().contains("prune_attested_nodes_expired_for"),
        "{err}"
    );
}
