use super::*;
use crate::commands::entry::{CREATE_FLAGS, UPDATE_FLAGS};
use crate::flags::parse_flags;

fn flags(specs: &[crate::flags::FlagSpec], args: &[&str]) -> ParsedFlags {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    parse_flags(specs, &args).expect("test args parse")
}

fn create_err(args: &[&str]) -> String {
    create_entry(&flags(CREATE_FLAGS, args))
        .expect_err("invalid input")
        .to_string()
}

#[test]
fn create_builds_the_entry_from_flags() {
    let e = create_entry(&flags(
        CREATE_FLAGS,
        &[
            "-spiffeID",
            "spiffe://example.org/web",
            "-parentID",
            "spiffe://example.org/agent",
            "-selector",
            "unix:uid:0",
            "-selector",
            "unix:gid:0",
            "-x509SVIDTTL",
            "60",
            "-dns",
            "a.local",
            "-federatesWith",
            "spiffe://other.org",
            "-admin",
            "-hint",
            "h",
            "-entryExpiry",
            "99",
        ],
    ))
    .expect("valid entry");
    assert_eq!(e.spiffe_id.as_ref().map(|i| i.path.as_str()), Some("/web"));
    assert_eq!(
        e.parent_id.as_ref().map(|i| i.path.as_str()),
        Some("/agent")
    );
    assert_eq!(e.selectors.len(), 2);
    assert_eq!(e.selectors[0].value, "uid:0");
    assert_eq!(e.x509_svid_ttl, 60);
    assert_eq!(e.dns_names, vec!["a.local".to_owned()]);
    assert_eq!(e.federates_with, vec!["spiffe://other.org".to_owned()]);
    assert!(e.admin);
    assert_eq!(e.hint, "h");
    assert_eq!(e.expires_at, 99);
    assert_eq!(e.additional_attributes, None);
}

#[test]
fn node_entries_get_the_server_as_parent() {
    let e = create_entry(&flags(
        CREATE_FLAGS,
        &[
            "-node",
            "-spiffeID",
            "spiffe://example.org/nodes",
            "-selector",
            "x:y",
        ],
    ))
    .expect("valid node entry");
    assert_eq!(
        e.parent_id.map(|p| (p.trust_domain, p.path)),
        Some(("example.org".to_owned(), "/spire/server".to_owned()))
    );
}

#[test]
fn create_validation_messages_match_spire() {
    assert_eq!(
        create_err(&["-spiffeID", "spiffe://a/b", "-parentID", "spiffe://a/p"]),
        "at least one selector is required"
    );
    assert_eq!(
        create_err(&[
            "-node",
            "-federatesWith",
            "spiffe://o",
            "-selector",
            "a:b",
            "-spiffeID",
            "spiffe://a/b"
        ]),
        "node entries can not federate"
    );
    assert_eq!(
        create_err(&["-selector", "a:b", "-spiffeID", "spiffe://a/b"]),
        "a parent ID is required if the node flag is not set"
    );
    assert_eq!(
        create_err(&["-selector", "a:b", "-parentID", "spiffe://a/p"]),
        "a SPIFFE ID is required"
    );
    assert_eq!(
        create_err(&[
            "-selector",
            "a:b",
            "-parentID",
            "spiffe://a/p",
            "-spiffeID",
            "spiffe://a/b",
            "-x509SVIDTTL",
            "-1"
        ]),
        "a positive x509-SVID TTL is required"
    );
    assert_eq!(
        create_err(&[
            "-selector",
            "a:b",
            "-parentID",
            "spiffe://a/p",
            "-spiffeID",
            "spiffe://a/b",
            "-jwtSVIDTTL",
            "-1"
        ]),
        "a positive JWT-SVID TTL is required"
    );
    assert_eq!(
        create_err(&[
            "-selector",
            "ab",
            "-parentID",
            "spiffe://a/p",
            "-spiffeID",
            "spiffe://a/b"
        ]),
        "selector \"ab\" must be formatted as type:value"
    );
}

#[test]
fn update_requires_entry_id_and_keeps_prefetch_flag_when_set_false() {
    let err = update_entry(&flags(UPDATE_FLAGS, &["-selector", "a:b"])).expect_err("no entry ID");
    assert_eq!(err.to_string(), "entry ID is required");
    let e = update_entry(&flags(
        UPDATE_FLAGS,
        &[
            "-entryID",
            "id1",
            "-selector",
            "a:b",
            "-parentID",
            "spiffe://a/p",
            "-spiffeID",
            "spiffe://a/b",
            "-disableX509SVIDPrefetch=false",
        ],
    ))
    .expect("valid update");
    assert_eq!(e.id, "id1");
    assert_eq!(
        e.additional_attributes,
        Some(AdditionalAttributes {
            disable_x509_svid_prefetch: false,
            jwt_svid_include_jti: false
        })
    );
}

#[test]
fn data_file_uses_spire_registration_entries_layout() {
    let entries = entries_from_json(
        r#"{"entries":[{"selectors":[{"type":"unix","value":"uid:111"}],"spiffe_id":"spiffe://example.org/a",
            "parent_id":"spiffe://example.org/p","x509_svid_ttl":200,"federates_with":["spiffe://o.org"],
            "admin":true,"entryExpiry":5,"dns_names":["d"],"Hint":"x"}]}"#,
    )
    .expect("valid data file");
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.selectors[0].value, "uid:111");
    assert_eq!(e.x509_svid_ttl, 200);
    assert_eq!(e.expires_at, 5);
    assert_eq!(e.hint, "x");
    assert!(e.admin);
    assert!(entries_from_json("{").is_err());
}

#[test]
fn match_modes_are_validated() {
    assert_eq!(match_behavior("any").expect("known mode"), 3);
    assert_eq!(
        match_behavior("x").expect_err("unknown").to_string(),
        "match behavior \"x\" unknown"
    );
}
