//! The CA/JWT rotation scenario of a 24h `ca_ttl`, driven by a FakeClock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spire_ca::clock::{Clock, FakeClock};
use spire_ca::rotation::{Authorities, AuthorityParams, RotationEvent, SlotStatus, prune_bundle};
use spire_ca::x509::{CaSubject, X509SvidRequest};
use spire_plugin::KeyType;
use spire_spiffe::{Bundle, JwtAuthority, X509Authority};

use crate::support::{HOUR, TD, km, t0, verifies_at, workload_key};

fn params() -> AuthorityParams {
    AuthorityParams {
        trust_domain: spire_spiffe::TrustDomain::new(TD).expect("the test trust domain is valid"),
        ca_ttl: 24 * HOUR,
        ca_key_type: KeyType::EcP256,
        jwt_key_type: KeyType::EcP256,
        subject: CaSubject::default(),
    }
}

/// Applies `*Prepared` events to the bundle as the server would.
fn publish(bundle: &mut Bundle, events: &[RotationEvent]) {
    for event in events {
        match event {
            RotationEvent::X509Prepared { cert_der, .. } => {
                bundle.x509_authorities.push(X509Authority {
                    der: cert_der.clone(),
                    tainted: false,
                })
            }
            RotationEvent::JwtPrepared {
                key_id,
                public_key_der,
                expires_at,
                ..
            } => bundle.jwt_authorities.push(JwtAuthority {
                key_id: key_id.clone(),
                public_key_der: public_key_der.clone(),
                expires_at: expires_at
                    .duration_since(UNIX_EPOCH)
                    .expect("after epoch")
                    .as_secs() as i64,
                tainted: false,
            }),
            _ => {}
        }
    }
}

fn slot_ids(events: &[RotationEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            RotationEvent::X509Prepared { slot_id, .. } => format!("prepared {slot_id}"),
            RotationEvent::X509Activated { slot_id, .. } => format!("activated {slot_id}"),
            RotationEvent::JwtPrepared { slot_id, .. } => format!("prepared {slot_id}"),
            RotationEvent::JwtActivated { slot_id, .. } => format!("activated {slot_id}"),
        })
        .collect()
}

fn mint(authorities: &Authorities, now: SystemTime) -> Vec<u8> {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let req = X509SvidRequest {
        spiffe_id: "spiffe://example.org/web".to_owned(),
        public_key_der: crate::support::spki(&key),
        dns_names: vec![],
        ttl: HOUR,
    };
    authorities
        .active_x509()
        .expect("a CA is active")
        .mint_x509_svid(&req, now)
        .expect("valid request")
        .der
}

fn verifies_against_bundle(svid: &[u8], bundle: &Bundle, at: SystemTime) -> bool {
    bundle
        .x509_authorities
        .iter()
        .any(|root| verifies_at(svid, &root.der, at))
}

#[test]
fn day_long_ca_rotates_through_slots_a_and_b_and_old_root_is_pruned() {
    let clock = FakeClock::new(t0());
    let mut authorities = Authorities::new(km(), params());
    let mut bundle = Bundle {
        trust_domain: TD.to_owned(),
        ..Bundle::default()
    };

    // t0: slot A is prepared and activated at once.
    let events = authorities.tick(clock.now()).expect("tick");
    assert_eq!(
        slot_ids(&events),
        [
            "prepared x509-CA-A",
            "activated x509-CA-A",
            "prepared JWT-Signer-A",
            "activated JWT-Signer-A"
        ]
    );
    publish(&mut bundle, &events);
    let ca_a = authorities
        .active_x509()
        .expect("active")
        .authority_id()
        .to_owned();
    let (_, kid_a) = authorities.active_jwt().expect("JWT key active");
    let kid_a = kid_a.to_owned();
    assert_eq!(kid_a.len(), 32);

    // Exactly at half-life nothing happens; one second later slot B is prepared.
    clock.advance(12 * HOUR);
    assert!(authorities.tick(clock.now()).expect("tick").is_empty());
    clock.advance(Duration::from_secs(1));
    let events = authorities.tick(clock.now()).expect("tick");
    assert_eq!(
        slot_ids(&events),
        ["prepared x509-CA-B", "prepared JWT-Signer-B"]
    );
    publish(&mut bundle, &events);
    assert_eq!(bundle.x509_authorities.len(), 2);
    assert_eq!(bundle.jwt_authorities.len(), 2);
    assert_eq!(
        authorities.active_x509().expect("active").authority_id(),
        ca_a
    );

    // Just before activation, an SVID is still signed by A.
    clock.set(t0() + 20 * HOUR);
    assert!(authorities.tick(clock.now()).expect("tick").is_empty());
    let svid_a = mint(&authorities, clock.now());

    // At +20h+1s B becomes active and A old.
    clock.advance(Duration::from_secs(1));
    let events = authorities.tick(clock.now()).expect("tick");
    let ca_b = authorities
        .active_x509()
        .expect("active")
        .authority_id()
        .to_owned();
    assert_ne!(ca_a, ca_b);
    assert!(events.contains(&RotationEvent::X509Activated {
        slot_id: "x509-CA-B".to_owned(),
        authority_id: ca_b.clone(),
        previous_authority_id: Some(ca_a.clone()),
    }));
    let (_, kid_b) = authorities.active_jwt().expect("JWT key active");
    assert_ne!(kid_b, kid_a);
    let states = authorities.x509_states();
    assert!(
        states
            .iter()
            .any(|s| s.slot_id == "x509-CA-A" && s.status == SlotStatus::Old)
    );
    assert!(
        states
            .iter()
            .any(|s| s.slot_id == "x509-CA-B" && s.status == SlotStatus::Active)
    );
    let svid_b = mint(&authorities, clock.now());

    // Both SVIDs verify against the published roots on either side of the boundary.
    let check_at = t0() + 20 * HOUR + Duration::from_secs(30 * 60);
    assert!(verifies_against_bundle(&svid_a, &bundle, check_at));
    assert!(verifies_against_bundle(&svid_b, &bundle, check_at));

    // A expires at +24h; it stays until 24h after that, then is pruned (B stays).
    assert!(!prune_bundle(&mut bundle, t0() + 48 * HOUR));
    assert_eq!(bundle.x509_authorities.len(), 2);
    assert!(prune_bundle(
        &mut bundle,
        t0() + 48 * HOUR + Duration::from_secs(1)
    ));
    assert_eq!(bundle.x509_authorities.len(), 1);
    assert_eq!(bundle.jwt_authorities.len(), 1);
    assert_eq!(bundle.jwt_authorities[0].key_id, kid_b);
    assert!(!verifies_against_bundle(&svid_a, &bundle, check_at));
    assert!(verifies_against_bundle(&svid_b, &bundle, check_at));
}

#[test]
fn prune_never_removes_the_last_authority() {
    let mut authorities = Authorities::new(km(), params());
    let mut bundle = Bundle::default();
    publish(&mut bundle, &authorities.tick(t0()).expect("tick"));
    assert!(!prune_bundle(&mut bundle, t0() + 1000 * HOUR));
    assert_eq!(bundle.x509_authorities.len(), 1);
    assert_eq!(bundle.jwt_authorities.len(), 1);
}

#[test]
fn idle_ticks_change_nothing() {
    let mut authorities = Authorities::new(km(), params());
    authorities.tick(t0()).expect("tick");
    for minutes in 1..=10 {
        let now = t0() + Duration::from_secs(minutes * 60);
        assert!(authorities.tick(now).expect("tick").is_empty());
    }
}
