use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_ca::clock::FakeClock;
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{Key, KeyManager, KeyType};
use spire_tls::{KeyManagerSvidResolver, ServerIdVerifier};

use super::csr::KeySigner;
use super::*;

/// A self-signed certificate for `key`, valid from `not_before` for `ttl`.
fn cert_for(key: &dyn Key, not_before: SystemTime, ttl: Duration) -> Vec<u8> {
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).expect("empty SAN list is valid");
    params.subject_alt_names = vec![rcgen::SanType::URI(
        "spiffe://example.org/spire/agent/join_token/t"
            .try_into()
            .expect("URI"),
    )];
    // An X509-SVID leaf's key usage (spire_tls::peer_spiffe_id checks it).
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.not_before = not_before.into();
    params.not_after = (not_before + ttl).into();
    let signer = KeySigner::new(key).expect("signer");
    params
        .self_signed(&signer)
        .expect("self-sign")
        .der()
        .to_vec()
}

fn node_attestor(km: Arc<dyn KeyManager>, storage: Arc<Storage>, clock: FakeClock) -> NodeAttestor {
    // Port 1 on localhost: any attempt to reach a server fails fast.
    let conn = ServerConnection::new(
        "127.0.0.1",
        1,
        Arc::new(ServerIdVerifier::insecure_bootstrap(
            spire_spiffe::SpiffeId::new("spiffe://example.org/spire/server")
                .expect("a valid server ID"),
        )),
        Arc::new(KeyManagerSvidResolver::new()),
    )
    .expect("connection");
    NodeAttestor {
        key_manager: km,
        storage,
        conn,
        attestor: Arc::new(JoinTokenAttestor::new("t")),
        clock: Arc::new(clock),
        trust_domain: spire_spiffe::TrustDomain::new("example.org").expect("valid"),
    }
}

#[test]
fn leaf_is_matched_to_the_key_holding_its_public_key() {
    let km = MemoryKeyManager::new();
    let a = km.generate_key(AGENT_KEY_A, KeyType::EcP256).expect("A");
    let b = km.generate_key(AGENT_KEY_B, KeyType::EcP256).expect("B");
    let leaf = cert_for(b.as_ref(), SystemTime::now(), Duration::from_secs(60));
    let found = find_key_for_leaf(&[a, b], &leaf).expect("B matches");
    assert_eq!(found.id(), AGENT_KEY_B);
}

#[test]
fn svid_counts_as_expired_one_second_before_not_after() {
    let km = MemoryKeyManager::new();
    let key = km.generate_key(AGENT_KEY_A, KeyType::EcP256).expect("key");
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let leaf = cert_for(key.as_ref(), start, Duration::from_secs(100));
    assert!(!is_expired(&leaf, start + Duration::from_secs(98)).expect("parse"));
    assert!(is_expired(&leaf, start + Duration::from_secs(99)).expect("parse"));
}

#[test]
fn new_key_takes_the_slot_the_current_key_does_not() {
    let km: Arc<dyn KeyManager> = Arc::new(MemoryKeyManager::new());
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(Storage::open(dir.path()).expect("storage"));
    let attestor = node_attestor(Arc::clone(&km), storage, FakeClock::new(SystemTime::now()));
    let first = attestor.new_key(None).expect("first");
    assert_eq!(first.id(), AGENT_KEY_A);
    let second = attestor.new_key(Some(first.as_ref())).expect("second");
    assert_eq!(second.id(), AGENT_KEY_B);
    let third = attestor.new_key(Some(second.as_ref())).expect("third");
    assert_eq!(third.id(), AGENT_KEY_A);
}

#[tokio::test]
async fn valid_stored_svid_is_reused_without_contacting_the_server() {
    let km: Arc<dyn KeyManager> = Arc::new(MemoryKeyManager::new());
    let key = km.generate_key(AGENT_KEY_B, KeyType::EcP256).expect("key");
    let now = SystemTime::now();
    let leaf = cert_for(key.as_ref(), now, Duration::from_secs(3600));
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(Storage::open(dir.path()).expect("storage"));
    storage.store_svid(vec![leaf.clone()], false).expect("svid");
    let attestor = node_attestor(km, storage, FakeClock::new(now));
    let identity = attestor
        .load_or_attest(Some(vec![leaf.clone()]))
        .await
        .expect("reused");
    assert_eq!(identity.svid, vec![leaf]);
    assert_eq!(identity.key.id(), AGENT_KEY_B);
    assert_eq!(
        identity.spiffe_id(),
        "spiffe://example.org/spire/agent/join_token/t"
    );
}

#[tokio::test]
async fn expired_stored_svid_leads_to_attestation_with_a_new_key() {
    let km: Arc<dyn KeyManager> = Arc::new(MemoryKeyManager::new());
    let key = km.generate_key(AGENT_KEY_A, KeyType::EcP256).expect("key");
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let leaf = cert_for(key.as_ref(), start, Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(Storage::open(dir.path()).expect("storage"));
    storage.store_svid(vec![leaf.clone()], false).expect("svid");
    let clock = FakeClock::new(start + Duration::from_secs(120));
    let attestor = node_attestor(Arc::clone(&km), storage, clock);
    let err = attestor
        .load_or_attest(Some(vec![leaf]))
        .await
        .expect_err("no server to attest to");
    assert!(err.is_unavailable(), "{err}");
    // The replacement key went into the other slot; the old one is kept until rotation ends.
    assert!(km.key(AGENT_KEY_B).expect("lookup").is_some());
}

#[tokio::test]
async fn stored_svid_without_a_bundle_is_refused() {
    let km: Arc<dyn KeyManager> = Arc::new(MemoryKeyManager::new());
    let key = km.generate_key(AGENT_KEY_A, KeyType::EcP256).expect("key");
    let now = SystemTime::now();
    let leaf = cert_for(key.as_ref(), now, Duration::from_secs(3600));
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(Storage::open(dir.path()).expect("storage"));
    storage.store_svid(vec![leaf], false).expect("svid");
    let attestor = node_attestor(km, storage, FakeClock::new(now));
    let err = attestor.load_or_attest(None).await.expect_err("no bundle");
    assert!(matches!(err, AttestError::NoBundle), "{err}");
}
