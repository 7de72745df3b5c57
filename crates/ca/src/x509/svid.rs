//! The signing CA and the X509-SVID template (SPIRE's `buildX509SVIDTemplate`), shared by
//! workload, agent and server SVIDs.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose,
    SanType,
};
use spire_plugin::Key;
use x509_parser::extensions::GeneralName;

use super::ca_cert::dn_value;
use super::inspect::{not_after_of, parse};
use super::serial::random_serial;
use super::signer::{KeySigner, key_identifier, subject_public_key_bits};
use super::time::{after, backdated, to_offset, whole_seconds};
use super::{CaError, NOT_BEFORE_BACKDATE};
use crate::csr::check_public_key;

/// A CA certificate together with the KeyManager key that signs for it.
#[derive(Clone)]
pub struct X509Ca {
    cert_der: Vec<u8>,
    key: Arc<dyn Key>,
    not_after: SystemTime,
    trust_domain: String,
    authority_id: String,
}

/// What to put in an X509-SVID. The caller has already authorized and validated the ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct X509SvidRequest {
    /// The SPIFFE ID from the registration entry (never from the CSR).
    pub spiffe_id: String,
    /// The subject's public key as a DER SubjectPublicKeyInfo (from the CSR).
    pub public_key_der: Vec<u8>,
    /// DNS SANs; the first one also becomes the subject CN.
    pub dns_names: Vec<String>,
    pub ttl: Duration,
}

/// A signed X509-SVID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedSvid {
    pub der: Vec<u8>,
    /// The NotAfter written in the certificate.
    pub not_after: SystemTime,
    /// True when the requested TTL ran past the CA's NotAfter and was cut to it.
    pub ttl_capped: bool,
}

impl X509Ca {
    /// Pairs a CA certificate with its signing key, checking that the key is the one the
    /// certificate certifies and that the certificate names a trust domain.
    pub fn new(cert_der: Vec<u8>, key: Arc<dyn Key>) -> Result<Self, CaError> {
        let cert = parse(&cert_der)?;
        let key_bits = subject_public_key_bits(key.public_key_der()).map_err(|reason| {
            CaError::KeyPublicKey {
                key_id: key.id().to_owned(),
                reason,
            }
        })?;
        if cert.public_key().subject_public_key.data.as_ref() != key_bits.as_slice() {
            return Err(CaError::CaKeyMismatch(key.id().to_owned()));
        }
        let trust_domain = ca_trust_domain(&cert).ok_or(CaError::CaWithoutTrustDomain)?;
        let not_after = not_after_of(&cert);
        drop(cert);
        let authority_id = super::authority_id(&cert_der)?;
        Ok(X509Ca {
            cert_der,
            key,
            not_after,
            trust_domain,
            authority_id,
        })
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub fn key(&self) -> &Arc<dyn Key> {
        &self.key
    }

    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// The trust domain named by the CA's URI SAN.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// The CA's subject key identifier in lowercase hex, as SPIRE's LocalAuthority API shows.
    pub fn authority_id(&self) -> &str {
        &self.authority_id
    }

    /// Signs an X509-SVID: subject `C=US, O=SPIRE` (CN = first DNS name), URI SAN = the
    /// SPIFFE ID, DNS SANs, CA:FALSE, critical KU digitalSignature+keyEncipherment+
    /// keyAgreement, EKU serverAuth+clientAuth, SKID/AKID, random serial, NotBefore
    /// `now - 10s`, NotAfter `min(now + ttl, CA NotAfter)`.
    pub fn mint_x509_svid(
        &self,
        req: &X509SvidRequest,
        now: SystemTime,
    ) -> Result<MintedSvid, CaError> {
        if req.ttl.is_zero() {
            return Err(CaError::ZeroTtl);
        }
        if now >= self.not_after {
            return Err(CaError::CaExpired {
                not_after: self.not_after,
                now,
            });
        }
        self.check_member_id(&req.spiffe_id)?;
        check_public_key(&req.public_key_der)?;
        let subject_key = rcgen::SubjectPublicKeyInfo::from_der(&req.public_key_der)?;

        let wanted = whole_seconds(after(now, req.ttl)?)?;
        let ttl_capped = wanted > self.not_after;
        let not_after = wanted.min(self.not_after);

        let mut cert = CertificateParams::default();
        let (serial, _) = random_serial()?;
        cert.serial_number = Some(serial);
        cert.not_before = to_offset(backdated(now, NOT_BEFORE_BACKDATE)?)?;
        cert.not_after = to_offset(not_after)?;
        cert.distinguished_name = svid_subject(req.dns_names.first().map(String::as_str));
        cert.subject_alt_names = svid_sans(req)?;
        cert.is_ca = IsCa::ExplicitNoCa;
        cert.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
        ];
        cert.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        cert.use_authority_key_identifier_extension = true;
        cert.key_identifier_method = KeyIdMethod::PreSpecified(key_identifier(
            rcgen::PublicKeyData::der_bytes(&subject_key),
        ));

        let issuer = Issuer::from_ca_cert_der(
            &self.cert_der.as_slice().into(),
            KeySigner::new(self.key.as_ref())?,
        )?;
        let certificate = cert.signed_by(&subject_key, &issuer)?;
        Ok(MintedSvid {
            der: certificate.der().to_vec(),
            not_after,
            ttl_capped,
        })
    }

    /// SPIRE's `VerifyTrustDomainMemberID`: the ID is in this CA's trust domain and has a
    /// path. Callers validate IDs fully; this is a last guard against signing a foreign ID.
    fn check_member_id(&self, id: &str) -> Result<(), CaError> {
        let path = id
            .strip_prefix("spiffe://")
            .and_then(|rest| rest.strip_prefix(self.trust_domain.as_str()));
        match path {
            Some(path) if path.len() > 1 && path.starts_with('/') => Ok(()),
            _ => Err(CaError::SpiffeIdOutsideTrustDomain {
                id: id.to_owned(),
                trust_domain: self.trust_domain.clone(),
            }),
        }
    }
}

impl fmt::Debug for X509Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X509Ca")
            .field("authority_id", &self.authority_id)
            .field("trust_domain", &self.trust_domain)
            .field("not_after", &self.not_after)
            .field("key_id", &self.key.id())
            .finish_non_exhaustive()
    }
}

/// SPIRE's default SVID subject `C=US, O=SPIRE`, plus CN = the first DNS name.
fn svid_subject(common_name: Option<&str>) -> rcgen::DistinguishedName {
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(DnType::CountryName, dn_value("US"));
    dn.push(DnType::OrganizationName, dn_value("SPIRE"));
    if let Some(cn) = common_name {
        dn.push(DnType::CommonName, dn_value(cn));
    }
    dn
}

fn svid_sans(req: &X509SvidRequest) -> Result<Vec<SanType>, CaError> {
    let uri =
        req.spiffe_id
            .clone()
            .try_into()
            .map_err(|_| CaError::SpiffeIdOutsideTrustDomain {
                id: req.spiffe_id.clone(),
                trust_domain: String::new(),
            })?;
    let mut sans = vec![SanType::URI(uri)];
    for name in &req.dns_names {
        let dns = name
            .clone()
            .try_into()
            .map_err(|_| CaError::InvalidDnsName(name.clone()))?;
        sans.push(SanType::DnsName(dns));
    }
    Ok(sans)
}

/// The trust domain of a CA: the host of its `spiffe://<td>` URI SAN.
fn ca_trust_domain(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    let san = cert.subject_alternative_name().ok().flatten()?;
    san.value.general_names.iter().find_map(|name| match name {
        GeneralName::URI(uri) => uri
            .strip_prefix("spiffe://")
            .map(|td| td.trim_end_matches('/').to_owned())
            .filter(|td| !td.is_empty() && !td.contains('/')),
        _ => None,
    })
}
