//! Security property: the identity signed never comes from the CSR.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use spire_ca::csr::parse_workload_csr;
use spire_ca::x509::X509SvidRequest;
use spire_plugin::KeyType;

use crate::support::{HOUR, csr, dns, km, make_ca, t0, uri, uri_sans, workload_key};

#[test]
fn minted_svid_uri_san_is_the_requested_id_never_the_csrs() {
    let km = km();
    let ca = make_ca(km.as_ref(), "x509-CA-A", KeyType::EcP256, 24 * HOUR, t0());
    let strategy = (
        proptest::collection::vec("(spiffe|https)://[a-z.]{1,12}(/[a-z0-9]{1,8}){0,3}", 0..=1),
        proptest::collection::vec("[a-z]{1,10}(\\.[a-z]{1,5}){0,2}", 0..3),
        proptest::option::of("[a-zA-Z0-9 ]{1,20}"),
        "[a-z0-9]{1,12}",
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&strategy, |(csr_uris, csr_dns, cn, path)| {
            let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
            let sans = csr_uris
                .iter()
                .map(|u| uri(u))
                .chain(csr_dns.iter().map(|d| dns(d)))
                .collect();
            let info = parse_workload_csr(&csr(&key, sans, false, cn.as_deref()))
                .expect("CSR with at most one URI SAN is accepted");
            prop_assert_eq!(&info.uri_sans, &csr_uris);
            let id = format!("spiffe://example.org/entry/{path}");
            let req = X509SvidRequest {
                spiffe_id: id.clone(),
                public_key_der: info.public_key_der,
                dns_names: vec![],
                ttl: HOUR,
            };
            let svid = ca.mint_x509_svid(&req, t0()).expect("valid request");
            prop_assert_eq!(uri_sans(&svid.der), vec![id]);
            Ok(())
        })
        .expect("property holds");
}
