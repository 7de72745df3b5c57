//! `peer_spiffe_id`: the SPIFFE ID of a peer is the one URI SAN of an X509-SVID leaf; a leaf
//! that breaks the X509-SVID rules (SPIFFE X509-SVID §4.3, §5) names nobody.

use rcgen::KeyUsagePurpose;
use spire_spiffe::{SpiffeId, SpiffeIdError};
use spire_tls::{PeerIdError, peer_spiffe_id};

use crate::pki::{Ca, Leaf};

const WORKLOAD: &str = "spiffe://example.org/workload";

fn id_of(leaf: Leaf) -> Result<String, PeerIdError> {
    id_of_typed(leaf).map(|id| id.to_string())
}

fn id_of_typed(leaf: Leaf) -> Result<SpiffeId, PeerIdError> {
    let ca = Ca::root("example.org");
    peer_spiffe_id(ca.sign(leaf).as_ref())
}

#[test]
fn reads_the_single_uri_san() {
    assert_eq!(id_of(Leaf::svid(WORKLOAD)).as_deref(), Ok(WORKLOAD));
}

#[test]
fn dns_sans_beside_the_uri_san_do_not_matter() {
    let leaf = Leaf::svid(WORKLOAD).dns_name("workload.example.org");
    assert_eq!(id_of(leaf).as_deref(), Ok(WORKLOAD));
}

#[test]
fn refuses_a_leaf_without_uri_san() {
    let leaf = Leaf::with_uris(&[]).dns_name("workload.example.org");
    assert_eq!(id_of(leaf), Err(PeerIdError::NoUriSan));
}

#[test]
fn refuses_a_leaf_with_two_uri_sans() {
    let leaf = Leaf::with_uris(&[WORKLOAD, "spiffe://example.org/other"]);
    assert_eq!(id_of(leaf), Err(PeerIdError::SeveralUriSans(2)));
}

#[test]
fn refuses_a_uri_san_that_is_not_spiffe() {
    let leaf = Leaf::with_uris(&["https://example.org/workload"]);
    assert_eq!(
        id_of(leaf),
        Err(PeerIdError::NotSpiffe(
            "https://example.org/workload".into()
        ))
    );
}

#[test]
fn returns_the_id_typed_with_its_trust_domain() {
    let id = id_of_typed(Leaf::svid(WORKLOAD)).expect("an X509-SVID");
    assert_eq!(id.trust_domain().as_str(), "example.org");
    assert_eq!(id.path(), "/workload");
}

#[test]
fn refuses_a_spiffe_uri_san_with_a_dot_segment() {
    let uri = "spiffe://example.org/a/../b";
    assert_eq!(
        id_of(Leaf::with_uris(&[uri])),
        Err(PeerIdError::InvalidSpiffeId {
            uri: uri.into(),
            source: SpiffeIdError::DotSegment,
        })
    );
}

#[test]
fn refuses_a_spiffe_uri_san_with_an_uppercase_trust_domain() {
    let uri = "spiffe://Example.org/workload";
    assert!(matches!(
        id_of(Leaf::with_uris(&[uri])),
        Err(PeerIdError::InvalidSpiffeId { uri: found, .. }) if found == uri
    ));
}

#[test]
fn refuses_a_spiffe_uri_san_with_a_trailing_slash() {
    let uri = "spiffe://example.org/workload/";
    let err = id_of(Leaf::with_uris(&[uri])).expect_err("a trailing slash is refused");
    assert_eq!(
        err.to_string(),
        format!(
            "peer certificate URI SAN {uri:?} is not a valid SPIFFE ID: {}",
            SpiffeId::new(uri).expect_err("refused by the parser too")
        )
    );
}

#[test]
fn refuses_bytes_that_are_not_a_certificate() {
    assert!(matches!(
        peer_spiffe_id(&[0x30, 0x03, 0x02, 0x01, 0x00]),
        Err(PeerIdError::Malformed(_))
    ));
    assert!(matches!(
        peer_spiffe_id(&[]),
        Err(PeerIdError::Malformed(_))
    ));
}

#[test]
fn refuses_a_ca_certificate_as_the_leaf() {
    assert_eq!(id_of(Leaf::svid(WORKLOAD).ca()), Err(PeerIdError::CaLeaf));
}

#[test]
fn refuses_a_leaf_with_key_cert_sign_key_usage() {
    let leaf = Leaf::svid(WORKLOAD).key_usages(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ]);
    assert_eq!(id_of(leaf), Err(PeerIdError::KeyCertSign));
}

#[test]
fn refuses_a_leaf_with_crl_sign_key_usage() {
    let leaf = Leaf::svid(WORKLOAD).key_usages(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::CrlSign,
    ]);
    assert_eq!(id_of(leaf), Err(PeerIdError::CrlSign));
}

#[test]
fn refuses_a_leaf_without_digital_signature_key_usage() {
    let leaf = Leaf::svid(WORKLOAD).key_usages(vec![KeyUsagePurpose::KeyAgreement]);
    assert_eq!(id_of(leaf), Err(PeerIdError::NoDigitalSignature));
}

#[test]
fn refuses_a_leaf_without_key_usage_extension() {
    let leaf = Leaf::svid(WORKLOAD).key_usages(vec![]);
    assert_eq!(id_of(leaf), Err(PeerIdError::NoDigitalSignature));
}
