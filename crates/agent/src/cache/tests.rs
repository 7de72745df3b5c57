//! Behaviour of the SVID cache core with plain values.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;
use spire_spiffe::{Bundle, Selector, SpiffeId};

use super::*;
use crate::identity::{AgentEntry, SyncedState};

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn sel(s: &str) -> Selector {
    s.parse().expect("test selectors are type:value")
}

fn set(selectors: &[&str]) -> SelectorSet {
    selectors.iter().map(|s| sel(s)).collect()
}

fn entry(id: &str, selectors: &[&str]) -> AgentEntry {
    AgentEntry {
        entry_id: id.to_owned(),
        spiffe_id: SpiffeId::new(&format!("spiffe://example.org/{id}")).expect("valid test ID"),
        parent_id: Some(SpiffeId::new("spiffe://example.org/agent").expect("valid test ID")),
        selectors: selectors.iter().map(|s| sel(s)).collect(),
        x509_svid_ttl: 0,
        jwt_svid_ttl: 0,
        dns_names: vec![],
        federates_with: vec![],
        revision_number: 1,
        hint: String::new(),
        created_at: 100,
        admin: false,
        downstream: false,
        store_svid: false,
        disable_x509_svid_prefetch: false,
        jwt_svid_include_jti: false,
    }
}

fn bundle(td: &str, seq: u64) -> Bundle {
    Bundle {
        trust_domain: td.to_owned(),
        sequence_number: seq,
        ..Bundle::default()
    }
}

fn synced(entries: Vec<AgentEntry>) -> SyncedState {
    SyncedState {
        entries,
        bundle: Some(bundle("example.org", 1)),
        federated_bundles: BTreeMap::new(),
    }
}

fn svid(tag: u8, revision: i64) -> CachedX509Svid {
    CachedX509Svid {
        cert_chain: vec![vec![tag]],
        private_key_pkcs8: vec![tag, tag].into(),
        not_before: t0(),
        not_after: t0() + HOUR,
        entry_revision: revision,
    }
}

fn cache_with(limit: usize, entries: Vec<AgentEntry>) -> SvidCache {
    let limits = CacheLimits {
        x509_svid_cache_max_size: limit,
        ..CacheLimits::default()
    };
    let mut cache = SvidCache::new("example.org", limits, None);
    cache.apply_sync(synced(entries));
    cache
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(42)
}

fn ids(view: &WorkloadView) -> Vec<&str> {
    view.update
        .identities
        .iter()
        .map(|i| i.entry_id.as_str())
        .collect()
}

#[test]
fn entry_matches_only_when_its_selectors_are_a_subset_of_the_workloads() {
    let mut cache = cache_with(
        10,
        vec![
            entry("a", &["unix:uid:1000"]),
            entry("b", &["unix:uid:1000", "unix:gid:50"]),
            entry("c", &["unix:uid:2000"]),
        ],
    );
    for id in ["a", "b", "c"] {
        assert!(cache.store_x509_svid(id, svid(1, 1), &mut rng()));
    }
    let only_uid = cache.workload_view(&set(&["unix:uid:1000"]));
    assert_eq!(ids(&only_uid), vec!["a"]);
    let uid_and_gid = cache.workload_view(&set(&["unix:uid:1000", "unix:gid:50", "k8s:ns:x"]));
    assert_eq!(ids(&uid_and_gid), vec!["a", "b"]);
    assert!(
        cache
            .workload_view(&set(&["unix:gid:50"]))
            .update
            .identities
            .is_empty()
    );
}

#[test]
fn identities_are_ordered_by_entry_id() {
    let mut cache = cache_with(
        10,
        vec![
            entry("zz", &["u:1"]),
            entry("aa", &["u:1"]),
            entry("mm", &["u:1"]),
        ],
    );
    for id in ["zz", "aa", "mm"] {
        cache.store_x509_svid(id, svid(1, 1), &mut rng());
    }
    assert_eq!(
        ids(&cache.workload_view(&set(&["u:1"]))),
        vec!["aa", "mm", "zz"]
    );
}

#[test]
fn duplicate_hint_keeps_only_the_oldest_entry() {
    let mut newer = entry("a", &["u:1"]);
    newer.hint = "internal".to_owned();
    newer.created_at = 200;
    let mut older = entry("b", &["u:1"]);
    older.hint = "internal".to_owned();
    older.created_at = 100;
    let mut same_age_higher_id = entry("c", &["u:1"]);
    same_age_higher_id.hint = "internal".to_owned();
    same_age_higher_id.created_at = 100;
    let plain = entry("d", &["u:1"]);
    let mut cache = cache_with(10, vec![newer, older, same_age_higher_id, plain]);
    for id in ["a", "b", "c", "d"] {
        cache.store_x509_svid(id, svid(1, 1), &mut rng());
    }
    assert_eq!(ids(&cache.workload_view(&set(&["u:1"]))), vec!["b", "d"]);
}

#[test]
fn store_svid_entries_are_not_served_to_workloads() {
    let mut stored = entry("a", &["u:1"]);
    stored.store_svid = true;
    let mut cache = cache_with(10, vec![stored, entry("b", &["u:1"])]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    cache.store_x509_svid("b", svid(2, 1), &mut rng());
    let workload = set(&["u:1"]);
    assert_eq!(ids(&cache.workload_view(&workload)), vec!["b"]);
    assert_eq!(cache.matching_entries(&workload).len(), 1);
}

#[test]
fn entries_without_svid_are_due_and_fresh_svids_are_not() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"]), entry("b", &["u:1"])]);
    assert_eq!(cache.x509_svids_due(t0()), vec!["a", "b"]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    assert_eq!(
        cache.x509_svids_due(t0() + Duration::from_secs(60)),
        vec!["b"]
    );
}

#[test]
fn svid_is_due_after_half_life_with_jitter_and_not_before() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"])]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    // 1 h SVID: renewal somewhere in 27..33 min.
    assert!(
        cache
            .x509_svids_due(t0() + Duration::from_secs(26 * 60))
            .is_empty()
    );
    assert_eq!(
        cache.x509_svids_due(t0() + Duration::from_secs(34 * 60)),
        vec!["a"]
    );
}

#[test]
fn changed_revision_makes_svid_due() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"])]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    let mut updated = entry("a", &["u:1"]);
    updated.revision_number = 2;
    cache.apply_sync(synced(vec![updated]));
    assert_eq!(cache.x509_svids_due(t0()), vec!["a"]);
    cache.store_x509_svid("a", svid(2, 2), &mut rng());
    assert!(cache.x509_svids_due(t0()).is_empty());
}

#[test]
fn prefetch_stops_at_the_limit_but_subscribed_entries_are_minted_beyond_it() {
    let mut cache = cache_with(
        2,
        vec![
            entry("a", &["u:1"]),
            entry("b", &["u:2"]),
            entry("c", &["u:3"]),
            entry("d", &["u:4"]),
        ],
    );
    assert_eq!(cache.x509_svids_due(t0()), vec!["a", "b"]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    cache.store_x509_svid("b", svid(2, 1), &mut rng());
    assert!(cache.x509_svids_due(t0()).is_empty());
    cache.subscribe(&set(&["u:4"]), t0());
    assert_eq!(cache.x509_svids_due(t0()), vec!["d"]);
}

#[test]
fn eviction_drops_least_recently_used_unsubscribed_svids_and_never_subscribed_ones() {
    let entries = vec![
        entry("a", &["u:1"]),
        entry("b", &["u:2"]),
        entry("c", &["u:3"]),
    ];
    let mut cache = cache_with(1, entries.clone());
    // "c" is subscribed (never evictable), "b" was used more recently than "a".
    cache.subscribe(&set(&["u:3"]), t0());
    cache.subscribe(&set(&["u:2"]), t0() + HOUR);
    cache.unsubscribe(&set(&["u:2"]));
    for (id, tag) in [("a", 1), ("b", 2), ("c", 3)] {
        cache.store_x509_svid(id, svid(tag, 1), &mut rng());
    }
    cache.apply_sync(synced(entries));
    assert_eq!(cache.counts().x509_svids, 1);
    assert!(cache.x509_svid("c").is_some());
    assert!(cache.x509_svid("a").is_none());
    assert!(cache.x509_svid("b").is_none());
}

#[test]
fn eviction_keeps_recently_used_when_room_for_two() {
    let entries = vec![
        entry("a", &["u:1"]),
        entry("b", &["u:2"]),
        entry("c", &["u:3"]),
    ];
    let mut cache = cache_with(2, entries.clone());
    cache.subscribe(&set(&["u:2"]), t0() + HOUR);
    cache.unsubscribe(&set(&["u:2"]));
    cache.subscribe(&set(&["u:3"]), t0());
    cache.unsubscribe(&set(&["u:3"]));
    for (id, tag) in [("a", 1), ("b", 2), ("c", 3)] {
        cache.store_x509_svid(id, svid(tag, 1), &mut rng());
    }
    cache.apply_sync(synced(entries));
    assert_eq!(cache.counts().x509_svids, 2);
    assert!(
        cache.x509_svid("a").is_none(),
        "never-accessed entry goes first"
    );
}

#[test]
fn prefetch_disabled_entries_are_minted_only_when_subscribed() {
    let mut lazy = entry("a", &["u:1"]);
    lazy.disable_x509_svid_prefetch = true;
    let mut cache = cache_with(10, vec![lazy]);
    assert!(cache.x509_svids_due(t0()).is_empty());
    cache.subscribe(&set(&["u:1", "u:9"]), t0());
    assert_eq!(cache.x509_svids_due(t0()), vec!["a"]);
}

#[test]
fn deleted_entry_loses_its_svid_and_leaves_the_workload_view() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"]), entry("b", &["u:1"])]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    cache.store_x509_svid("b", svid(2, 1), &mut rng());
    cache.apply_sync(synced(vec![entry("b", &["u:1"])]));
    assert_eq!(ids(&cache.workload_view(&set(&["u:1"]))), vec!["b"]);
    assert!(cache.x509_svid("a").is_none());
    assert!(
        !cache.store_x509_svid("a", svid(3, 1), &mut rng()),
        "late SVID of a deleted entry is dropped"
    );
}

#[test]
fn view_is_incomplete_until_every_matching_entry_has_an_svid() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"]), entry("b", &["u:1"])]);
    cache.store_x509_svid("b", svid(2, 1), &mut rng());
    let view = cache.workload_view(&set(&["u:1"]));
    assert!(!view.complete);
    assert_eq!(ids(&view), vec!["b"]);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    assert!(cache.workload_view(&set(&["u:1"])).complete);
}

#[test]
fn view_carries_own_bundle_and_only_the_federated_bundles_its_entries_ask_for() {
    let mut federating = entry("a", &["u:1"]);
    federating.federates_with = vec!["spiffe://partner.org".to_owned()];
    let limits = CacheLimits::default();
    let mut cache = SvidCache::new("example.org", limits, Some(bundle("example.org", 1)));
    let mut state = synced(vec![federating, entry("b", &["u:2"])]);
    state.bundle = None;
    state
        .federated_bundles
        .insert("partner.org".to_owned(), bundle("partner.org", 7));
    state
        .federated_bundles
        .insert("other.org".to_owned(), bundle("other.org", 3));
    cache.apply_sync(state);
    cache.store_x509_svid("a", svid(1, 1), &mut rng());
    cache.store_x509_svid("b", svid(2, 1), &mut rng());
    let view = cache.workload_view(&set(&["u:1"]));
    assert_eq!(
        view.update.bundle,
        Some(bundle("example.org", 1)),
        "own bundle kept"
    );
    assert_eq!(
        view.update.federated_bundles.keys().collect::<Vec<_>>(),
        vec!["partner.org"]
    );
    let other = cache.workload_view(&set(&["u:2"]));
    assert!(other.update.federated_bundles.is_empty());
    assert_eq!(cache.bundles().len(), 3);
}

#[test]
fn deleted_entry_drops_its_cached_jwt_svids() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"])]);
    let key = JwtSvidKey::new("spiffe://example.org/a", &["aud".to_owned()]);
    cache.jwt_svids().insert(
        key,
        crate::identity::SignedJwtSvid {
            token: "t".to_owned(),
            issued_at: 0,
            expires_at: 100,
        },
    );
    cache.apply_sync(synced(vec![]));
    assert_eq!(cache.counts().jwt_svids, 0);
    assert_eq!(cache.counts().entries, 0);
}

mod renewal_spread;

#[test]
fn debug_output_of_the_cache_its_svids_and_views_never_shows_private_keys() {
    let mut cache = cache_with(10, vec![entry("a", &["u:1"])]);
    let key: Vec<u8> = (0..64).map(|i| 200 - i).collect();
    let mut held = svid(1, 1);
    held.private_key_pkcs8 = key.clone().into();
    cache.store_x509_svid("a", held, &mut rng());
    let listed = format!("{key:?}");
    let listed = &listed[1..listed.len() - 1];
    let view = cache.workload_view(&set(&["u:1"]));
    for shown in [
        format!("{cache:?}"),
        format!("{:?}", cache.x509_svid("a")),
        format!("{view:?}"),
        format!("{:?}", view.update.identities),
    ] {
        assert!(shown.contains("64 bytes redacted"), "{shown}");
        assert!(
            !shown.contains(listed),
            "private key bytes printed: {shown}"
        );
    }
}
