use crate::{agent_from, minimal_agent, minimal_server, server_from};

fn server_err(text: &str) -> String {
    server_from(text)
        .expect_err("config must be refused")
        .to_string()
}

#[test]
fn names_an_unknown_server_key_and_the_file() {
    assert_eq!(
        server_err(&minimal_server("bogus_key = 1")),
        r#"server.conf: unknown configuration key "server.bogus_key""#
    );
}

#[test]
fn collects_unknown_keys_from_every_section() {
    let text = minimal_server("bogus = true\n ratelimit { signing = false\n burst = 3 }").replace(
        "KeyManager \"memory\" {",
        "KeyManager \"memory\" { plugin_datta = {}\n",
    ) + "health_checks { listener = true }\nextra_top = 1\n";
    assert_eq!(
        server_err(&text),
        r#"server.conf: unknown configuration keys "extra_top", "health_checks.listener", "plugins.KeyManager.memory.plugin_datta", "server.bogus", "server.ratelimit.burst""#
    );
}

#[test]
fn rejects_unknown_experimental_key() {
    assert_eq!(
        server_err(&minimal_server(
            "experimental { cache_reload_interval = \"10s\"\n nope = 1 }"
        )),
        r#"server.conf: unknown configuration key "server.experimental.nope""#
    );
}

#[test]
fn names_key_and_expected_type_on_wrong_type() {
    assert_eq!(
        server_err(&minimal_server("audit_log_enabled = \"yes\"")),
        r#"server.conf: "server.audit_log_enabled" must be a boolean, found a string"#
    );
    assert_eq!(
        server_err(&minimal_server(
            "admin_ids = \"spiffe://example.org/admin\""
        )),
        r#"server.conf: "server.admin_ids" must be a list of strings, found a string"#
    );
    assert_eq!(
        server_err(&minimal_server("bind_port = [8081]")),
        r#"server.conf: "server.bind_port" must be an integer, found a list"#
    );
}

#[test]
fn names_key_on_unparsable_or_out_of_range_values() {
    assert_eq!(
        server_err(&minimal_server("ca_ttl = \"1x\"")),
        r#"server.conf: invalid value for "server.ca_ttl": unknown unit "x" in duration "1x""#
    );
    assert_eq!(
        server_err(&minimal_server("default_x509_svid_ttl = \"-1h\"")),
        r#"server.conf: invalid value for "server.default_x509_svid_ttl": negative duration "-1h" is not allowed"#
    );
    assert_eq!(
        server_err(&minimal_server("default_jwt_svid_ttl = \"0s\"")),
        r#"server.conf: invalid value for "server.default_jwt_svid_ttl": must be greater than zero"#
    );
    assert_eq!(
        server_err(&minimal_server("agent_ttl = \"9999999h\"")),
        r#"server.conf: invalid value for "server.agent_ttl": duration "9999999h" is out of range"#
    );
    assert_eq!(
        server_err(&minimal_server("bind_port = 70000")),
        r#"server.conf: invalid value for "server.bind_port": port 70000 is out of range 0-65535"#
    );
    assert_eq!(
        server_err(&minimal_server("ca_key_type = \"ed25519\"")),
        r#"server.conf: invalid value for "server.ca_key_type": key type "ed25519" is unknown; must be one of [rsa-2048, rsa-4096, ec-p256, ec-p384]"#
    );
}

#[test]
fn mirrors_spire_required_key_messages() {
    assert_eq!(
        server_err("plugins {}"),
        "server.conf: server section must be configured"
    );
    assert_eq!(
        server_err("server { data_dir = \"/d\" }\nplugins {}"),
        "server.conf: trust_domain must be configured"
    );
    assert_eq!(
        server_err("server { trust_domain = \"a.org\" }\nplugins {}"),
        "server.conf: data_dir must be configured"
    );
    assert_eq!(
        server_err("server {\n trust_domain = \"a.org\"\n data_dir = \"/d\" }"),
        "server.conf: plugins section must be configured"
    );
    assert_eq!(
        server_err(&minimal_server("bind_address = \"\"")),
        "server.conf: bind_address and bind_port must be configured"
    );
}

#[test]
fn requires_exactly_one_datastore_and_keymanager() {
    let text = "server {\n trust_domain = \"a.org\"\n data_dir = \"/d\" }\nplugins { KeyManager \"memory\" {} }";
    assert_eq!(
        server_err(text),
        "server.conf: expected exactly 1 DataStore plugin to be configured, found 0"
    );
    let text = minimal_server("").replace("plugins {", "plugins {\n KeyManager \"disk\" {}");
    assert_eq!(
        server_err(&text),
        "server.conf: expected exactly 1 KeyManager plugin to be configured, found 2"
    );
}

#[test]
fn rejects_unknown_plugin_type_by_path() {
    let text = minimal_server("").replace("plugins {", "plugins {\n WorkloadAttestor \"unix\" {}");
    assert_eq!(
        server_err(&text),
        r#"server.conf: invalid value for "plugins.WorkloadAttestor": unknown plugin type "WorkloadAttestor"; expected one of BundlePublisher, CredentialComposer, DataStore, KeyManager, NodeAttestor, Notifier, UpstreamAuthority"#
    );
}

#[test]
fn rejects_plugin_data_together_with_plugin_data_file() {
    let text = minimal_server("").replace(
        "KeyManager \"memory\" { plugin_data {} }",
        "KeyManager \"memory\" { plugin_data { a = 1 }\n plugin_data_file = \"/x\" }",
    );
    assert_eq!(
        server_err(&text),
        r#"server.conf: plugin KeyManager "memory": only one of plugin_data or plugin_data_file can be used"#
    );
}

#[test]
fn rejects_invalid_trust_domain_and_plain_http_federation() {
    assert_eq!(
        server_err(&minimal_server("").replace("example.org", "Example.org")),
        r#"server.conf: invalid value for "server.trust_domain": could not parse trust_domain "Example.org": trust domain must be lowercase, found 'E'"#
    );
    assert_eq!(
        server_err(&minimal_server(
            "federation { federates_with \"b.org\" { bundle_endpoint_url = \"http://b.org\" } }"
        )),
        r#"server.conf: federation.federates_with["b.org"].bundle_endpoint_url must use the HTTPS protocol; URL found: "http://b.org""#
    );
}

#[test]
fn rejects_admin_ids_that_are_not_spiffe_ids() {
    assert_eq!(
        server_err(&minimal_server(
            r#"admin_ids = ["spiffe://example.org/admin", "admin"]"#
        )),
        r#"server.conf: invalid value for "server.admin_ids": could not parse SPIFFE ID "admin": SPIFFE ID must start with the scheme "spiffe://""#
    );
}

#[test]
fn syntax_errors_carry_file_line_and_column() {
    assert_eq!(
        server_err("server {\n  trust_domain = \n}"),
        r#"server.conf:3:1: expected a value, found "}""#
    );
}

#[test]
fn missing_file_error_matches_spire_wording() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nope.conf");
    let err = spire_config::ServerConfig::load(&path, false).expect_err("missing file");
    assert_eq!(
        err.to_string(),
        format!(
            "could not find config file {}: please use the -config flag",
            path.display()
        )
    );
}

#[test]
fn agent_errors_name_keys_and_rules() {
    let err = |t: &str| agent_from(t).expect_err("must be refused").to_string();
    assert_eq!(
        err(&minimal_agent(
            "trust_bundle_path = \"/b\"\n sds { default_svid = \"x\" }"
        )),
        r#"agent.conf: unknown configuration key "agent.sds.default_svid""#
    );
    assert_eq!(
        err(&minimal_agent("")),
        "agent.conf: trust_bundle_path or trust_bundle_url must be configured unless insecure_bootstrap is set"
    );
    assert_eq!(
        err(&minimal_agent(
            "insecure_bootstrap = true\n trust_bundle_path = \"/b\""
        )),
        "agent.conf: only one of insecure_bootstrap or trust_bundle_path can be specified, not both"
    );
    assert_eq!(
        err(&minimal_agent(
            "trust_bundle_url = \"https://x\"\n trust_bundle_path = \"/b\""
        )),
        "agent.conf: only one of trust_bundle_url or trust_bundle_path can be specified, not both"
    );
    assert_eq!(
        err(&minimal_agent("trust_bundle_url = \"http://x\"")),
        "agent.conf: trust bundle URL must start with https://"
    );
    assert_eq!(
        err(&minimal_agent(
            "insecure_bootstrap = true\n join_token = \"t\"\n join_token_file = \"/t\""
        )),
        "agent.conf: only one of join_token or join_token_file can be specified, not both"
    );
    assert_eq!(
        err(&minimal_agent(
            "insecure_bootstrap = true\n x509_svid_cache_max_size = -1"
        )),
        r#"agent.conf: invalid value for "agent.x509_svid_cache_max_size": x509_svid_cache_max_size should not be negative"#
    );
    assert_eq!(
        err(&minimal_agent(
            "insecure_bootstrap = true\n availability_target = \"1h\""
        )),
        r#"agent.conf: invalid value for "agent.availability_target": availability_target must be at least 24h0m0s"#
    );
    assert_eq!(
        err(&minimal_agent(
            "insecure_bootstrap = true\n admin_socket_path = \"/tmp/spire-agent/public/admin.sock\""
        )),
        "agent.conf: admin socket cannot be in the same directory or a subdirectory as that containing the Workload API socket"
    );
    assert_eq!(
        err("plugins {}"),
        "agent.conf: agent section must be configured"
    );
    assert_eq!(
        err(&minimal_agent("insecure_bootstrap = true").replace("server_port = 8081", "")),
        "agent.conf: server_port must be configured"
    );
}
