//! The server half: verify the chain, challenge the leaf key, name the agent.

use std::sync::Arc;

use rustls_pki_types::UnixTime;
use spire_plugin::{
    AttestationResult, NodeAttestorError, PendingAttestation, ServerNodeAttestor, ServerStep,
};
use spire_spiffe::Selector;

use crate::agent_path::AgentPathTemplate;
use crate::chain::{ChainLimits, TrustBundle, VerifiedLeaf, verify_chain};
use crate::pop::{NonceSource, SystemNonces};
use crate::server_config::ServerConfig;
use crate::wire::{AttestationData, Challenge, Response};
use crate::{PLUGIN_NAME, error};

/// The x509pop server plugin in `external_pki` mode.
#[derive(Debug, Clone)]
pub struct X509PopServer {
    bundle: TrustBundle,
    limits: ChainLimits,
    template: AgentPathTemplate,
    nonces: Arc<dyn NonceSource>,
}

impl X509PopServer {
    /// Trusts `bundle`, with SPIRE's default limits and agent path template.
    pub fn new(bundle: TrustBundle) -> Self {
        Self {
            bundle,
            limits: ChainLimits::default(),
            template: AgentPathTemplate::default(),
            nonces: Arc::new(SystemNonces),
        }
    }

    /// Builds the plugin from its `plugin_data`, reading the CA bundle files (its only I/O).
    pub fn from_plugin_data(data: &serde_json::Value) -> Result<Self, NodeAttestorError> {
        let config = ServerConfig::from_plugin_data(data)?;
        Ok(Self {
            bundle: config.bundle,
            limits: config.limits,
            template: config.template,
            nonces: Arc::new(SystemNonces),
        })
    }

    pub fn with_limits(mut self, limits: ChainLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn with_template(mut self, template: AgentPathTemplate) -> Self {
        self.template = template;
        self
    }

    /// Replaces the nonce source (tests replay nonces with it).
    pub fn with_nonces(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.nonces = nonces;
        self
    }

    /// [`ServerNodeAttestor::begin`] at an explicit time.
    pub fn begin_at(
        &self,
        trust_domain: &str,
        payload: &[u8],
        now: UnixTime,
    ) -> Result<ServerStep, NodeAttestorError> {
        if payload.is_empty() {
            return Err(error::invalid("payload", "missing attestation payload"));
        }
        let data: AttestationData = serde_json::from_slice(payload)
            .map_err(|e| error::invalid("payload", format!("failed to unmarshal data: {e}")))?;
        let leaf =
            verify_chain(&data.certificates, &self.bundle, self.limits, now).map_err(|e| {
                if e.is_malformed() {
                    error::invalid("payload", e.to_string())
                } else {
                    error::denied(e.to_string())
                }
            })?;
        let challenge = leaf
            .key
            .challenge(self.nonces.as_ref())
            .map_err(|e| error::internal(format!("unable to generate challenge: {e}")))?;
        let bytes = serde_json::to_vec(&challenge)
            .map_err(|e| error::internal(format!("unable to marshal challenge: {e}")))?;
        Ok(ServerStep::Challenge {
            challenge: bytes,
            pending: Box::new(PendingX509Pop {
                trust_domain: trust_domain.to_owned(),
                template: self.template.clone(),
                leaf,
                challenge,
            }),
        })
    }
}

impl ServerNodeAttestor for X509PopServer {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    fn begin(&self, trust_domain: &str, payload: &[u8]) -> Result<ServerStep, NodeAttestorError> {
        self.begin_at(trust_domain, payload, UnixTime::now())
    }
}

/// A verified chain waiting for proof that the agent holds the leaf key.
#[derive(Debug)]
struct PendingX509Pop {
    trust_domain: String,
    template: AgentPathTemplate,
    leaf: VerifiedLeaf,
    challenge: Challenge,
}

impl PendingAttestation for PendingX509Pop {
    fn respond(self: Box<Self>, response: &[u8]) -> Result<ServerStep, NodeAttestorError> {
        let response: Response = serde_json::from_slice(response).map_err(|e| {
            error::invalid(
                "challenge response",
                format!("unable to unmarshal challenge response: {e}"),
            )
        })?;
        self.leaf
            .key
            .verify(&self.challenge, &response)
            .map_err(|e| error::denied(format!("challenge response verification failed: {e}")))?;
        let agent_id = self
            .template
            .agent_id(&self.trust_domain, PLUGIN_NAME, &self.leaf)
            .map_err(|e| error::internal(format!("failed to make spiffe id: {e}")))?;
        Ok(ServerStep::Attested(AttestationResult {
            agent_id,
            selectors: selectors(&self.leaf, &self.trust_domain)?,
            can_reattest: true,
        }))
    }
}

/// SPIRE's selector values, in its order: `subject:cn:`, `ca:fingerprint:` per CA on the
/// path (deduplicated), `serialnumber:`, then `san:<key>:<value>` for each
/// `x509pop://<td>/<key>/<value>` URI SAN (sorted by key; the last value of a key wins).
pub fn selectors(
    leaf: &VerifiedLeaf,
    trust_domain: &str,
) -> Result<Vec<Selector>, NodeAttestorError> {
    let mut values = Vec::new();
    if let Some(cn) = &leaf.common_name {
        values.push(format!("subject:cn:{cn}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for fp in &leaf.ca_fingerprints {
        if seen.insert(fp.as_str()) {
            values.push(format!("ca:fingerprint:{fp}"));
        }
    }
    values.push(format!("serialnumber:{}", leaf.serial_hex));
    let prefix = format!("x509pop://{trust_domain}/");
    let mut sans = std::collections::BTreeMap::new();
    for uri in &leaf.uri_sans {
        let Some(path) = uri.strip_prefix(&prefix) else {
            continue;
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if let Some((key, value)) = path.trim_matches('/').split_once('/') {
            sans.insert(key.to_owned(), value.to_owned());
        }
    }
    for (key, value) in sans {
        values.push(format!("san:{key}:{value}"));
    }
    values
        .into_iter()
        .map(|v| {
            Selector::from_untrusted(PLUGIN_NAME, v.as_str())
                .map_err(|e| error::internal(format!("selector {v:?}: {e}")))
        })
        .collect()
}
