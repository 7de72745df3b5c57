//! Resuming rotation from the CA journal after a restart (SPIRE's slot loader rules).

use std::sync::Arc;
use std::time::SystemTime;

use spire_ca::rotation::{
    Authorities, AuthorityParams, Journal, JournalStatus, PublishedAuthorities, RotationEvent,
    SkipReason, SlotStatus,
};
use spire_ca::x509::CaSubject;
use spire_plugin::{KeyManager, KeyType};

use crate::support::{HOUR, TD, km, t0};

fn params() -> AuthorityParams {
    AuthorityParams {
        trust_domain: spire_spiffe::TrustDomain::new(TD).expect("the test trust domain is valid"),
        ca_ttl: 24 * HOUR,
        ca_key_type: KeyType::EcP256,
        jwt_key_type: KeyType::EcP256,
        subject: CaSubject::default(),
    }
}

/// Runs `Authorities` from t0 through `ticks`, and returns what a restarted server reads
/// back: the stored journal bytes and the bundle it published.
fn run(km: &Arc<dyn KeyManager>, ticks: &[SystemTime]) -> (Journal, PublishedAuthorities) {
    let mut authorities = Authorities::new(km.clone(), params());
    let mut published = PublishedAuthorities::default();
    for now in ticks {
        for event in authorities.tick(*now).expect("tick") {
            match event {
                RotationEvent::X509Prepared { cert_der, .. } => published.x509_der.push(cert_der),
                RotationEvent::JwtPrepared { key_id, .. } => published.jwt_key_ids.push(key_id),
                _ => {}
            }
        }
    }
    let journal = authorities.journal();
    let stored = Journal::decode(
        &journal.encode(),
        journal.active_x509_authority_id(),
        journal.active_jwt_authority_id(),
    )
    .expect("journal round-trips");
    (stored, published)
}

fn statuses(authorities: &Authorities) -> Vec<(String, SlotStatus)> {
    authorities
        .x509_states()
        .into_iter()
        .chain(authorities.jwt_states())
        .map(|s| (s.slot_id, s.status))
        .collect()
}

#[test]
fn restart_resumes_the_active_ca_and_jwt_key_without_preparing_new_ones() {
    let km = km();
    let (journal, published) = run(&km, &[t0()]);
    let active_id = journal.active_x509_authority_id().to_owned();
    assert!(!active_id.is_empty(), "activation recorded the authority");

    let now = t0() + HOUR;
    let (mut resumed, skipped) =
        Authorities::resume(km, params(), journal, Some(&published), now).expect("resume");
    assert_eq!(skipped, vec![]);
    assert_eq!(
        resumed.active_x509().map(|ca| ca.authority_id().to_owned()),
        Some(active_id)
    );
    assert_eq!(
        resumed.active_jwt().map(|(_, kid)| kid.to_owned()),
        Some(published.jwt_key_ids[0].clone())
    );
    assert_eq!(
        resumed.tick(now).expect("tick"),
        vec![],
        "nothing new to publish"
    );
}

#[test]
fn restart_between_prepare_and_activate_keeps_current_and_next() {
    let km = km();
    let (journal, published) = run(&km, &[t0(), t0() + 12 * HOUR + HOUR / 2]);
    let (mut resumed, _) =
        Authorities::resume(km, params(), journal, Some(&published), t0() + 13 * HOUR)
            .expect("resume");
    assert_eq!(
        statuses(&resumed),
        vec![
            ("x509-CA-A".to_owned(), SlotStatus::Active),
            ("x509-CA-B".to_owned(), SlotStatus::Prepared),
            ("JWT-Signer-A".to_owned(), SlotStatus::Active),
            ("JWT-Signer-B".to_owned(), SlotStatus::Prepared),
        ]
    );
    let events = resumed.tick(t0() + 21 * HOUR).expect("tick");
    assert!(
        events.iter().any(
            |e| matches!(e, RotationEvent::X509Activated { slot_id, .. } if slot_id == "x509-CA-B")
        ),
        "the prepared CA is activated on schedule: {events:?}"
    );
    let b = &resumed.journal().entries().x509_cas[1];
    assert_eq!(
        (b.slot_id.as_str(), b.status()),
        ("B", JournalStatus::Active)
    );
    assert_eq!(
        resumed.journal().entries().x509_cas[0].status(),
        JournalStatus::Old
    );
}

#[test]
fn slot_whose_key_is_missing_is_dropped_and_a_new_ca_prepared() {
    let (journal, published) = run(&km(), &[t0()]);
    let other_km = km();
    let (mut resumed, skipped) =
        Authorities::resume(other_km, params(), journal, Some(&published), t0() + HOUR)
            .expect("resume");
    assert_eq!(skipped.len(), 2, "the CA and the JWT key: {skipped:?}");
    assert!(
        skipped
            .iter()
            .all(|s| s.reason == SkipReason::NoKeyManagerKey)
    );
    assert!(resumed.active_x509().is_none());
    let events = resumed.tick(t0() + HOUR).expect("tick");
    assert_eq!(
        events.len(),
        4,
        "prepare + activate a CA and a JWT key: {events:?}"
    );
}

#[test]
fn slot_whose_key_was_replaced_is_dropped() {
    let km = km();
    let (journal, published) = run(&km, &[t0()]);
    km.generate_key("x509-CA-A", KeyType::EcP256)
        .expect("replace key");
    let (resumed, skipped) =
        Authorities::resume(km, params(), journal, Some(&published), t0() + HOUR).expect("resume");
    assert!(
        matches!(skipped[0].reason, SkipReason::KeyMismatch(_)),
        "{skipped:?}"
    );
    assert!(resumed.active_x509().is_none());
    assert!(resumed.active_jwt().is_some(), "the JWT key is unaffected");
}

#[test]
fn expired_slots_are_dropped() {
    let km = km();
    let (journal, published) = run(&km, &[t0()]);
    let (resumed, skipped) =
        Authorities::resume(km, params(), journal, Some(&published), t0() + 25 * HOUR)
            .expect("resume");
    assert!(
        skipped.iter().all(|s| s.reason == SkipReason::Expired),
        "{skipped:?}"
    );
    assert_eq!(skipped.len(), 2);
    assert!(resumed.active_x509().is_none());
}

#[test]
fn entries_missing_from_the_bundle_are_dropped() {
    let km = km();
    let (journal, _) = run(&km, &[t0()]);
    let (resumed, skipped) = Authorities::resume(
        km,
        params(),
        journal,
        Some(&PublishedAuthorities::default()),
        t0() + HOUR,
    )
    .expect("resume");
    assert!(
        skipped.iter().all(|s| s.reason == SkipReason::NotInBundle),
        "{skipped:?}"
    );
    assert!(resumed.active_x509().is_none());
}
