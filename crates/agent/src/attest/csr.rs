//! The agent's certificate signing request, signed through the KeyManager so the agent key
//! never leaves it. Like SPIRE's `MakeCSRWithoutURISAN`, the request carries only the public
//! key: the server names the agent from the attestation, never from the CSR.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, PublicKeyData, SignatureAlgorithm, SigningKey,
};
use spire_plugin::{Key, KeyType};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Why the CSR could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    #[error("agent key {key_id:?}: public key is not a valid SubjectPublicKeyInfo: {reason}")]
    PublicKey { key_id: String, reason: String },
    #[error("agent key {key_id:?}: signing the CSR failed: {reason}")]
    Sign { key_id: String, reason: String },
}

/// A DER PKCS#10 request for `key` with no SAN and no extensions.
pub fn agent_csr(key: &dyn Key) -> Result<Vec<u8>, CsrError> {
    let signer = KeySigner::new(key)?;
    let mut params = CertificateParams::default();
    // SPIRE's agent CSRs carry C=US, O=SPIRE; the server ignores the subject either way.
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CountryName, "US");
    subject.push(DnType::OrganizationName, "SPIRE");
    params.distinguished_name = subject;
    let csr = params
        .serialize_request(&signer)
        .map_err(|e| CsrError::Sign {
            key_id: key.id().to_owned(),
            reason: e.to_string(),
        })?;
    Ok(csr.der().to_vec())
}

/// A KeyManager key seen through rcgen's signing traits.
pub(crate) struct KeySigner<'k> {
    key: &'k dyn Key,
    subject_public_key: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl<'k> KeySigner<'k> {
    pub(crate) fn new(key: &'k dyn Key) -> Result<Self, CsrError> {
        let bad = |reason: String| CsrError::PublicKey {
            key_id: key.id().to_owned(),
            reason,
        };
        let (rest, spki) =
            SubjectPublicKeyInfo::from_der(key.public_key_der()).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes of trailing data", rest.len())));
        }
        // The hash matches what `Key::sign` applies for each key type.
        let algorithm = match key.key_type() {
            KeyType::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Rsa2048 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        };
        Ok(Self {
            key,
            subject_public_key: spki.subject_public_key.data.to_vec(),
            algorithm,
        })
    }
}

impl PublicKeyData for KeySigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.subject_public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl SigningKey for KeySigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

#[cfg(test)]
mod tests {
    use spire_keymanager::MemoryKeyManager;
    use spire_plugin::KeyManager;
    use x509_parser::prelude::FromDer;

    use super::*;

    #[test]
    fn csr_carries_the_agent_public_key_and_verifies() {
        let km = MemoryKeyManager::new();
        let key = km
            .generate_key("agent-svid-A", KeyType::EcP256)
            .expect("generate key");
        let der = agent_csr(key.as_ref()).expect("csr");
        let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
            .expect("parse csr");
        csr.verify_signature().expect("self-signature verifies");
        assert_eq!(
            csr.certification_request_info.subject_pki.raw,
            key.public_key_der()
        );
        assert_eq!(
            csr.certification_request_info.subject.to_string(),
            "C=US, O=SPIRE"
        );
        assert!(
            csr.requested_extensions()
                .is_none_or(|mut e| e.next().is_none())
        );
    }
}
