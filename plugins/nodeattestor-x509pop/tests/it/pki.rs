//! Test PKI built with rcgen: a root, optional intermediates, a leaf, each with knobs for the
//! rule a test wants to break.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

pub struct Ca {
    pub der: Vec<u8>,
    pub pem: String,
    params: CertificateParams,
    key: KeyPair,
}

pub struct Leaf {
    pub der: Vec<u8>,
    pub pem: String,
    pub key: KeyPair,
}

fn validity(params: &mut CertificateParams, expired: bool) {
    let now = OffsetDateTime::now_utc();
    if expired {
        params.not_before = now - Duration::days(10);
        params.not_after = now - Duration::days(1);
    } else {
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(1);
    }
}

fn ca_params(cn: &str, expired: bool) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no SANs is valid");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, cn);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut params, expired);
    params
}

impl Ca {
    pub fn root(cn: &str) -> Self {
        Self::root_with(cn, false)
    }

    pub fn root_with(cn: &str, expired: bool) -> Self {
        let key = KeyPair::generate().expect("P-256 generation works");
        let params = ca_params(cn, expired);
        let cert = params.self_signed(&key).expect("self-signing works");
        Self {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            params,
            key,
        }
    }

    pub fn intermediate(&self, cn: &str, expired: bool) -> Ca {
        let key = KeyPair::generate().expect("P-256 generation works");
        let params = ca_params(cn, expired);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("signing works");
        Ca {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            params,
            key,
        }
    }

    pub fn leaf(&self, spec: LeafSpec) -> Leaf {
        let key = KeyPair::generate_for(spec.alg).expect("key generation works");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no DNS SANs");
        params.distinguished_name.push(DnType::CommonName, spec.cn);
        params.serial_number = Some(spec.serial.to_vec().into());
        if spec.digital_signature {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
        for uri in spec.uris {
            params.subject_alt_names.push(rcgen::SanType::URI(
                (*uri).try_into().expect("test URIs are ASCII"),
            ));
        }
        validity(&mut params, spec.expired);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("signing works");
        Leaf {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            key,
        }
    }
}

pub struct LeafSpec<'a> {
    pub cn: &'a str,
    pub serial: &'a [u8],
    pub alg: &'static SignatureAlgorithm,
    pub expired: bool,
    pub digital_signature: bool,
    pub uris: &'a [&'a str],
}

impl Default for LeafSpec<'_> {
    fn default() -> Self {
        Self {
            cn: "node1",
            serial: &[0x0a, 0xbc],
            alg: &rcgen::PKCS_ECDSA_P256_SHA256,
            expired: false,
            digital_signature: true,
            uris: &[],
        }
    }
}

/// SHA-1 fingerprint in SPIRE's form.
pub fn fingerprint(der: &[u8]) -> String {
    spire_nodeattestor_x509pop::chain::fingerprint(der)
}
