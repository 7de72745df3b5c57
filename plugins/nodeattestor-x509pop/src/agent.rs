//! The agent half: send the certificate chain, sign the server's nonce.
//!
//! Config keys (SPIRE's): `private_key_path`, `certificate_path` (required), `intermediates_path`
//! (optional). `spiffe_endpoint_socket` (attesting with an SVID fetched from another Workload
//! API) is refused as not supported. Keys: RSA (PKCS#1 or PKCS#8) and ECDSA P-256 (SEC1 or
//! PKCS#8); a P-384 key is refused because aws-lc-rs cannot sign SPIRE's SHA-256 digest with it.

use std::sync::Arc;

use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use serde::Deserialize;
use spire_plugin::{AgentNodeAttestor, NodeAttestorError};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::PLUGIN_NAME;
use crate::error::{internal, invalid};
use crate::pem_files::{load_certificates, load_private_key};
use crate::pop::{NonceSource, SigningKey, SystemNonces};
use crate::wire::{AttestationData, Challenge};

/// The x509pop agent plugin.
#[derive(Debug, Clone)]
pub struct X509PopAgent {
    payload: Vec<u8>,
    key: Arc<SigningKey>,
    nonces: Arc<dyn NonceSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    private_key_path: Option<String>,
    certificate_path: Option<String>,
    intermediates_path: Option<String>,
    spiffe_endpoint_socket: Option<String>,
}

impl X509PopAgent {
    /// From parsed material: `certificates` is the DER chain, leaf first; `key` must be the
    /// leaf's private key.
    pub fn new(certificates: Vec<Vec<u8>>, key: SigningKey) -> Result<Self, NodeAttestorError> {
        let leaf = certificates
            .first()
            .ok_or_else(|| internal("no certificate to attest with"))?;
        let (_, cert) = X509Certificate::from_der(leaf)
            .map_err(|e| internal(format!("unable to parse certificate: {e}")))?;
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key_bytes() {
            return Err(internal(
                "private key does not match the certificate public key",
            ));
        }
        let payload = serde_json::to_vec(&AttestationData { certificates })
            .map_err(|e| internal(format!("unable to marshal attestation data: {e}")))?;
        Ok(Self {
            payload,
            key: Arc::new(key),
            nonces: Arc::new(SystemNonces),
        })
    }

    /// Builds the plugin from its `plugin_data`, reading the PEM files (its only I/O).
    pub fn from_plugin_data(data: &serde_json::Value) -> Result<Self, NodeAttestorError> {
        let raw = RawConfig::deserialize(data)
            .map_err(|e| internal(format!("unable to decode configuration: {e}")))?;
        if raw.spiffe_endpoint_socket.is_some() {
            return Err(internal(
                "spiffe_endpoint_socket is not supported by spire-rs yet",
            ));
        }
        let key_path = raw
            .private_key_path
            .filter(|p| !p.is_empty())
            .ok_or_else(|| internal("private_key_path is required"))?;
        let cert_path = raw
            .certificate_path
            .filter(|p| !p.is_empty())
            .ok_or_else(|| internal("certificate_path is required"))?;
        let mut certificates = load_certificates(&cert_path)
            .map_err(|e| internal(format!("unable to load keypair: {e}")))?;
        if let Some(path) = raw.intermediates_path.filter(|p| !p.trim().is_empty()) {
            let intermediates = load_certificates(&path)
                .map_err(|e| internal(format!("unable to load intermediate certificates: {e}")))?;
            certificates.extend(intermediates);
        }
        let (label, der) = load_private_key(&key_path)
            .map_err(|e| internal(format!("unable to load keypair: {e}")))?;
        let key = signing_key_from_der(&label, &der)?;
        Self::new(certificates, key)
    }

    /// Replaces the nonce source.
    pub fn with_nonces(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.nonces = nonces;
        self
    }
}

impl AgentNodeAttestor for X509PopAgent {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    fn payload(&self) -> Result<Vec<u8>, NodeAttestorError> {
        Ok(self.payload.clone())
    }

    fn respond(&self, challenge: &[u8]) -> Result<Vec<u8>, NodeAttestorError> {
        let challenge: Challenge = serde_json::from_slice(challenge)
            .map_err(|e| invalid("challenge", format!("unable to unmarshal challenge: {e}")))?;
        let response = self
            .key
            .respond(&challenge, self.nonces.as_ref())
            .map_err(|e| internal(format!("failed to calculate challenge response: {e}")))?;
        serde_json::to_vec(&response)
            .map_err(|e| internal(format!("unable to marshal challenge response: {e}")))
    }
}

/// Parses a private key from its PEM label and DER: `RSA PRIVATE KEY` (PKCS#1),
/// `EC PRIVATE KEY` (SEC1, P-256) or `PRIVATE KEY` (PKCS#8, RSA or P-256).
pub fn signing_key_from_der(label: &str, der: &[u8]) -> Result<SigningKey, NodeAttestorError> {
    let p256 = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let parsed = match label {
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(der).ok().map(SigningKey::Rsa),
        "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(p256, der)
            .ok()
            .map(SigningKey::EcdsaP256),
        "PRIVATE KEY" => EcdsaKeyPair::from_pkcs8(p256, der)
            .ok()
            .map(SigningKey::EcdsaP256)
            .or_else(|| RsaKeyPair::from_pkcs8(der).ok().map(SigningKey::Rsa)),
        _ => None,
    };
    parsed.ok_or_else(|| {
        internal(format!(
            "unable to load keypair: {label} is not an RSA or ECDSA P-256 private key"
        ))
    })
}
