use super::*;
use spire_proto::spire::api::types::entry::AdditionalAttributes;

fn id(td: &str, path: &str) -> Option<Spiffeid> {
    Some(Spiffeid {
        trust_domain: td.into(),
        path: path.into(),
    })
}

fn sel(t: &str, v: &str) -> Selector {
    Selector {
        r#type: t.into(),
        value: v.into(),
    }
}

#[test]
fn minimal_entry_prints_defaults_and_hides_false_flags() {
    let e = Entry {
        id: "00000000-0000-0000-0000-000000000001".into(),
        spiffe_id: id("example.org", "/web"),
        parent_id: id("example.org", "/agent"),
        selectors: vec![sel("unix", "uid:1000")],
        ..Default::default()
    };
    assert_eq!(
        entry_block(&e),
        "Entry ID         : 00000000-0000-0000-0000-000000000001\n\
         SPIFFE ID        : spiffe://example.org/web\n\
         Parent ID        : spiffe://example.org/agent\n\
         Revision         : 0\n\
         X509-SVID TTL    : default\n\
         JWT-SVID TTL     : default\n\
         Selector         : unix:uid:1000\n\n"
    );
}

#[test]
fn full_entry_prints_every_optional_line_in_spire_order() {
    let e = Entry {
        id: String::new(),
        spiffe_id: id("example.org", "/db"),
        parent_id: id("example.org", "/spire/server"),
        selectors: vec![sel("k8s", "ns:prod"), sel("k8s", "sa:db")],
        x509_svid_ttl: 3600,
        jwt_svid_ttl: 300,
        federates_with: vec!["spiffe://other.org".into()],
        admin: true,
        downstream: true,
        expires_at: 1_700_000_000,
        dns_names: vec!["db.local".into()],
        revision_number: 3,
        store_svid: true,
        hint: "primary".into(),
        created_at: 0,
        additional_attributes: Some(AdditionalAttributes {
            disable_x509_svid_prefetch: true,
            jwt_svid_include_jti: true,
        }),
    };
    assert_eq!(
        entry_block(&e),
        "Entry ID         : (none)\n\
         SPIFFE ID        : spiffe://example.org/db\n\
         Parent ID        : spiffe://example.org/spire/server\n\
         Revision         : 3\n\
         Downstream       : true\n\
         X509-SVID TTL    : 3600\n\
         JWT-SVID TTL     : 300\n\
         Expiration time  : 2023-11-14 22:13:20 +0000 UTC\n\
         Selector         : k8s:ns:prod\n\
         Selector         : k8s:sa:db\n\
         FederatesWith    : spiffe://other.org\n\
         DNS name         : db.local\n\
         Admin            : true\n\
         StoreSvid        : true\n\
         Hint             : primary\n\
         DisableX509SvidPrefetch : true\n\
         JwtSvidIncludeJti : true\n\n"
    );
}

#[test]
fn list_header_pluralizes() {
    assert_eq!(entry_list(&[]), "Found 0 entries\n");
    let one = entry_list(&[Entry::default()]);
    assert!(
        one.starts_with("Found 1 entry\nEntry ID         : (none)\n"),
        "{one}"
    );
    assert_eq!(entry_count(1), "1 registration entry\n");
    assert_eq!(entry_count(2), "2 registration entries\n");
}

#[test]
fn sorting_orders_by_spiffe_id_then_parent_then_selectors() {
    let mut entries = vec![
        Entry {
            spiffe_id: id("b.org", "/x"),
            parent_id: id("b.org", "/p"),
            ..Default::default()
        },
        Entry {
            spiffe_id: id("a.org", "/x"),
            parent_id: id("a.org", "/p"),
            selectors: vec![sel("unix", "uid:1"), sel("unix", "gid:1")],
            ..Default::default()
        },
        Entry {
            spiffe_id: id("a.org", "/x"),
            parent_id: id("a.org", "/p"),
            ..Default::default()
        },
    ];
    sort_entries(&mut entries);
    assert_eq!(entries[0].selectors.len(), 0);
    assert_eq!(
        entries[1].selectors,
        vec![sel("unix", "gid:1"), sel("unix", "uid:1")]
    );
    assert_eq!(entries[2].spiffe_id, id("b.org", "/x"));
}
