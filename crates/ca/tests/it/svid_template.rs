use std::time::Duration;

use spire_ca::x509::{CaError, X509SvidRequest, authority_id, cert_not_after, subject_key_id};
use spire_plugin::KeyType;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_KEY_USAGE};

use crate::support::{HOUR, TD, km, make_ca, parse, t0, uri_sans, verifies_at, workload_key};

fn request(id: &str, dns_names: &[&str], ttl: Duration) -> X509SvidRequest {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    X509SvidRequest {
        spiffe_id: id.to_owned(),
        public_key_der: crate::support::spki(&key),
        dns_names: dns_names.iter().map(|s| (*s).to_owned()).collect(),
        ttl,
    }
}

#[test]
fn ca_certificate_follows_spire_self_signed_template() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    let cert = parse(ca.cert_der());

    assert_eq!(uri_sans(ca.cert_der()), vec![format!("spiffe://{TD}")]);
    assert_eq!(cert.public_key().raw, ca.key().public_key_der());
    let serial = cert.tbs_certificate.serial.to_string();
    assert_eq!(
        cert.subject().to_string(),
        format!("C=US, O=SPIFFE, serialNumber={serial}")
    );
    let bc = cert.extensions_map().expect("unique extensions")[&OID_X509_EXT_BASIC_CONSTRAINTS];
    assert!(bc.critical);
    let ku = cert.key_usage().expect("unique KU").expect("KU present");
    assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
    assert!(!ku.value.digital_signature());
    assert!(cert.is_ca());
    assert!(cert.tbs_certificate.serial > 0u32.into());
    assert_eq!(
        cert.validity().not_before.timestamp(),
        unix(t0()) - 10,
        "NotBefore is backdated 10s"
    );
    assert_eq!(ca.not_after(), t0() + 24 * HOUR);
    assert_eq!(
        cert_not_after(ca.cert_der()).expect("parses"),
        t0() + 24 * HOUR
    );
    assert!(
        verifies_at(ca.cert_der(), ca.cert_der(), t0()),
        "self-signed"
    );
    let skid = subject_key_id(ca.cert_der()).expect("CA has a SKID");
    assert_eq!(skid.len(), 20, "SHA-1 key identifier as Go makes it");
    assert_eq!(
        authority_id(ca.cert_der()).expect("SKID"),
        hex::encode(&skid)
    );
    assert_eq!(ca.authority_id(), hex::encode(&skid));
}

#[test]
fn svid_follows_spire_workload_template() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    let req = request(
        "spiffe://example.org/web",
        &["web.example.org", "web"],
        HOUR,
    );
    let svid = ca.mint_x509_svid(&req, t0()).expect("valid request");
    let cert = parse(&svid.der);

    assert_eq!(
        uri_sans(&svid.der),
        vec!["spiffe://example.org/web".to_owned()]
    );
    let san = cert
        .subject_alternative_name()
        .expect("unique")
        .expect("present");
    let dns: Vec<String> = san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(dns, vec!["web.example.org".to_owned(), "web".to_owned()]);
    assert_eq!(
        cert.subject().to_string(),
        "C=US, O=SPIRE, CN=web.example.org"
    );
    assert!(!cert.is_ca());
    let exts = cert.extensions_map().expect("unique extensions");
    assert!(exts[&OID_X509_EXT_BASIC_CONSTRAINTS].critical);
    assert!(exts[&OID_X509_EXT_KEY_USAGE].critical);
    let ku = cert.key_usage().expect("unique").expect("present").value;
    assert!(ku.digital_signature() && ku.key_encipherment() && ku.key_agreement());
    assert!(!ku.key_cert_sign());
    let eku = cert
        .extended_key_usage()
        .expect("unique")
        .expect("present")
        .value;
    assert!(eku.server_auth && eku.client_auth);
    assert!(cert.tbs_certificate.serial > 0u32.into());
    assert_eq!(cert.public_key().raw, req.public_key_der.as_slice());

    let akid = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .expect("SVIDs carry an AKID");
    assert_eq!(akid, subject_key_id(ca.cert_der()).expect("CA SKID"));
    assert!(subject_key_id(&svid.der).is_ok(), "SVIDs carry a SKID");

    assert_eq!(cert.validity().not_before.timestamp(), unix(t0()) - 10);
    assert_eq!(svid.not_after, t0() + HOUR);
    assert!(!svid.ttl_capped);
    assert!(verifies_at(&svid.der, ca.cert_der(), t0()));
}

#[test]
fn svid_without_dns_names_has_no_common_name() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    let svid = ca
        .mint_x509_svid(
            &request("spiffe://example.org/spire/server", &[], HOUR),
            t0(),
        )
        .expect("server SVID");
    assert_eq!(parse(&svid.der).subject().to_string(), "C=US, O=SPIRE");
    assert_eq!(
        uri_sans(&svid.der),
        vec!["spiffe://example.org/spire/server".to_owned()]
    );
}

#[test]
fn svid_ttl_is_capped_at_ca_not_after() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    let now = t0() + 23 * HOUR;
    let svid = ca
        .mint_x509_svid(&request("spiffe://example.org/web", &[], 2 * HOUR), now)
        .expect("valid request");
    assert!(svid.ttl_capped);
    assert_eq!(svid.not_after, ca.not_after());
    assert_eq!(cert_not_after(&svid.der).expect("parses"), ca.not_after());
}

#[test]
fn p384_and_rsa_cas_sign_verifiable_svids() {
    for key_type in [KeyType::EcP384, KeyType::Rsa2048] {
        let km = km();
        let ca = make_ca(km.as_ref(), "x509-CA-A", key_type, 24 * HOUR, t0());
        let svid = ca
            .mint_x509_svid(&request("spiffe://example.org/web", &[], HOUR), t0())
            .expect("valid request");
        assert!(verifies_at(&svid.der, ca.cert_der(), t0()), "{key_type}");
    }
}

#[test]
fn refuses_id_outside_the_ca_trust_domain() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    for id in [
        "spiffe://other.org/web",
        "spiffe://example.org",
        "spiffe://example.org.evil/x",
    ] {
        let err = ca
            .mint_x509_svid(&request(id, &[], HOUR), t0())
            .expect_err(id);
        assert!(
            matches!(err, CaError::SpiffeIdOutsideTrustDomain { .. }),
            "{id}: {err}"
        );
    }
}

#[test]
fn refuses_to_mint_after_ca_expiry() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, HOUR, t0());
    let err = ca
        .mint_x509_svid(&request("spiffe://example.org/web", &[], HOUR), t0() + HOUR)
        .expect_err("CA expired");
    assert!(matches!(err, CaError::CaExpired { .. }));
}

fn unix(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::SystemTime::UNIX_EPOCH)
        .expect("after epoch")
        .as_secs() as i64
}
