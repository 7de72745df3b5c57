use super::*;

fn parse(yaml: &str) -> Result<Option<SpireConfig>, ConfigError> {
    let v: Value = serde_norway::from_str(yaml).expect("yaml");
    SpireConfig::from_value(&v)
}

const GOOD: &str =
    "serverAddress: 10.0.0.1:8081\ntrustDomain: example.org\ninsecureBootstrap: true\n";

#[test]
fn defaults_are_session_keyring_join_token_and_spire_paths() {
    let c = parse(GOOD).expect("valid").expect("enabled");
    assert_eq!(c.server_host, "10.0.0.1");
    assert_eq!(c.server_port, 8081);
    assert_eq!(c.key_store, KeyStore::Keyring("session"));
    assert_eq!(c.node_attestor, "join_token");
    assert_eq!(
        c.socket_path,
        PathBuf::from("/tmp/spire-agent/public/api.sock")
    );
    assert_eq!(
        c.log_path(),
        PathBuf::from("/var/lib/spire-edge/agent/agent.log")
    );
}

#[test]
fn missing_server_address_is_named() {
    let err = parse("trustDomain: example.org\n").expect_err("missing");
    assert_eq!(err.to_string(), "spire.serverAddress is required");
}

#[test]
fn unknown_keys_are_named_at_every_level() {
    let err = parse(&format!("{GOOD}sockerPath: /x\n")).expect_err("unknown");
    assert!(
        err.to_string()
            .starts_with("spire.sockerPath: unknown key (expected one of: enabled, serverAddress"),
        "{err}"
    );
    let err = parse(&format!("{GOOD}keyring:\n  kind: user\n")).expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "spire.keyring.kind: unknown key (expected one of: enabled, type)"
    );
}

#[test]
fn bad_values_name_their_key() {
    let err = parse(&format!("{GOOD}keyring:\n  type: thread\n")).expect_err("bad type");
    assert_eq!(
        err.to_string(),
        "spire.keyring.type: must be session, user or process"
    );
    let err = parse("serverAddress: h:port\ntrustDomain: t\n").expect_err("bad port");
    assert_eq!(
        err.to_string(),
        "spire.serverAddress: must be host or host:port"
    );
    let err = parse("serverAddress: h\ntrustDomain: t\n").expect_err("no bootstrap");
    assert_eq!(
        err.to_string(),
        "spire.trustBundlePath (or spire.insecureBootstrap: true) is required"
    );
}

#[test]
fn disabled_section_yields_none() {
    assert_eq!(parse("enabled: false\n").expect("valid"), None);
    let c = parse(&format!("{GOOD}keyring:\n  enabled: false\n"))
        .expect("valid")
        .expect("on");
    assert_eq!(c.key_store, KeyStore::Disk);
}
