//! A throwaway PKI: a trust domain CA (optionally with an intermediate) and leaves that each
//! break one rule. Times are fixed around [`now`], so validity tests need no clock.

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, date_time_ymd,
};
use rustls_pki_types::{CertificateDer, UnixTime};

/// 2026-01-01T00:00:00Z, the moment every verification happens at.
pub const NOW_UNIX: u64 = 1_767_225_600;

pub const SERVER_ID: &str = "spiffe://example.org/spire/server";

pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(NOW_UNIX))
}

const HOUR: Duration = Duration::from_secs(3600);

/// A CA that can sign leaves and intermediates.
pub struct Ca {
    pub der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A self-signed root for the trust domain `td`.
    pub fn root(td: &str) -> Ca {
        let key = KeyPair::generate().expect("P-256 key");
        let params = ca_params(td);
        let der = params
            .self_signed(&key)
            .expect("self-signed root")
            .der()
            .clone();
        Ca {
            der,
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA signed by `self`, valid over `[not_before, not_after]` offsets from
    /// now (in hours; negative is the past).
    pub fn intermediate(&self, valid_hours: (i64, i64)) -> Ca {
        let key = KeyPair::generate().expect("P-256 key");
        let mut params = ca_params("intermediate");
        set_validity(&mut params, valid_hours);
        let der = params
            .signed_by(&key, &self.issuer)
            .expect("intermediate")
            .der()
            .clone();
        Ca {
            der,
            issuer: Issuer::new(params, key),
        }
    }

    /// The roots list a bundle would hold: this CA's certificate.
    pub fn roots(&self) -> Vec<Vec<u8>> {
        vec![self.der.to_vec()]
    }

    /// Signs `leaf`.
    pub fn sign(&self, leaf: Leaf) -> CertificateDer<'static> {
        let key = KeyPair::generate().expect("P-256 key");
        leaf.params
            .signed_by(&key, &self.issuer)
            .expect("leaf")
            .der()
            .clone()
    }
}

/// A leaf certificate under construction: an X509-SVID as SPIRE's CA issues it (one URI SAN,
/// digitalSignature, serverAuth + clientAuth, valid an hour either side of now), changed
/// through the methods below to break one rule at a time.
pub struct Leaf {
    params: CertificateParams,
}

impl Leaf {
    pub fn svid(spiffe_id: &str) -> Leaf {
        Leaf::with_uris(&[spiffe_id])
    }

    pub fn with_uris(uris: &[&str]) -> Leaf {
        let mut params = CertificateParams::default();
        params.subject_alt_names = uris
            .iter()
            .map(|u| SanType::URI((*u).try_into().expect("IA5 URI")))
            .collect();
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        set_validity(&mut params, (-1, 1));
        Leaf { params }
    }

    pub fn valid_hours(mut self, from: i64, to: i64) -> Leaf {
        set_validity(&mut self.params, (from, to));
        self
    }

    pub fn ca(mut self) -> Leaf {
        self.params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        self
    }

    pub fn key_usages(mut self, usages: Vec<KeyUsagePurpose>) -> Leaf {
        self.params.key_usages = usages;
        self
    }

    pub fn extended_key_usages(mut self, usages: Vec<ExtendedKeyUsagePurpose>) -> Leaf {
        self.params.extended_key_usages = usages;
        self
    }

    pub fn dns_name(mut self, name: &str) -> Leaf {
        self.params
            .subject_alt_names
            .push(SanType::DnsName(name.try_into().expect("IA5 DNS name")));
        self
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params, (-24, 24));
    params
}

/// Validity from `from` to `to` hours after [`NOW_UNIX`] (negative: before).
fn set_validity(params: &mut CertificateParams, (from, to): (i64, i64)) {
    let now = date_time_ymd(2026, 1, 1);
    let at = |hours: i64| {
        let offset = HOUR * u32::try_from(hours.unsigned_abs()).expect("small");
        if hours < 0 {
            now - offset
        } else {
            now + offset
        }
    };
    params.not_before = at(from);
    params.not_after = at(to);
}
