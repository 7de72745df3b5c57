use super::*;

#[test]
fn accepts_bare_name_and_builds_its_id() {
    let td = TrustDomain::new("example.org").expect("valid");
    assert_eq!(td.as_str(), "example.org");
    assert_eq!(td.to_string(), "example.org");
    assert_eq!(td.id_string(), "spiffe://example.org");
}

#[test]
fn accepts_underscores_digits_and_dashes() {
    assert!(TrustDomain::new("my_td-01.example").is_ok());
    assert!(TrustDomain::new("10.0.0.1").is_ok());
}

#[test]
fn new_refuses_id_form_and_names_the_reason() {
    assert_eq!(
        TrustDomain::new("spiffe://example.org"),
        Err(SpiffeIdError::SchemeInTrustDomainName)
    );
}

#[test]
fn from_id_or_name_accepts_both_forms() {
    let bare = TrustDomain::from_id_or_name("example.org").expect("valid");
    let id = TrustDomain::from_id_or_name("spiffe://example.org").expect("valid");
    let with_path = TrustDomain::from_id_or_name("spiffe://example.org/a/b").expect("valid");
    assert_eq!(bare, id);
    assert_eq!(id, with_path);
}

#[test]
fn from_id_or_name_validates_the_whole_id() {
    assert_eq!(
        TrustDomain::from_id_or_name("spiffe://example.org/a//b"),
        Err(SpiffeIdError::EmptySegment)
    );
    assert_eq!(
        TrustDomain::from_id_or_name("spiffe:/example.org"),
        Err(SpiffeIdError::MissingScheme)
    );
}

#[test]
fn rejects_empty_uppercase_and_bad_chars() {
    assert_eq!(TrustDomain::new(""), Err(SpiffeIdError::EmptyTrustDomain));
    assert_eq!(
        TrustDomain::new("Example.org"),
        Err(SpiffeIdError::UppercaseTrustDomain { ch: 'E' })
    );
    assert_eq!(
        TrustDomain::new("example.org/x"),
        Err(SpiffeIdError::BadTrustDomainChar { ch: '/' })
    );
    assert_eq!(
        TrustDomain::new("example.org:443"),
        Err(SpiffeIdError::Port)
    );
    assert_eq!(
        TrustDomain::new("u@example.org"),
        Err(SpiffeIdError::UserInfo)
    );
    assert_eq!(TrustDomain::new("\u{e9}.org"), Err(SpiffeIdError::NonAscii));
}

#[test]
fn rejects_name_longer_than_255_bytes() {
    assert!(TrustDomain::new(&"a".repeat(255)).is_ok());
    assert_eq!(
        TrustDomain::new(&"a".repeat(256)),
        Err(SpiffeIdError::TrustDomainTooLong { len: 256 })
    );
}

#[test]
fn spiffe_id_builds_member_ids() {
    let td = TrustDomain::new("td").expect("valid");
    let id = td.spiffe_id("/spire/server").expect("valid");
    assert_eq!(id.as_str(), "spiffe://td/spire/server");
    assert!(id.is_member_of(&td));
}

#[test]
fn server_id_is_spire_server_path_in_the_trust_domain() {
    let td = TrustDomain::new("example.org").expect("valid");
    let id = td.server_id();
    assert_eq!(id.as_str(), "spiffe://example.org/spire/server");
    assert_eq!(id.path(), "/spire/server");
    assert!(id.is_member_of(&td));
    assert!(id.is_reserved());
    assert_eq!(
        id,
        SpiffeId::new("spiffe://example.org/spire/server").expect("valid")
    );
}

#[test]
fn server_id_of_longest_trust_domain_is_valid() {
    let td = TrustDomain::new(&"a".repeat(255)).expect("valid");
    let id = td.server_id();
    assert_eq!(SpiffeId::new(id.as_str()).as_ref(), Ok(&id));
}

#[test]
fn serde_round_trips_as_string() {
    let td = TrustDomain::new("td").expect("valid");
    assert_eq!(serde_json::to_string(&td).expect("serialises"), "\"td\"");
    let back: TrustDomain = serde_json::from_str("\"td\"").expect("deserialises");
    assert_eq!(back, td);
    assert!(serde_json::from_str::<TrustDomain>("\"TD\"").is_err());
}
