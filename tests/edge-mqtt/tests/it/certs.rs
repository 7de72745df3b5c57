//! Certificates minted by the tests: the broker's server certificate (not an SVID) and a
//! client certificate from a trust domain the broker does not trust.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};

/// A CA and a certificate it signed, written as PEM files.
#[derive(Debug)]
pub struct Issued {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The broker's CA and server certificate for `localhost` and 127.0.0.1.
pub fn broker(dir: &Path) -> Issued {
    issue(dir, "broker", "mosquitto", &["localhost"], None)
}

/// A client certificate with CN `cn` and SPIFFE ID `spiffe_id`, from a CA of its own (a
/// trust domain the broker's bundle does not hold).
pub fn foreign_client(dir: &Path, cn: &str, spiffe_id: &str) -> Issued {
    issue(dir, "foreign", cn, &[], Some(spiffe_id))
}

fn issue(dir: &Path, name: &str, cn: &str, dns: &[&str], uri: Option<&str>) -> Issued {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("leaf key");
    let mut params =
        CertificateParams::new(dns.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>())
            .expect("leaf params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    if !dns.is_empty() {
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("IP")));
    }
    if let Some(uri) = uri {
        params
            .subject_alt_names
            .push(SanType::URI(uri.try_into().expect("URI SAN")));
    }
    let cert = params.signed_by(&key, &issuer).expect("leaf cert");

    let out = Issued {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&out.ca, ca_cert.pem()).expect("write CA");
    std::fs::write(&out.cert, cert.pem()).expect("write cert");
    std::fs::write(&out.key, key.serialize_pem()).expect("write key");
    out
}
