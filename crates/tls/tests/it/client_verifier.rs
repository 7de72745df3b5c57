//! `BundleClientVerifier`: the server's TCP endpoint accepts a client SVID only when it chains
//! to the bundle of the moment, is valid now, may authenticate a TLS client and is an
//! X509-SVID; with no bundle it accepts no certificate at all.

use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use rustls::CertificateError;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::CertificateDer;
use spire_tls::BundleClientVerifier;

use crate::pki::{Ca, Leaf, now};

const AGENT: &str = "spiffe://example.org/spire/agent/join_token/abc";

fn verify(
    verifier: &BundleClientVerifier,
    chain: &[CertificateDer<'_>],
) -> Result<(), rustls::Error> {
    verifier
        .verify_client_cert(&chain[0], &chain[1..], now())
        .map(|_| ())
}

fn verifier_for(ca: &Ca) -> BundleClientVerifier {
    let verifier = BundleClientVerifier::new();
    assert_eq!(verifier.set_roots(&ca.roots()), 0);
    verifier
}

fn certificate_error(result: Result<(), rustls::Error>) -> CertificateError {
    match result {
        Err(rustls::Error::InvalidCertificate(error)) => error,
        other => panic!("expected an invalid-certificate refusal, got {other:?}"),
    }
}

#[test]
fn client_auth_is_offered_but_optional() {
    let verifier = BundleClientVerifier::new();
    assert!(verifier.offer_client_auth());
    assert!(!verifier.client_auth_mandatory());
    assert!(verifier.root_hint_subjects().is_empty());
}

#[test]
fn accepts_an_agent_svid_of_the_bundle() {
    let ca = Ca::root("example.org");
    verify(&verifier_for(&ca), &[ca.sign(Leaf::svid(AGENT))]).expect("agent SVID");
}

#[test]
fn refuses_every_certificate_before_the_first_bundle() {
    let ca = Ca::root("example.org");
    let verifier = BundleClientVerifier::new();
    assert_eq!(
        certificate_error(verify(&verifier, &[ca.sign(Leaf::svid(AGENT))])),
        CertificateError::UnknownIssuer
    );
}

#[test]
fn refuses_an_svid_of_another_trust_domains_ca() {
    let ours = Ca::root("example.org");
    let theirs = Ca::root("other.org");
    assert_eq!(
        certificate_error(verify(
            &verifier_for(&ours),
            &[theirs.sign(Leaf::svid(AGENT))]
        )),
        CertificateError::UnknownIssuer
    );
}

#[test]
fn refuses_an_expired_or_not_yet_valid_svid() {
    let ca = Ca::root("example.org");
    let verifier = verifier_for(&ca);
    assert!(matches!(
        certificate_error(verify(
            &verifier,
            &[ca.sign(Leaf::svid(AGENT).valid_hours(-2, -1))]
        )),
        CertificateError::ExpiredContext { .. }
    ));
    assert!(matches!(
        certificate_error(verify(
            &verifier,
            &[ca.sign(Leaf::svid(AGENT).valid_hours(1, 2))]
        )),
        CertificateError::NotValidYetContext { .. }
    ));
}

#[test]
fn refuses_a_ca_certificate_as_the_leaf() {
    let ca = Ca::root("example.org");
    let result = verify(&verifier_for(&ca), &[ca.sign(Leaf::svid(AGENT).ca())]);
    let text = format!("{:?}", result.expect_err("a CA leaf is refused"));
    assert!(text.contains("CaUsedAsEndEntity"), "{text}");
}

#[test]
fn refuses_a_leaf_whose_extended_key_usage_excludes_client_auth() {
    let ca = Ca::root("example.org");
    let leaf = Leaf::svid(AGENT).extended_key_usages(vec![ExtendedKeyUsagePurpose::ServerAuth]);
    assert!(matches!(
        certificate_error(verify(&verifier_for(&ca), &[ca.sign(leaf)])),
        CertificateError::InvalidPurposeContext { .. } | CertificateError::InvalidPurpose
    ));
}

#[test]
fn refuses_a_leaf_with_key_cert_sign_key_usage() {
    let ca = Ca::root("example.org");
    let leaf = Leaf::svid(AGENT).key_usages(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ]);
    let result = verify(&verifier_for(&ca), &[ca.sign(leaf)]);
    let text = format!(
        "{:?}",
        result.expect_err("keyCertSign on a leaf is refused")
    );
    assert!(text.contains("KeyCertSign"), "{text}");
}

#[test]
fn refuses_a_leaf_that_names_no_spiffe_id() {
    let ca = Ca::root("example.org");
    let result = verify(
        &verifier_for(&ca),
        &[ca.sign(Leaf::with_uris(&[]).dns_name("a.example"))],
    );
    let text = format!(
        "{:?}",
        result.expect_err("a leaf without SPIFFE ID is refused")
    );
    assert!(text.contains("NoUriSan"), "{text}");
}
