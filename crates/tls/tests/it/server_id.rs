//! `ServerIdVerifier`: the agent accepts a server only with a chain to the current bundle, a
//! leaf valid now, usable for TLS server authentication, that is an X509-SVID naming exactly
//! `spiffe://<td>/spire/server`.

use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use rustls::CertificateError;
use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::{CertificateDer, ServerName};
use spire_tls::ServerIdVerifier;

use spire_spiffe::SpiffeId;

use crate::pki::{Ca, Leaf, SERVER_ID, now};

fn server_id() -> SpiffeId {
    SpiffeId::new(SERVER_ID).expect("a valid server ID")
}

/// Verifies `chain` (leaf first) as the agent does when dialing the server.
fn verify(verifier: &ServerIdVerifier, chain: &[CertificateDer<'_>]) -> Result<(), rustls::Error> {
    let name = ServerName::try_from("example.org").expect("a DNS name");
    verifier
        .verify_server_cert(&chain[0], &chain[1..], &name, &[], now())
        .map(|_| ())
}

fn verifier_for(ca: &Ca) -> ServerIdVerifier {
    ServerIdVerifier::with_roots(server_id(), &ca.roots())
}

/// The text of a refusal, for errors rustls wraps as `CertificateError::Other`.
fn refusal(result: Result<(), rustls::Error>) -> String {
    format!("{:?}", result.expect_err("the certificate must be refused"))
}

fn certificate_error(result: Result<(), rustls::Error>) -> CertificateError {
    match result {
        Err(rustls::Error::InvalidCertificate(error)) => error,
        other => panic!("expected an invalid-certificate refusal, got {other:?}"),
    }
}

#[test]
fn accepts_the_server_svid_of_its_trust_domain() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID));
    verify(&verifier_for(&ca), &[leaf]).expect("the server's own SVID");
}

#[test]
fn accepts_a_chain_through_an_intermediate() {
    let root = Ca::root("example.org");
    let intermediate = root.intermediate((-24, 24));
    let leaf = intermediate.sign(Leaf::svid(SERVER_ID));
    verify(&verifier_for(&root), &[leaf, intermediate.der.clone()]).expect("root > int > leaf");
}

#[test]
fn refuses_the_server_id_of_another_trust_domain() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid("spiffe://other.org/spire/server"));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("UnexpectedServerId"), "{text}");
    assert!(text.contains("other.org"), "{text}");
}

#[test]
fn refuses_a_server_svid_issued_by_another_trust_domains_ca() {
    let ours = Ca::root("example.org");
    let theirs = Ca::root("other.org");
    let leaf = theirs.sign(Leaf::svid(SERVER_ID));
    assert_eq!(
        certificate_error(verify(&verifier_for(&ours), &[leaf])),
        CertificateError::UnknownIssuer
    );
}

#[test]
fn refuses_an_svid_of_the_trust_domain_with_another_path() {
    let ca = Ca::root("example.org");
    for id in [
        "spiffe://example.org/spire/agent/join_token/abc",
        "spiffe://example.org/spire/server/x",
        "spiffe://example.org/spire/Server",
        "spiffe://example.org",
    ] {
        let leaf = ca.sign(Leaf::svid(id));
        let text = refusal(verify(&verifier_for(&ca), &[leaf]));
        assert!(text.contains("UnexpectedServerId"), "{id}: {text}");
    }
}

#[test]
fn refuses_a_server_id_with_a_trailing_slash_as_no_spiffe_id() {
    // Not even compared with the expected ID: the SPIFFE-ID parser refuses it first.
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid("spiffe://example.org/spire/server/"));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("InvalidSpiffeId"), "{text}");
    assert!(text.contains("TrailingSlash"), "{text}");
}

#[test]
fn refuses_an_expired_leaf() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).valid_hours(-2, -1));
    assert!(matches!(
        certificate_error(verify(&verifier_for(&ca), &[leaf])),
        CertificateError::ExpiredContext { .. }
    ));
}

#[test]
fn refuses_a_leaf_not_yet_valid() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).valid_hours(1, 2));
    assert!(matches!(
        certificate_error(verify(&verifier_for(&ca), &[leaf])),
        CertificateError::NotValidYetContext { .. }
    ));
}

#[test]
fn refuses_a_chain_through_an_expired_intermediate() {
    let root = Ca::root("example.org");
    let intermediate = root.intermediate((-24, -1));
    let leaf = intermediate.sign(Leaf::svid(SERVER_ID));
    assert!(matches!(
        certificate_error(verify(
            &verifier_for(&root),
            &[leaf, intermediate.der.clone()]
        )),
        CertificateError::ExpiredContext { .. }
    ));
}

#[test]
fn refuses_a_ca_certificate_as_the_leaf() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).ca());
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("CaUsedAsEndEntity"), "{text}");
}

#[test]
fn refuses_a_leaf_without_uri_san() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::with_uris(&[]).dns_name("example.org"));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("NoUriSan"), "{text}");
}

#[test]
fn refuses_a_leaf_with_two_uri_sans_even_if_one_is_the_server_id() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::with_uris(&[
        SERVER_ID,
        "spiffe://example.org/spire/agent/x",
    ]));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("SeveralUriSans(2)"), "{text}");
}

#[test]
fn refuses_a_leaf_whose_extended_key_usage_excludes_server_auth() {
    let ca = Ca::root("example.org");
    let leaf = ca
        .sign(Leaf::svid(SERVER_ID).extended_key_usages(vec![ExtendedKeyUsagePurpose::ClientAuth]));
    assert!(matches!(
        certificate_error(verify(&verifier_for(&ca), &[leaf])),
        CertificateError::InvalidPurposeContext { .. } | CertificateError::InvalidPurpose
    ));
}

#[test]
fn refuses_a_leaf_with_key_cert_sign_key_usage() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).key_usages(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ]));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("KeyCertSign"), "{text}");
}

#[test]
fn refuses_a_leaf_with_crl_sign_key_usage() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).key_usages(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::CrlSign,
    ]));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("CrlSign"), "{text}");
}

#[test]
fn refuses_a_leaf_without_digital_signature_key_usage() {
    let ca = Ca::root("example.org");
    let leaf = ca.sign(Leaf::svid(SERVER_ID).key_usages(vec![KeyUsagePurpose::KeyEncipherment]));
    let text = refusal(verify(&verifier_for(&ca), &[leaf]));
    assert!(text.contains("DigitalSignature"), "{text}");
}

#[test]
fn refuses_the_old_trust_domain_ca_once_the_bundle_replaced_it() {
    let old = Ca::root("example.org");
    let new = Ca::root("example.org");
    let verifier = verifier_for(&old);
    verify(&verifier, &[old.sign(Leaf::svid(SERVER_ID))]).expect("old CA before rotation");
    assert_eq!(verifier.set_roots(&new.roots()), 0);
    verify(&verifier, &[new.sign(Leaf::svid(SERVER_ID))]).expect("new CA after rotation");
    // Same subject, other key: webpki finds the new root by name, then the signature fails.
    assert!(matches!(
        certificate_error(verify(&verifier, &[old.sign(Leaf::svid(SERVER_ID))])),
        CertificateError::BadSignature | CertificateError::UnknownIssuer
    ));
}

#[test]
fn insecure_bootstrap_checks_only_the_server_id() {
    let anyone = Ca::root("anyone");
    let verifier = ServerIdVerifier::insecure_bootstrap(server_id());
    assert!(verifier.is_insecure_bootstrap());
    verify(&verifier, &[anyone.sign(Leaf::svid(SERVER_ID))]).expect("any chain naming the server");
    let text = refusal(verify(
        &verifier,
        &[anyone.sign(Leaf::svid("spiffe://example.org/workload"))],
    ));
    assert!(text.contains("UnexpectedServerId"), "{text}");
}

#[test]
fn insecure_bootstrap_ends_when_the_first_bundle_arrives() {
    let anyone = Ca::root("anyone");
    let ca = Ca::root("example.org");
    let verifier = ServerIdVerifier::insecure_bootstrap(server_id());
    verifier.set_roots(&ca.roots());
    assert!(!verifier.is_insecure_bootstrap());
    assert_eq!(
        certificate_error(verify(&verifier, &[anyone.sign(Leaf::svid(SERVER_ID))])),
        CertificateError::UnknownIssuer
    );
}

#[test]
fn unparsable_roots_are_skipped_and_counted() {
    let ca = Ca::root("example.org");
    let verifier = ServerIdVerifier::with_roots(server_id(), &[]);
    let mut roots = ca.roots();
    roots.push(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert_eq!(verifier.set_roots(&roots), 1);
    verify(&verifier, &[ca.sign(Leaf::svid(SERVER_ID))]).expect("the parsable root is kept");
}
