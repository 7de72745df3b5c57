//! One test per rule of the SPIFFE-ID standard, named after the rule.

use super::*;

fn err(id: &str) -> SpiffeIdError {
    match SpiffeId::new(id) {
        Ok(parsed) => panic!("{id:?} was accepted as {parsed}"),
        Err(e) => e,
    }
}

#[test]
fn accepts_id_with_path_and_splits_parts() {
    let id = SpiffeId::new("spiffe://example.org/ns/prod/sa/web-1_a.b").expect("valid ID");
    assert_eq!(id.trust_domain().as_str(), "example.org");
    assert_eq!(id.path(), "/ns/prod/sa/web-1_a.b");
    assert_eq!(id.as_str(), "spiffe://example.org/ns/prod/sa/web-1_a.b");
    assert_eq!(id.to_string(), id.as_str());
}

#[test]
fn accepts_trust_domain_id_without_path() {
    let id = SpiffeId::new("spiffe://example.org").expect("valid ID");
    assert_eq!(id.path(), "");
    assert_eq!(id.trust_domain().id_string(), "spiffe://example.org");
}

#[test]
fn keeps_path_case() {
    let id = SpiffeId::new("spiffe://td/Web/API").expect("valid ID");
    assert_eq!(id.path(), "/Web/API");
}

#[test]
fn accepts_segments_that_only_contain_dots_beyond_two() {
    assert_eq!(
        SpiffeId::new("spiffe://td/.../a.").expect("valid").path(),
        "/.../a."
    );
}

#[test]
fn rejects_empty_id() {
    assert_eq!(err(""), SpiffeIdError::Empty);
}

#[test]
fn rejects_missing_scheme() {
    assert_eq!(err("example.org/web"), SpiffeIdError::MissingScheme);
    assert_eq!(err("spiffe:/example.org"), SpiffeIdError::MissingScheme);
}

#[test]
fn rejects_uppercase_scheme() {
    assert_eq!(
        err("SPIFFE://example.org/web"),
        SpiffeIdError::UppercaseScheme("SPIFFE".into())
    );
}

#[test]
fn rejects_other_scheme() {
    assert_eq!(
        err("https://example.org/web"),
        SpiffeIdError::WrongScheme("https".into())
    );
}

#[test]
fn rejects_empty_trust_domain() {
    assert_eq!(err("spiffe://"), SpiffeIdError::EmptyTrustDomain);
    assert_eq!(err("spiffe:///web"), SpiffeIdError::EmptyTrustDomain);
}

#[test]
fn rejects_uppercase_trust_domain() {
    assert_eq!(
        err("spiffe://Example.org/web"),
        SpiffeIdError::UppercaseTrustDomain { ch: 'E' }
    );
}

#[test]
fn rejects_bad_trust_domain_char() {
    assert_eq!(
        err("spiffe://exa$mple.org"),
        SpiffeIdError::BadTrustDomainChar { ch: '$' }
    );
}

#[test]
fn rejects_port() {
    assert_eq!(err("spiffe://example.org:8443/web"), SpiffeIdError::Port);
}

#[test]
fn rejects_user_info() {
    assert_eq!(
        err("spiffe://admin@example.org/web"),
        SpiffeIdError::UserInfo
    );
}

#[test]
fn rejects_dot_segments() {
    assert_eq!(err("spiffe://td/a/./b"), SpiffeIdError::DotSegment);
    assert_eq!(err("spiffe://td/a/../b"), SpiffeIdError::DotSegment);
    assert_eq!(err("spiffe://td/.."), SpiffeIdError::DotSegment);
}

#[test]
fn rejects_empty_segment() {
    assert_eq!(err("spiffe://td/a//b"), SpiffeIdError::EmptySegment);
}

#[test]
fn rejects_trailing_slash() {
    assert_eq!(err("spiffe://td/a/"), SpiffeIdError::TrailingSlash);
    assert_eq!(err("spiffe://td/"), SpiffeIdError::TrailingSlash);
}

#[test]
fn rejects_percent_encoding() {
    assert_eq!(err("spiffe://td/a%2Fb"), SpiffeIdError::PercentEncoded);
}

#[test]
fn rejects_bad_path_char() {
    assert_eq!(
        err("spiffe://td/a b"),
        SpiffeIdError::BadPathChar { ch: ' ' }
    );
    assert_eq!(
        err("spiffe://td/a:b"),
        SpiffeIdError::BadPathChar { ch: ':' }
    );
}

#[test]
fn rejects_query() {
    assert_eq!(err("spiffe://td/a?x=1"), SpiffeIdError::Query);
    assert_eq!(err("spiffe://td?x=1"), SpiffeIdError::Query);
}

#[test]
fn rejects_fragment() {
    assert_eq!(err("spiffe://td/a#frag"), SpiffeIdError::Fragment);
    assert_eq!(err("spiffe://td#frag:1"), SpiffeIdError::Fragment);
}

#[test]
fn rejects_non_ascii() {
    assert_eq!(err("spiffe://td/caf\u{e9}"), SpiffeIdError::NonAscii);
    assert_eq!(err("spiffe://b\u{fc}cher.de"), SpiffeIdError::NonAscii);
}

#[test]
fn rejects_id_longer_than_2048_bytes() {
    let path = format!("/{}", "a".repeat(MAX_SPIFFE_ID_LEN - "spiffe://td/".len()));
    let longest = format!("spiffe://td{path}");
    assert_eq!(longest.len(), MAX_SPIFFE_ID_LEN);
    assert!(SpiffeId::new(&longest).is_ok());
    let too_long = format!("{longest}a");
    assert_eq!(err(&too_long), SpiffeIdError::TooLong { len: 2049 });
}

#[test]
fn rejects_trust_domain_longer_than_255_bytes() {
    let td = "a".repeat(256);
    assert_eq!(
        err(&format!("spiffe://{td}/x")),
        SpiffeIdError::TrustDomainTooLong { len: 256 }
    );
    assert!(SpiffeId::new(&format!("spiffe://{}/x", "a".repeat(255))).is_ok());
}

#[test]
fn from_parts_joins_trust_domain_and_path() {
    let td = TrustDomain::new("example.org").expect("valid");
    let id = SpiffeId::from_parts(&td, "/a/b").expect("valid");
    assert_eq!(id.as_str(), "spiffe://example.org/a/b");
    assert_eq!(
        id,
        SpiffeId::new("spiffe://example.org/a/b").expect("valid")
    );
    assert_eq!(
        SpiffeId::from_parts(&td, "").expect("valid").as_str(),
        "spiffe://example.org"
    );
}

#[test]
fn from_parts_refuses_relative_and_invalid_paths() {
    let td = TrustDomain::new("td").expect("valid");
    assert_eq!(
        SpiffeId::from_parts(&td, "a/b"),
        Err(SpiffeIdError::PathNotAbsolute)
    );
    assert_eq!(
        SpiffeId::from_parts(&td, "/a/../b"),
        Err(SpiffeIdError::DotSegment)
    );
    assert_eq!(
        SpiffeId::from_parts(&td, "/a/"),
        Err(SpiffeIdError::TrailingSlash)
    );
}

#[test]
fn membership_compares_trust_domains() {
    let id = SpiffeId::new("spiffe://example.org/web").expect("valid");
    assert!(id.is_member_of(&TrustDomain::new("example.org").expect("valid")));
    assert!(!id.is_member_of(&TrustDomain::new("example.com").expect("valid")));
}

#[test]
fn reserved_namespace_is_spire_and_below() {
    let reserved = |s: &str| SpiffeId::new(s).expect("valid").is_reserved();
    assert!(reserved("spiffe://td/spire"));
    assert!(reserved("spiffe://td/spire/agent/join_token/abc"));
    assert!(!reserved("spiffe://td/spired"));
    assert!(!reserved("spiffe://td/web/spire"));
    assert!(!reserved("spiffe://td"));
}

#[test]
fn serde_uses_the_string_form_and_validates() {
    let id = SpiffeId::new("spiffe://td/web").expect("valid");
    let json = serde_json::to_string(&id).expect("serialises");
    assert_eq!(json, "\"spiffe://td/web\"");
    let back: SpiffeId = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, id);
    let bad = serde_json::from_str::<SpiffeId>("\"spiffe://td/a/../b\"");
    assert!(
        bad.expect_err("dot segment refused")
            .to_string()
            .contains("'.'")
    );
}

#[test]
fn orders_by_full_string() {
    let mut ids: Vec<SpiffeId> = ["spiffe://b/x", "spiffe://a/y", "spiffe://a/x"]
        .iter()
        .map(|s| SpiffeId::new(s).expect("valid"))
        .collect();
    ids.sort();
    let sorted: Vec<&str> = ids.iter().map(SpiffeId::as_str).collect();
    assert_eq!(sorted, ["spiffe://a/x", "spiffe://a/y", "spiffe://b/x"]);
}
