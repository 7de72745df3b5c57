//! The self-signed server X.509 CA, per SPIRE's `BuildSelfSignedX509CATemplate`.

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, DnValue, IsCa, KeyIdMethod, KeyUsagePurpose,
    SanType,
};
use spire_plugin::Key;

use super::serial::random_serial;
use super::signer::{KeySigner, key_identifier};
use super::time::{after, backdated, to_offset};
use super::{CaError, NOT_BEFORE_BACKDATE};

/// SPIRE's default `ca_ttl`.
pub const DEFAULT_CA_TTL: Duration = Duration::from_secs(24 * 3600);

/// What a server CA certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaParams {
    /// The trust domain name without scheme (`example.org`).
    pub trust_domain: String,
    pub subject: CaSubject,
    pub ttl: Duration,
}

/// The subject of the server CA (`ca_subject` in the server config). Absent attributes are
/// left out. SPIRE always adds the certificate's serial number as the subject serialNumber,
/// so every CA generation has a distinct subject. Only one value per attribute is supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaSubject {
    pub country: Option<String>,
    pub organization: Option<String>,
    pub common_name: Option<String>,
}

impl Default for CaSubject {
    /// SPIRE's default CA subject: `C=US, O=SPIFFE`.
    fn default() -> Self {
        CaSubject {
            country: Some("US".to_owned()),
            organization: Some("SPIFFE".to_owned()),
            common_name: None,
        }
    }
}

/// Self-signs a CA certificate for `params.trust_domain` with `key`: URI SAN
/// `spiffe://<td>`, critical CA:TRUE and KU certSign+cRLSign, SKID, random serial,
/// NotBefore `now - 10s`, NotAfter `now + ttl`. Returns the DER certificate.
pub fn self_signed_ca(
    key: &dyn Key,
    params: &CaParams,
    now: SystemTime,
) -> Result<Vec<u8>, CaError> {
    if params.ttl.is_zero() {
        return Err(CaError::ZeroTtl);
    }
    let td = &params.trust_domain;
    if !is_trust_domain_name(td) {
        return Err(CaError::InvalidTrustDomain(td.clone()));
    }
    let signer = KeySigner::new(key)?;
    let (serial, serial_decimal) = random_serial()?;

    let mut cert = CertificateParams::default();
    cert.serial_number = Some(serial);
    cert.not_before = to_offset(backdated(now, NOT_BEFORE_BACKDATE)?)?;
    cert.not_after = to_offset(after(now, params.ttl)?)?;
    cert.distinguished_name = rcgen::DistinguishedName::new();
    let subject = &params.subject;
    // Go's pkix.Name order: C, O, CN, serialNumber.
    for (ty, value) in [
        (DnType::CountryName, subject.country.as_deref()),
        (DnType::OrganizationName, subject.organization.as_deref()),
        (DnType::CommonName, subject.common_name.as_deref()),
        (serial_number_dn_type(), Some(serial_decimal.as_str())),
    ] {
        if let Some(value) = value {
            cert.distinguished_name.push(ty, dn_value(value));
        }
    }
    let uri = format!("spiffe://{td}");
    cert.subject_alt_names = vec![SanType::URI(
        uri.clone()
            .try_into()
            .map_err(|_| CaError::InvalidTrustDomain(td.clone()))?,
    )];
    cert.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    cert.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    cert.key_identifier_method =
        KeyIdMethod::PreSpecified(key_identifier(rcgen::PublicKeyData::der_bytes(&signer)));
    let certificate = cert.self_signed(&signer)?;
    Ok(certificate.der().to_vec())
}

/// Encodes a subject attribute as Go does: PrintableString when the text allows it,
/// UTF8String otherwise.
pub(crate) fn dn_value(value: &str) -> DnValue {
    match rcgen::string::PrintableString::try_from(value) {
        Ok(printable) => DnValue::PrintableString(printable),
        Err(_) => DnValue::Utf8String(value.to_owned()),
    }
}

/// X.520 serialNumber (2.5.4.5).
fn serial_number_dn_type() -> DnType {
    DnType::CustomDnType(vec![2, 5, 4, 5])
}

/// A SPIFFE trust domain name: lowercase letters, digits, `.`, `-` and `_`, non-empty.
pub(crate) fn is_trust_domain_name(td: &str) -> bool {
    !td.is_empty()
        && td.len() <= 255
        && td.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}
