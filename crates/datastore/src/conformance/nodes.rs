use super::sel;
use crate::error::DataStoreError;
use crate::query::{AttestedNodeFilter, MatchBehavior, Pagination, SelectorMatch};
use crate::records::{AttestedNode, AttestedNodeMask};
use crate::store::DataStore;

fn node(id: &str, kind: &str, serial: &str, expires_at: i64, can_reattest: bool) -> AttestedNode {
    AttestedNode {
        spiffe_id: format!("spiffe://td/spire/agent/{id}"),
        attestation_type: kind.into(),
        serial_number: serial.into(),
        expires_at,
        can_reattest,
        ..AttestedNode::default()
    }
}

pub async fn crud_and_ban(ds: &dyn DataStore) {
    let mut n = node("a", "join_token", "1", 5000, false);
    n.selectors = vec![sel("k8s:ns:x"), sel("aws:region:eu")];
    ds.create_attested_node(&n).await.expect("create");
    let dup = ds.create_attested_node(&n).await;
    assert!(
        matches!(dup, Err(DataStoreError::AlreadyExists(_))),
        "duplicate node: {dup:?}"
    );

    let fetched = ds
        .fetch_attested_node(&n.spiffe_id)
        .await
        .expect("fetch")
        .expect("exists");
    assert_eq!(fetched.expires_at, 5000);
    assert_eq!(
        fetched.selectors,
        vec![sel("aws:region:eu"), sel("k8s:ns:x")]
    );
    assert_eq!(
        ds.fetch_attested_node("spiffe://td/none")
            .await
            .expect("fetch"),
        None
    );

    let rotated = AttestedNode {
        new_serial_number: "2".into(),
        new_expires_at: 9000,
        agent_version: "1.16.0".into(),
        ..n.clone()
    };
    let mask = AttestedNodeMask {
        new_serial_number: true,
        new_expires_at: true,
        agent_version: true,
        ..Default::default()
    };
    let updated = ds
        .update_attested_node(&rotated, &mask)
        .await
        .expect("update");
    assert_eq!(
        (
            updated.serial_number.as_str(),
            updated.new_serial_number.as_str()
        ),
        ("1", "2")
    );
    assert_eq!(
        (updated.new_expires_at, updated.agent_version.as_str()),
        (9000, "1.16.0")
    );

    let banned = ds.ban_attested_node(&n.spiffe_id).await.expect("ban");
    assert!(banned.is_banned(), "ban clears serials: {banned:?}");
    assert_eq!(banned.new_serial_number, "");
    let stored = ds
        .fetch_attested_node(&n.spiffe_id)
        .await
        .expect("fetch")
        .expect("exists");
    assert!(stored.is_banned(), "ban persisted");

    let deleted = ds.delete_attested_node(&n.spiffe_id).await.expect("delete");
    assert_eq!(deleted.spiffe_id, n.spiffe_id);
    assert_eq!(
        ds.fetch_attested_node(&n.spiffe_id).await.expect("fetch"),
        None
    );
    assert!(
        ds.node_selectors(&n.spiffe_id)
            .await
            .expect("selectors")
            .is_empty(),
        "selectors deleted too"
    );
    let missing = ds.update_attested_node(&n, &AttestedNodeMask::all()).await;
    assert!(
        matches!(missing, Err(DataStoreError::NotFound(_))),
        "update missing: {missing:?}"
    );
    let empty = ds.create_attested_node(&AttestedNode::default()).await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "empty id: {empty:?}"
    );
}

pub async fn filters(ds: &dyn DataStore) {
    let nodes = [
        node("a", "join_token", "1", 100, false),
        node("b", "x509pop", "2", 200, true),
        node("c", "x509pop", "", 300, true),
    ];
    for n in &nodes {
        ds.create_attested_node(n).await.expect("create");
    }
    ds.set_node_selectors(&nodes[0].spiffe_id, &[sel("t:1"), sel("t:2")])
        .await
        .expect("selectors");
    ds.set_node_selectors(&nodes[1].spiffe_id, &[sel("t:1")])
        .await
        .expect("selectors");
    let ids = |page: Vec<AttestedNode>| -> Vec<String> {
        page.into_iter()
            .map(|n| {
                n.spiffe_id
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let cases: Vec<(AttestedNodeFilter, Vec<&str>)> = vec![
        (
            AttestedNodeFilter {
                by_attestation_type: Some("x509pop".into()),
                ..Default::default()
            },
            vec!["b", "c"],
        ),
        (
            AttestedNodeFilter {
                by_banned: Some(true),
                ..Default::default()
            },
            vec!["c"],
        ),
        (
            AttestedNodeFilter {
                by_banned: Some(false),
                ..Default::default()
            },
            vec!["a", "b"],
        ),
        (
            AttestedNodeFilter {
                by_can_reattest: Some(false),
                ..Default::default()
            },
            vec!["a"],
        ),
        (
            AttestedNodeFilter {
                by_expires_before: Some(250),
                ..Default::default()
            },
            vec!["a", "b"],
        ),
        (
            selector_filter(&["t:1"], MatchBehavior::Superset),
            vec!["a", "b"],
        ),
        (selector_filter(&["t:1"], MatchBehavior::Exact), vec!["b"]),
        (
            selector_filter(&["t:1", "t:2", "t:3"], MatchBehavior::Subset),
            vec!["a", "b"],
        ),
        (
            selector_filter(&["t:2", "t:9"], MatchBehavior::Any),
            vec!["a"],
        ),
    ];
    for (filter, want) in cases {
        let page = ds.list_attested_nodes(&filter, None).await.expect("list");
        assert_eq!(ids(page.items), want, "filter {filter:?}");
        let count = ds.count_attested_nodes(&filter).await.expect("count");
        assert_eq!(count, want.len() as u64, "count for {filter:?}");
    }
    let with_selectors = AttestedNodeFilter {
        fetch_selectors: true,
        ..Default::default()
    };
    let page = ds
        .list_attested_nodes(&with_selectors, Some(&Pagination::first(1)))
        .await
        .expect("list");
    assert_eq!(page.items[0].selectors, vec![sel("t:1"), sel("t:2")]);
    assert!(
        page.next_token.is_some(),
        "full page of one has a successor"
    );
}

fn selector_filter(selectors: &[&str], behavior: MatchBehavior) -> AttestedNodeFilter {
    AttestedNodeFilter {
        by_selector_match: Some(SelectorMatch {
            selectors: selectors.iter().map(|s| sel(s)).collect(),
            behavior,
        }),
        ..Default::default()
    }
}

pub async fn node_selectors(ds: &dyn DataStore) {
    let id = "spiffe://td/spire/agent/x";
    assert!(
        ds.node_selectors(id).await.expect("none yet").is_empty(),
        "no selectors yet"
    );
    ds.set_node_selectors(id, &[sel("b:2"), sel("a:1"), sel("a:1")])
        .await
        .expect("set");
    assert_eq!(
        ds.node_selectors(id).await.expect("get"),
        vec![sel("a:1"), sel("b:2")]
    );
    ds.set_node_selectors(id, &[sel("c:3")])
        .await
        .expect("replace");
    assert_eq!(ds.node_selectors(id).await.expect("get"), vec![sel("c:3")]);
    let empty = ds.set_node_selectors("", &[]).await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "empty id: {empty:?}"
    );
}

pub async fn prune(ds: &dyn DataStore) {
    for n in [
        node("old-re", "x", "1", 100, true),
        node("old-no", "x", "2", 100, false),
        node("new", "x", "3", 900, true),
        node("old-banned", "x", "", 100, true),
    ] {
        ds.create_attested_node(&n).await.expect("create");
    }
    assert_eq!(ds.prune_attested_nodes(500, false).await.expect("prune"), 1);
    assert_eq!(
        ds.count_attested_nodes(&AttestedNodeFilter::default())
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        ds.prune_attested_nodes(500, true).await.expect("prune all"),
        1
    );
    let left = ds
        .list_attested_nodes(&AttestedNodeFilter::default(), None)
        .await
        .expect("list")
        .items;
    let mut ids: Vec<&str> = left.iter().map(|n| n.spiffe_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "spiffe://td/spire/agent/new",
            "spiffe://td/spire/agent/old-banned"
        ],
        "an expired banned agent is never pruned (it could attest again)"
    );
}
