use spire_ca::csr::{CsrError, parse_workload_csr};

use crate::support::{csr, dns, uri, workload_key};

#[test]
fn accepts_p256_csr_and_returns_its_key_and_uri_san() {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let der = csr(
        &key,
        vec![uri("spiffe://example.org/web"), dns("web")],
        false,
        Some("web"),
    );
    let info = parse_workload_csr(&der).expect("a well-formed P-256 CSR is accepted");
    assert_eq!(info.public_key_der, crate::support::spki(&key));
    assert_eq!(info.uri_sans, vec!["spiffe://example.org/web".to_owned()]);
}

#[test]
fn accepts_p384_and_rsa_2048_csrs() {
    for alg in [&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_RSA_SHA256] {
        let key = workload_key(alg);
        let info = parse_workload_csr(&csr(&key, vec![], false, None)).expect("accepted key");
        assert_eq!(info.public_key_der, crate::support::spki(&key));
        assert!(info.uri_sans.is_empty());
    }
}

#[test]
fn rejects_csr_requesting_ca() {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let der = csr(&key, vec![uri("spiffe://example.org/evil")], true, None);
    assert_eq!(parse_workload_csr(&der), Err(CsrError::RequestsCa));
}

#[test]
fn rejects_csr_with_two_uri_sans() {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let der = csr(
        &key,
        vec![uri("spiffe://example.org/a"), uri("spiffe://example.org/b")],
        false,
        None,
    );
    assert_eq!(parse_workload_csr(&der), Err(CsrError::TooManyUriSans(2)));
}

#[test]
fn rejects_rsa_1024_csr() {
    let der = include_bytes!("../../testdata/csr-rsa-1024.der");
    assert_eq!(parse_workload_csr(der), Err(CsrError::RsaKeyTooSmall(1024)));
}

#[test]
fn rejects_csr_with_flipped_signature_byte() {
    let key = workload_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut der = csr(&key, vec![uri("spiffe://example.org/web")], false, None);
    let last = der.len() - 1;
    der[last] ^= 0x01;
    assert_eq!(parse_workload_csr(&der), Err(CsrError::BadSignature));
}

#[test]
fn rejects_ed25519_as_unknown_key_algorithm() {
    let key = workload_key(&rcgen::PKCS_ED25519);
    let der = csr(&key, vec![], false, None);
    assert_eq!(
        parse_workload_csr(&der),
        Err(CsrError::UnsupportedKeyAlgorithm("1.3.101.112".to_owned()))
    );
}

#[test]
fn rejects_bytes_that_are_not_a_csr() {
    assert!(matches!(
        parse_workload_csr(b"not a csr"),
        Err(CsrError::Malformed(_))
    ));
}

/// Found by the `csr` fuzz target: a valid P-521 CSR used to be reported as a bad signature.
#[test]
fn rejects_p521_csr_naming_the_curve() {
    let der = include_bytes!("../../testdata/csr-p521.der");
    let err = parse_workload_csr(der).unwrap_err();
    assert!(matches!(err, CsrError::UnsupportedCurve(_)), "{err:?}");
    assert!(err.to_string().contains("1.3.132.0.35"), "{err}");
}
