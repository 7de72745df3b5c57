//! Manager behaviour against a `FakeServer` and a `FakeClock`, on Tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;
use spire_ca::clock::{Clock, FakeClock};
use spire_spiffe::{Bundle, Selector, SpiffeId, TrustDomain};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::fake_server::FakeServer;
use super::{Manager, ManagerSettings};
use crate::identity::{AgentEntry, IdentityError, IdentityProvider, WorkloadUpdate};

struct Harness {
    server: Arc<FakeServer>,
    manager: Arc<Manager>,
    clock: FakeClock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Harness {
    fn start(entries: Vec<AgentEntry>) -> Self {
        Self::start_with(
            entries,
            ManagerSettings::new(TrustDomain::new("example.org").expect("valid")),
        )
    }

    fn start_with(entries: Vec<AgentEntry>, settings: ManagerSettings) -> Self {
        let clock = FakeClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let server = Arc::new(FakeServer::new(clock.clone(), entries));
        let manager = Manager::with_rng(
            server.clone(),
            Arc::new(clock.clone()),
            settings,
            Some(bundle(1)),
            StdRng::seed_from_u64(9),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(manager.clone().run(async move {
            let _ = stopped.await;
        }));
        Harness {
            server,
            manager,
            clock,
            stop: Some(stop),
            task,
        }
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("manager task ends cleanly");
    }
}

fn bundle(seq: u64) -> Bundle {
    Bundle {
        trust_domain: "example.org".to_owned(),
        sequence_number: seq,
        ..Bundle::default()
    }
}

fn sel(s: &str) -> Selector {
    s.parse().expect("test selectors are type:value")
}

fn entry(id: &str, selector: &str) -> AgentEntry {
    AgentEntry {
        entry_id: id.to_owned(),
        spiffe_id: SpiffeId::new(&format!("spiffe://example.org/{id}")).expect("valid test ID"),
        parent_id: Some(SpiffeId::new("spiffe://example.org/agent").expect("valid test ID")),
        selectors: vec![sel(selector)],
        x509_svid_ttl: 0,
        jwt_svid_ttl: 0,
        dns_names: vec![],
        federates_with: vec![],
        revision_number: 1,
        hint: String::new(),
        created_at: 1,
        admin: false,
        downstream: false,
        store_svid: false,
        disable_x509_svid_prefetch: false,
        jwt_svid_include_jti: false,
    }
}

/// Waits (in paused Tokio time) until the stream shows an update satisfying `pred`.
async fn wait_for(
    rx: &mut watch::Receiver<Arc<WorkloadUpdate>>,
    pred: impl Fn(&WorkloadUpdate) -> bool,
) -> Arc<WorkloadUpdate> {
    let wait = async {
        loop {
            let current = rx.borrow_and_update().clone();
            if pred(&current) {
                return current;
            }
            rx.changed().await.expect("manager keeps the sender alive");
        }
    };
    tokio::time::timeout(Duration::from_secs(600), wait)
        .await
        .expect("update arrives within 10 virtual minutes")
}

fn chain_of(update: &WorkloadUpdate) -> Vec<Vec<u8>> {
    update
        .identities
        .first()
        .map(|i| i.cert_chain.clone())
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn subscriber_receives_its_svid_after_the_first_sync() {
    let h = Harness::start(vec![
        entry("web", "unix:uid:1000"),
        entry("db", "unix:uid:2000"),
    ]);
    let mut rx = h
        .manager
        .subscribe(vec![sel("unix:uid:1000"), sel("unix:gid:1")]);
    let update = wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    assert_eq!(update.identities.len(), 1);
    assert_eq!(update.identities[0].spiffe_id, "spiffe://example.org/web");
    assert!(!update.identities[0].private_key_pkcs8.is_empty());
    assert_eq!(update.bundle, Some(bundle(1)));
    assert!(h.manager.last_sync_success().is_some());
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rotation_puts_a_new_svid_on_the_stream_after_half_life() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    let first = chain_of(&*wait_for(&mut rx, |u| !u.identities.is_empty()).await);
    // 1 h SVIDs renew at 30 min ± 3 min: nothing yet at 20 min.
    h.clock.advance(Duration::from_secs(20 * 60));
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(chain_of(&rx.borrow()), first);
    h.clock.advance(Duration::from_secs(20 * 60));
    let rotated = wait_for(&mut rx, |u| {
        chain_of(u) != first && !u.identities.is_empty()
    })
    .await;
    assert_eq!(rotated.identities[0].entry_id, "web");
    assert_eq!(h.server.minted_svids(), 2);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn server_down_keeps_serving_cached_svids_and_sync_resumes_after() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    let first = chain_of(&*wait_for(&mut rx, |u| !u.identities.is_empty()).await);
    let synced_at = h.manager.last_sync_success();

    h.server.set_down(true);
    // Past half life: renewal is attempted and fails, the old SVID stays.
    h.clock.advance(Duration::from_secs(40 * 60));
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(chain_of(&rx.borrow()), first);
    let late = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    assert_eq!(
        chain_of(&late.borrow()),
        first,
        "new subscribers get the cached SVID"
    );
    assert_eq!(h.manager.last_sync_success(), synced_at);
    let syncs_while_down = h.server.syncs.load(Ordering::SeqCst);

    h.server.set_down(false);
    h.clock.advance(Duration::from_secs(1));
    let renewed = wait_for(&mut rx, |u| chain_of(u) != first).await;
    assert_eq!(renewed.identities.len(), 1);
    assert_eq!(h.manager.last_sync_success(), Some(h.clock.now()));
    assert!(h.server.syncs.load(Ordering::SeqCst) > syncs_while_down);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn deleted_entry_is_removed_from_the_stream() {
    let h = Harness::start(vec![
        entry("web", "unix:uid:1000"),
        entry("web2", "unix:uid:1000"),
    ]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    wait_for(&mut rx, |u| u.identities.len() == 2).await;
    h.server.set_entries(vec![entry("web2", "unix:uid:1000")]);
    let update = wait_for(&mut rx, |u| u.identities.len() == 1).await;
    assert_eq!(update.identities[0].entry_id, "web2");
    assert_eq!(h.manager.counts().x509_svids, 1);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn two_hundred_concurrent_subscribers_are_all_served() {
    let entries: Vec<_> = (0..200)
        .map(|i| entry(&format!("e{i:03}"), &format!("unix:uid:{i}")))
        .collect();
    let h = Harness::start(entries);
    let waiters: Vec<_> = (0..200)
        .map(|i| {
            let manager = h.manager.clone();
            tokio::spawn(async move {
                let mut rx = manager.subscribe(vec![sel(&format!("unix:uid:{i}"))]);
                let update = wait_for(&mut rx, |u| !u.identities.is_empty()).await;
                update.identities[0].entry_id.clone()
            })
        })
        .collect();
    for (i, waiter) in waiters.into_iter().enumerate() {
        assert_eq!(waiter.await.expect("subscriber task"), format!("e{i:03}"));
    }
    assert_eq!(h.server.minted_svids(), 200, "one SVID per entry");
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn svids_are_minted_in_batches_of_at_most_500() {
    let entries: Vec<_> = (0..1100)
        .map(|i| entry(&format!("e{i:04}"), &format!("unix:uid:{i}")))
        .collect();
    let settings = ManagerSettings {
        x509_svid_cache_max_size: 2000,
        ..ManagerSettings::new(TrustDomain::new("example.org").expect("valid"))
    };
    let h = Harness::start_with(entries, settings);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1099")]);
    wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    let batches = h
        .server
        .x509_batches
        .lock()
        .expect("fake server lock")
        .clone();
    assert_eq!(batches, vec![500, 500, 100]);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn jwt_svids_are_cached_per_audience_until_half_life() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    let selectors = [sel("unix:uid:1000")];
    let aud = vec!["a".to_owned(), "b".to_owned()];
    let first = h
        .manager
        .fetch_jwt_svids(&selectors, &aud, None)
        .await
        .expect("jwt");
    let reordered = vec!["b".to_owned(), "a".to_owned()];
    let again = h
        .manager
        .fetch_jwt_svids(&selectors, &reordered, None)
        .await
        .expect("jwt");
    assert_eq!(first, again);
    assert_eq!(first[0].spiffe_id, "spiffe://example.org/web");
    assert_eq!(h.server.jwt_calls.load(Ordering::SeqCst), 1);
    // 300 s tokens: refreshed past 150 s.
    h.clock.advance(Duration::from_secs(151));
    let refreshed = h
        .manager
        .fetch_jwt_svids(&selectors, &aud, None)
        .await
        .expect("jwt");
    assert_ne!(refreshed[0].token, first[0].token);
    assert_eq!(h.server.jwt_calls.load(Ordering::SeqCst), 2);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn jwt_svids_with_jti_bypass_the_cache() {
    let mut with_jti = entry("web", "unix:uid:1000");
    with_jti.jwt_svid_include_jti = true;
    let h = Harness::start(vec![with_jti]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    let selectors = [sel("unix:uid:1000")];
    let aud = vec!["a".to_owned()];
    let one = h
        .manager
        .fetch_jwt_svids(&selectors, &aud, None)
        .await
        .expect("jwt");
    let two = h
        .manager
        .fetch_jwt_svids(&selectors, &aud, None)
        .await
        .expect("jwt");
    assert_ne!(one[0].token, two[0].token);
    assert_eq!(h.manager.counts().jwt_svids, 0);
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn jwt_errors_name_what_went_wrong() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    let selectors = [sel("unix:uid:1000")];
    let aud = vec!["a".to_owned()];
    let no_aud = h.manager.fetch_jwt_svids(&selectors, &[], None).await;
    assert!(matches!(no_aud, Err(IdentityError::InvalidArgument(_))));
    let stranger = h
        .manager
        .fetch_jwt_svids(&[sel("unix:uid:5")], &aud, None)
        .await;
    assert_eq!(stranger, Err(IdentityError::NoIdentity));
    let other_id = h
        .manager
        .fetch_jwt_svids(&selectors, &aud, Some("spiffe://example.org/other"))
        .await;
    assert_eq!(other_id, Err(IdentityError::NoIdentity));
    h.server.set_down(true);
    let down = h.manager.fetch_jwt_svids(&selectors, &aud, None).await;
    assert!(
        matches!(down, Err(IdentityError::Unavailable(_))),
        "{down:?}"
    );
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bundle_changes_reach_the_bundles_watch() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut bundles = h.manager.bundles();
    assert_eq!(
        bundles.borrow_and_update().get("example.org"),
        Some(&bundle(1))
    );
    h.server.state.lock().expect("fake server lock").bundle = Some(bundle(2));
    tokio::time::timeout(Duration::from_secs(60), bundles.changed())
        .await
        .expect("bundle change within a minute")
        .expect("sender alive");
    assert_eq!(bundles.borrow().get("example.org"), Some(&bundle(2)));
    h.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn debug_output_of_the_manager_and_its_updates_never_shows_workload_keys() {
    let h = Harness::start(vec![entry("web", "unix:uid:1000")]);
    let mut rx = h.manager.subscribe(vec![sel("unix:uid:1000")]);
    let update = wait_for(&mut rx, |u| !u.identities.is_empty()).await;
    let key = format!(
        "{:?}",
        update.identities[0].private_key_pkcs8.expose_secret()
    );
    // The bytes as a derived `Debug` of a `Vec<u8>` would list them.
    let listed = &key[1..key.len() - 1];
    for shown in [format!("{:?}", h.manager), format!("{update:?}")] {
        assert!(shown.contains("bytes redacted"), "the key is in: {shown}");
        assert!(
            !shown.contains(listed),
            "private key bytes printed: {shown}"
        );
    }
    h.shutdown().await;
}
