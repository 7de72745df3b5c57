use spire_spiffe::{Bundle, X509Authority};

use super::sel;
use crate::error::DataStoreError;
use crate::query::{
    EntryFilter, FederatesWithMatch, MAX_PAGE_SIZE, MatchBehavior, Pagination, SelectorMatch,
};
use crate::records::{EntryMask, RegistrationEntry};
use crate::store::DataStore;

fn entry(path: &str, selectors: &[&str]) -> RegistrationEntry {
    RegistrationEntry {
        spiffe_id: format!("spiffe://td/{path}"),
        parent_id: "spiffe://td/spire/agent/a".into(),
        selectors: selectors.iter().map(|s| sel(s)).collect(),
        x509_svid_ttl: 3600,
        jwt_svid_ttl: 300,
        ..RegistrationEntry::default()
    }
}

fn paths(entries: &[RegistrationEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e.spiffe_id.trim_start_matches("spiffe://td/").to_owned())
        .collect()
}

async fn list(ds: &dyn DataStore, filter: &EntryFilter) -> Vec<String> {
    let page = ds
        .list_registration_entries(filter, None)
        .await
        .expect("list entries");
    let count = ds
        .count_registration_entries(filter)
        .await
        .expect("count entries");
    assert_eq!(
        count,
        page.items.len() as u64,
        "count agrees with list for {filter:?}"
    );
    paths(&page.items)
}

pub async fn crud_and_revision(ds: &dyn DataStore) {
    let mut e = entry("web", &["unix:uid:1", "docker:image:x"]);
    e.dns_names = vec!["web.local".into(), "b.local".into()];
    e.hint = "primary".into();
    e.admin = true;
    e.disable_x509_svid_prefetch = true;
    let created = ds.create_registration_entry(&e).await.expect("create");
    assert!(
        uuid::Uuid::parse_str(&created.entry_id).is_ok(),
        "generated id is a UUID: {}",
        created.entry_id
    );
    assert_eq!(created.revision_number, 0);
    assert!(created.created_at > 0, "created_at set");
    assert_eq!(
        created.selectors,
        vec![sel("docker:image:x"), sel("unix:uid:1")]
    );

    let fetched = ds
        .fetch_registration_entry(&created.entry_id)
        .await
        .expect("fetch")
        .expect("exists");
    assert_eq!(fetched, created);
    assert_eq!(
        ds.fetch_registration_entry("nope")
            .await
            .expect("fetch missing"),
        None
    );

    let given = RegistrationEntry {
        entry_id: "my-id_1.x".into(),
        ..entry("given", &["a:b"])
    };
    assert_eq!(
        ds.create_registration_entry(&given)
            .await
            .expect("create with id")
            .entry_id,
        "my-id_1.x"
    );

    let change = RegistrationEntry {
        x509_svid_ttl: 60,
        hint: "ignored".into(),
        ..created.clone()
    };
    let mask = EntryMask {
        x509_svid_ttl: true,
        ..EntryMask::default()
    };
    let updated = ds
        .update_registration_entry(&change, &mask)
        .await
        .expect("update");
    assert_eq!(
        (
            updated.x509_svid_ttl,
            updated.hint.as_str(),
            updated.revision_number
        ),
        (60, "primary", 1)
    );
    let mask = EntryMask {
        selectors: true,
        dns_names: true,
        additional_attributes: true,
        ..EntryMask::default()
    };
    let change = RegistrationEntry {
        selectors: vec![sel("k:v")],
        dns_names: vec![],
        jwt_svid_include_jti: true,
        disable_x509_svid_prefetch: false,
        ..created.clone()
    };
    let updated = ds
        .update_registration_entry(&change, &mask)
        .await
        .expect("update 2");
    assert_eq!(updated.revision_number, 2);
    assert_eq!(updated.selectors, vec![sel("k:v")]);
    assert!(
        updated.dns_names.is_empty()
            && updated.jwt_svid_include_jti
            && !updated.disable_x509_svid_prefetch
    );
    assert_eq!(
        ds.fetch_registration_entry(&created.entry_id)
            .await
            .expect("fetch"),
        Some(updated.clone())
    );

    let deleted = ds
        .delete_registration_entry(&created.entry_id)
        .await
        .expect("delete");
    assert_eq!(deleted, updated);
    assert_eq!(
        ds.fetch_registration_entry(&created.entry_id)
            .await
            .expect("fetch"),
        None
    );
    let again = ds.delete_registration_entry(&created.entry_id).await;
    assert!(
        matches!(again, Err(DataStoreError::NotFound(_))),
        "second delete: {again:?}"
    );
    let missing = ds
        .update_registration_entry(&created, &EntryMask::all())
        .await;
    assert!(
        matches!(missing, Err(DataStoreError::NotFound(_))),
        "update missing: {missing:?}"
    );
}

pub async fn already_exists(ds: &dyn DataStore) {
    let first = ds
        .create_registration_entry(&entry("w", &["a:1", "b:2"]))
        .await
        .expect("create");
    let same = entry("w", &["b:2", "a:1"]);
    match ds.create_registration_entry(&same).await {
        Err(DataStoreError::EntryAlreadyExists(existing)) => assert_eq!(*existing, first),
        other => panic!("identical entry must be refused with the existing one, got {other:?}"),
    }
    ds.create_registration_entry(&entry("w", &["a:1"]))
        .await
        .expect("different selector set is fine");
    let taken_id = RegistrationEntry {
        entry_id: first.entry_id.clone(),
        ..entry("other", &["c:3"])
    };
    let dup = ds.create_registration_entry(&taken_id).await;
    assert!(
        matches!(dup, Err(DataStoreError::AlreadyExists(_))),
        "duplicate entry id: {dup:?}"
    );
}

pub async fn paging(ds: &dyn DataStore) {
    for i in 0..25 {
        ds.create_registration_entry(&entry(&format!("w{i:02}"), &["unix:uid:1"]))
            .await
            .expect("create");
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut request = Pagination::first(10);
    loop {
        let page = ds
            .list_registration_entries(&EntryFilter::default(), Some(&request))
            .await
            .expect("page");
        pages += 1;
        seen.extend(paths(&page.items));
        match page.next_token {
            Some(token) => request.token = token,
            None => break,
        }
        assert!(pages < 10, "paging must terminate");
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..25).map(|i| format!("w{i:02}")).collect();
    assert_eq!(seen, want, "every entry exactly once, in order");

    let huge = Pagination::first(MAX_PAGE_SIZE + 500);
    let all = ds
        .list_registration_entries(&EntryFilter::default(), Some(&huge))
        .await
        .expect("clamped");
    assert_eq!((all.items.len(), all.next_token), (25, None));
}

pub async fn selector_match_modes(ds: &dyn DataStore) {
    ds.create_registration_entry(&entry("ab", &["t:a", "t:b"]))
        .await
        .expect("create");
    ds.create_registration_entry(&entry("a", &["t:a"]))
        .await
        .expect("create");
    ds.create_registration_entry(&entry("abc", &["t:a", "t:b", "t:c"]))
        .await
        .expect("create");
    ds.create_registration_entry(&entry("d", &["t:d"]))
        .await
        .expect("create");
    let f = |selectors: &[&str], behavior| EntryFilter {
        by_selectors: Some(SelectorMatch {
            selectors: selectors.iter().map(|s| sel(s)).collect(),
            behavior,
        }),
        ..EntryFilter::default()
    };
    assert_eq!(
        list(ds, &f(&["t:a", "t:b"], MatchBehavior::Exact)).await,
        ["ab"]
    );
    assert_eq!(
        list(ds, &f(&["t:a", "t:b"], MatchBehavior::Subset)).await,
        ["ab", "a"]
    );
    assert_eq!(
        list(ds, &f(&["t:a", "t:b"], MatchBehavior::Superset)).await,
        ["ab", "abc"]
    );
    assert_eq!(
        list(ds, &f(&["t:b", "t:d"], MatchBehavior::Any)).await,
        ["ab", "abc", "d"]
    );
    let empty = ds
        .list_registration_entries(&f(&[], MatchBehavior::Any), None)
        .await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "empty selector filter: {empty:?}"
    );
}

pub async fn federates_with_match_modes(ds: &dyn DataStore) {
    for td in ["one.org", "two.org", "three.org"] {
        let b = Bundle {
            trust_domain: td.into(),
            x509_authorities: vec![X509Authority {
                der: vec![1],
                tainted: false,
            }],
            ..Bundle::default()
        };
        ds.create_bundle(&b).await.expect("bundle");
    }
    for (path, tds) in [
        ("e12", &["one.org", "two.org"][..]),
        ("e1", &["one.org"]),
        ("e123", &["one.org", "two.org", "three.org"]),
        ("none", &[]),
    ] {
        let e = RegistrationEntry {
            federates_with: tds.iter().map(|s| (*s).to_owned()).collect(),
            ..entry(path, &["x:y"])
        };
        ds.create_registration_entry(&e).await.expect("create");
    }
    let f = |tds: &[&str], behavior| EntryFilter {
        by_federates_with: Some(FederatesWithMatch {
            trust_domains: tds.iter().map(|s| (*s).to_owned()).collect(),
            behavior,
        }),
        ..EntryFilter::default()
    };
    assert_eq!(
        list(ds, &f(&["one.org", "two.org"], MatchBehavior::Exact)).await,
        ["e12"]
    );
    assert_eq!(
        list(ds, &f(&["one.org", "two.org"], MatchBehavior::Subset)).await,
        ["e12", "e1"]
    );
    assert_eq!(
        list(ds, &f(&["one.org", "two.org"], MatchBehavior::Superset)).await,
        ["e12", "e123"]
    );
    assert_eq!(
        list(ds, &f(&["three.org"], MatchBehavior::Any)).await,
        ["e123"]
    );
    let fetched = ds
        .list_registration_entries(&f(&["three.org"], MatchBehavior::Any), None)
        .await
        .expect("list");
    assert_eq!(
        fetched.items[0].federates_with,
        ["one.org", "three.org", "two.org"]
    );
    let unknown = ds
        .create_registration_entry(&RegistrationEntry {
            federates_with: vec!["nobundle.org".into()],
            ..entry("u", &["x:z"])
        })
        .await;
    assert!(
        matches!(unknown, Err(DataStoreError::InvalidArgument(_))),
        "unknown federated td: {unknown:?}"
    );
}

pub async fn simple_filters(ds: &dyn DataStore) {
    let mut a = entry("a", &["t:1"]);
    a.hint = "h1".into();
    let mut b = entry("b", &["t:2"]);
    b.parent_id = "spiffe://td/other".into();
    b.downstream = true;
    for e in [&a, &b] {
        ds.create_registration_entry(e).await.expect("create");
    }
    let by = |f: EntryFilter| f;
    assert_eq!(
        list(
            ds,
            &by(EntryFilter {
                by_spiffe_id: Some("spiffe://td/b".into()),
                ..Default::default()
            })
        )
        .await,
        ["b"]
    );
    assert_eq!(
        list(
            ds,
            &by(EntryFilter {
                by_parent_id: Some(a.parent_id.clone()),
                ..Default::default()
            })
        )
        .await,
        ["a"]
    );
    assert_eq!(
        list(
            ds,
            &by(EntryFilter {
                by_hint: Some("h1".into()),
                ..Default::default()
            })
        )
        .await,
        ["a"]
    );
    assert_eq!(
        list(
            ds,
            &by(EntryFilter {
                by_downstream: Some(true),
                ..Default::default()
            })
        )
        .await,
        ["b"]
    );
    assert_eq!(list(ds, &EntryFilter::default()).await, ["a", "b"]);
}

pub async fn prune(ds: &dyn DataStore) {
    for (path, expiry) in [("never", 0), ("old", 100), ("later", 5000)] {
        let e = RegistrationEntry {
            expires_at: expiry,
            ..entry(path, &["t:1"])
        };
        ds.create_registration_entry(&e).await.expect("create");
    }
    assert_eq!(ds.prune_registration_entries(1000).await.expect("prune"), 1);
    assert_eq!(list(ds, &EntryFilter::default()).await, ["never", "later"]);
}

pub async fn bad_input(ds: &dyn DataStore) {
    let cases = [
        (
            "empty spiffe_id",
            RegistrationEntry {
                spiffe_id: String::new(),
                ..entry("x", &["t:1"])
            },
        ),
        ("no selectors", entry("x", &[])),
        (
            "negative ttl",
            RegistrationEntry {
                x509_svid_ttl: -1,
                ..entry("x", &["t:1"])
            },
        ),
        (
            "bad entry id",
            RegistrationEntry {
                entry_id: "has space".into(),
                ..entry("x", &["t:1"])
            },
        ),
        (
            "long entry id",
            RegistrationEntry {
                entry_id: "a".repeat(256),
                ..entry("x", &["t:1"])
            },
        ),
        (
            "mixed store_svid",
            RegistrationEntry {
                store_svid: true,
                ..entry("x", &["a:1", "b:1"])
            },
        ),
    ];
    for (what, e) in cases {
        let got = ds.create_registration_entry(&e).await;
        assert!(
            matches!(got, Err(DataStoreError::InvalidArgument(_))),
            "{what}: {got:?}"
        );
    }
    let created = ds
        .create_registration_entry(&entry("ok", &["t:1"]))
        .await
        .expect("create");
    let blank = RegistrationEntry {
        spiffe_id: String::new(),
        ..created
    };
    let got = ds
        .update_registration_entry(
            &blank,
            &EntryMask {
                spiffe_id: true,
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(got, Err(DataStoreError::InvalidArgument(_))),
        "update to empty spiffe_id: {got:?}"
    );
}
