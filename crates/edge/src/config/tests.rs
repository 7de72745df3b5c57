use super::*;

fn parse(text: &str) -> Result<PluginsFile, ConfigError> {
    PluginsFile::parse(Path::new("/etc/edge/plugins.yaml"), text, &|v| {
        (v == "TD").then(|| "example.org".to_owned())
    })
}

#[test]
fn host_defaults_to_30s_and_a_status_file_beside_the_config() {
    let f = parse("spire:\n  trustDomain: ${TD}\n").expect("parses");
    assert_eq!(f.host.health_interval, Duration::from_secs(30));
    assert_eq!(
        f.host.status_file,
        PathBuf::from("/etc/edge/spire-edge-status.json")
    );
    let spire = Section::new("spire", f.section("spire")).expect("mapping");
    assert_eq!(
        spire.string("trustDomain").expect("string"),
        Some("example.org".into())
    );
}

#[test]
fn unknown_host_key_is_named_with_the_file() {
    let err = parse("host:\n  healthIntervall: 5s\n").expect_err("unknown key");
    assert_eq!(
        err.to_string(),
        "/etc/edge/plugins.yaml: host.healthIntervall: unknown key (expected one of: healthInterval, statusFile)"
    );
}

#[test]
fn unset_variable_names_file_key_and_variable() {
    let err = parse("spire:\n  joinToken: ${JOIN_TOKEN}\n").expect_err("unset");
    assert_eq!(
        err.to_string(),
        "/etc/edge/plugins.yaml: spire.joinToken: environment variable ${JOIN_TOKEN} is not set"
    );
}

#[test]
fn bad_durations_are_refused_with_the_key() {
    let err = parse("host:\n  healthInterval: soon\n").expect_err("bad");
    assert_eq!(
        err.to_string(),
        "/etc/edge/plugins.yaml: host.healthInterval: \"soon\" is not a duration like 30s"
    );
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
}

#[test]
fn invalid_yaml_names_the_file() {
    let err = parse("spire: [unclosed\n").expect_err("bad yaml");
    assert!(
        err.to_string()
            .starts_with("/etc/edge/plugins.yaml: not valid YAML"),
        "{err}"
    );
}

#[test]
fn duration_overflowing_u64_seconds_is_refused_not_a_panic() {
    // Found by the `go_duration` fuzz target (fuzz/regressions/go_duration/).
    assert_eq!(
        parse_duration("5124095576030435h"),
        Err("\"5124095576030435h\" is too long a duration".to_owned())
    );
    assert!(parse_duration("307445734561825861m").is_err());
    assert_eq!(
        parse_duration("5124095576030431h"),
        Ok(Duration::from_secs(5_124_095_576_030_431 * 3600))
    );
}
