//! Shared fixtures: a memory KeyManager, CAs, CSRs made with rcgen, signature checks.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{CertificateParams, DnType, IsCa, KeyPair, SanType, SignatureAlgorithm};
use spire_ca::x509::{CaParams, CaSubject, X509Ca, self_signed_ca};
use spire_keymanager::MemoryKeyManager;
use spire_plugin::{KeyManager, KeyType};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

pub const TD: &str = "example.org";
pub const HOUR: Duration = Duration::from_secs(3600);

/// A fixed, whole-second start time.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

pub fn km() -> Arc<dyn KeyManager> {
    Arc::new(MemoryKeyManager::new())
}

pub fn ca_params(ttl: Duration) -> CaParams {
    CaParams {
        trust_domain: TD.to_owned(),
        subject: CaSubject::default(),
        ttl,
    }
}

/// A self-signed CA in KeyManager slot `id`.
pub fn make_ca(
    km: &dyn KeyManager,
    id: &str,
    key_type: KeyType,
    ttl: Duration,
    now: SystemTime,
) -> X509Ca {
    let key = km
        .generate_key(id, key_type)
        .expect("memory KeyManager generates keys");
    let der = self_signed_ca(key.as_ref(), &ca_params(ttl), now).expect("CA template is valid");
    X509Ca::new(der, key).expect("the CA matches its key")
}

/// A fresh key pair for a workload.
pub fn workload_key(alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::generate_for(alg).expect("aws-lc-rs generates workload keys")
}

/// A DER CSR signed by `key` carrying `sans`, optionally asking for CA:TRUE and a CN.
pub fn csr(key: &KeyPair, sans: Vec<SanType>, ca: bool, cn: Option<&str>) -> Vec<u8> {
    let mut params = CertificateParams::default();
    params.subject_alt_names = sans;
    if ca {
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    params.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params
        .serialize_request(key)
        .expect("rcgen serializes CSRs")
        .der()
        .to_vec()
}

pub fn uri(s: &str) -> SanType {
    SanType::URI(s.to_owned().try_into().expect("test URIs are ASCII"))
}

pub fn dns(s: &str) -> SanType {
    SanType::DnsName(s.to_owned().try_into().expect("test DNS names are ASCII"))
}

pub fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).expect("minted certificates parse");
    assert!(rest.is_empty());
    cert
}

/// The URI SANs of a certificate.
pub fn uri_sans(der: &[u8]) -> Vec<String> {
    let cert = parse(der);
    let san = cert
        .subject_alternative_name()
        .expect("SAN extension is unique")
        .expect("SVIDs carry a SAN extension");
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::URI(u) => Some((*u).to_owned()),
            _ => None,
        })
        .collect()
}

/// Whether `leaf` is signed by `issuer` and valid at `at`.
pub fn verifies_at(leaf_der: &[u8], issuer_der: &[u8], at: SystemTime) -> bool {
    let leaf = parse(leaf_der);
    let issuer = parse(issuer_der);
    let at = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("test times are after the epoch")
        .as_secs();
    let at = x509_parser::time::ASN1Time::from_timestamp(at as i64).expect("test times fit");
    leaf.verify_signature(Some(issuer.public_key())).is_ok() && leaf.validity().is_valid_at(at)
}

/// The DER SubjectPublicKeyInfo of a workload key.
pub fn spki(key: &KeyPair) -> Vec<u8> {
    rcgen::PublicKeyData::subject_public_key_info(key)
}
