use spire_spiffe::{Bundle, JwtAuthority, X509Authority};

use super::sel;
use crate::error::DataStoreError;
use crate::query::{BundleDeleteMode, Pagination};
use crate::records::RegistrationEntry;
use crate::store::DataStore;

fn bundle(td: &str, der: &[u8]) -> Bundle {
    Bundle {
        trust_domain: td.into(),
        x509_authorities: vec![X509Authority {
            der: der.to_vec(),
            tainted: false,
        }],
        jwt_authorities: vec![],
        refresh_hint: 60,
        sequence_number: 1,
    }
}

fn jwt(kid: &str, expires_at: i64) -> JwtAuthority {
    JwtAuthority {
        key_id: kid.into(),
        public_key_der: kid.as_bytes().to_vec(),
        expires_at,
        tainted: false,
    }
}

pub async fn bundle_crud(ds: &dyn DataStore) {
    let b = bundle("a.org", b"ca-a");
    assert_eq!(ds.create_bundle(&b).await.expect("create"), b);
    let dup = ds.create_bundle(&b).await;
    assert!(
        matches!(dup, Err(DataStoreError::AlreadyExists(_))),
        "duplicate bundle: {dup:?}"
    );
    assert_eq!(
        ds.fetch_bundle("a.org").await.expect("fetch"),
        Some(b.clone())
    );
    assert_eq!(
        ds.fetch_bundle("missing.org").await.expect("fetch missing"),
        None
    );

    let replaced = bundle("a.org", b"ca-a2");
    ds.set_bundle(&replaced).await.expect("set existing");
    assert_eq!(
        ds.fetch_bundle("a.org").await.expect("fetch"),
        Some(replaced)
    );
    ds.set_bundle(&bundle("b.org", b"ca-b"))
        .await
        .expect("set creates");
    ds.set_bundle(&bundle("c.org", b"ca-c"))
        .await
        .expect("set creates");
    assert_eq!(ds.count_bundles().await.expect("count"), 3);

    let first = ds
        .list_bundles(Some(&Pagination::first(2)))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let token = first
        .next_token
        .clone()
        .expect("full page has a next token");
    let second = ds
        .list_bundles(Some(&Pagination {
            token,
            page_size: 2,
        }))
        .await
        .expect("page 2");
    let names: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|b| b.trust_domain.clone())
        .collect();
    assert_eq!(names, ["a.org", "b.org", "c.org"]);
    assert_eq!(second.next_token, None);
    assert_eq!(ds.list_bundles(None).await.expect("all").items.len(), 3);
}

pub async fn append_dedups_and_bumps_sequence(ds: &dyn DataStore) {
    let mut b = bundle("a.org", b"ca-1");
    b.jwt_authorities.push(jwt("k1", 0));
    let created = ds.append_bundle(&b).await.expect("append creates");
    assert_eq!(created.sequence_number, 1);

    let same = ds.append_bundle(&b).await.expect("append same");
    assert_eq!(same.sequence_number, 1, "nothing new: sequence unchanged");
    assert_eq!(same.x509_authorities.len(), 1);

    let mut more = bundle("a.org", b"ca-1");
    more.x509_authorities.push(X509Authority {
        der: b"ca-2".to_vec(),
        tainted: false,
    });
    more.jwt_authorities = vec![jwt("k1", 0), jwt("k2", 0)];
    let merged = ds.append_bundle(&more).await.expect("append new");
    assert_eq!(merged.sequence_number, 2);
    let ders: Vec<_> = merged
        .x509_authorities
        .iter()
        .map(|a| a.der.clone())
        .collect();
    assert_eq!(ders, [b"ca-1".to_vec(), b"ca-2".to_vec()]);
    let kids: Vec<_> = merged
        .jwt_authorities
        .iter()
        .map(|k| k.key_id.clone())
        .collect();
    assert_eq!(kids, ["k1", "k2"]);
    assert_eq!(ds.fetch_bundle("a.org").await.expect("fetch"), Some(merged));
}

pub async fn delete_modes(ds: &dyn DataStore) {
    for td in ["r.org", "d.org", "x.org"] {
        ds.create_bundle(&bundle(td, b"ca"))
            .await
            .expect("create bundle");
    }
    let mut ids = Vec::new();
    for (i, td) in ["r.org", "d.org", "x.org"].iter().enumerate() {
        let entry = RegistrationEntry {
            spiffe_id: format!("spiffe://td/w{i}"),
            parent_id: "spiffe://td/agent".into(),
            selectors: vec![sel("unix:uid:1")],
            federates_with: vec![(*td).to_owned()],
            ..RegistrationEntry::default()
        };
        ids.push(
            ds.create_registration_entry(&entry)
                .await
                .expect("create entry")
                .entry_id,
        );
    }
    let restricted = ds.delete_bundle("r.org", BundleDeleteMode::Restrict).await;
    assert!(
        matches!(restricted, Err(DataStoreError::FailedPrecondition(_))),
        "restrict: {restricted:?}"
    );
    assert!(
        ds.fetch_bundle("r.org").await.expect("fetch").is_some(),
        "restricted bundle kept"
    );

    ds.delete_bundle("d.org", BundleDeleteMode::Delete)
        .await
        .expect("delete mode");
    assert_eq!(
        ds.fetch_registration_entry(&ids[1]).await.expect("fetch"),
        None,
        "entry deleted with bundle"
    );

    ds.delete_bundle("x.org", BundleDeleteMode::Dissociate)
        .await
        .expect("dissociate mode");
    let kept = ds
        .fetch_registration_entry(&ids[2])
        .await
        .expect("fetch")
        .expect("entry kept");
    assert!(
        kept.federates_with.is_empty(),
        "dissociated: {:?}",
        kept.federates_with
    );

    let missing = ds.delete_bundle("none.org", BundleDeleteMode::Delete).await;
    assert!(
        matches!(missing, Err(DataStoreError::NotFound(_))),
        "missing bundle: {missing:?}"
    );
}

pub async fn prune_expired_jwt_keys(ds: &dyn DataStore) {
    let b = Bundle {
        trust_domain: "p.org".into(),
        jwt_authorities: vec![jwt("old", 100), jwt("new", 10_000), jwt("forever", 0)],
        sequence_number: 3,
        ..Bundle::default()
    };
    ds.create_bundle(&b).await.expect("create");
    assert!(
        ds.prune_bundle("p.org", 1000).await.expect("prune"),
        "an expired key was removed"
    );
    let pruned = ds
        .fetch_bundle("p.org")
        .await
        .expect("fetch")
        .expect("bundle kept");
    let kids: Vec<_> = pruned
        .jwt_authorities
        .iter()
        .map(|k| k.key_id.clone())
        .collect();
    assert_eq!(kids, ["new", "forever"]);
    assert_eq!(pruned.sequence_number, 4);
    assert!(
        !ds.prune_bundle("p.org", 1000).await.expect("prune again"),
        "nothing left to prune"
    );
}

pub async fn bad_input(ds: &dyn DataStore) {
    let empty = ds.create_bundle(&Bundle::default()).await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "empty trust domain: {empty:?}"
    );
    let schemed = ds.set_bundle(&bundle("spiffe://a.org", b"x")).await;
    assert!(
        matches!(schemed, Err(DataStoreError::InvalidArgument(_))),
        "scheme: {schemed:?}"
    );
    let zero = ds.list_bundles(Some(&Pagination::first(0))).await;
    assert!(
        matches!(zero, Err(DataStoreError::InvalidArgument(_))),
        "page size 0: {zero:?}"
    );
    let token = ds
        .list_bundles(Some(&Pagination {
            token: "garbage".into(),
            page_size: 5,
        }))
        .await;
    assert!(
        matches!(token, Err(DataStoreError::InvalidArgument(_))),
        "bad token: {token:?}"
    );
}
