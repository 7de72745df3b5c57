//! The server plugin's `plugin_data`, with SPIRE's keys and rules.
//!
//! Supported: `mode = "external_pki"` (the default), `ca_bundle_path` / `ca_bundle_paths`
//! (exactly one), `agent_path_template` (see [`crate::agent_path`]), `max_intermediates`,
//! `max_rsa_key_size`. Refused with a clear error: `mode = "spiffe"` and `spiffe_prefix` (they need
//! the server's own bundle, which the plugin seam does not pass in) and `verify_client_ip = true`
//! (the seam carries no client address). Unknown keys are errors naming the key.

use serde::Deserialize;
use spire_plugin::NodeAttestorError;

use crate::agent_path::AgentPathTemplate;
use crate::chain::{ChainLimits, TrustBundle};
use crate::error::internal;
use crate::pem_files::load_certificates;

#[derive(Debug)]
pub(crate) struct ServerConfig {
    pub bundle: TrustBundle,
    pub limits: ChainLimits,
    pub template: AgentPathTemplate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    mode: Option<String>,
    spiffe_prefix: Option<String>,
    ca_bundle_path: Option<String>,
    ca_bundle_paths: Option<Vec<String>>,
    agent_path_template: Option<String>,
    max_intermediates: Option<i64>,
    max_rsa_key_size: Option<i64>,
    verify_client_ip: Option<bool>,
}

impl ServerConfig {
    pub(crate) fn from_plugin_data(data: &serde_json::Value) -> Result<Self, NodeAttestorError> {
        let raw = RawConfig::deserialize(data)
            .map_err(|e| internal(format!("unable to decode configuration: {e}")))?;
        match raw.mode.as_deref() {
            None | Some("") | Some("external_pki") => {}
            Some("spiffe") => {
                return Err(internal(
                    "mode \"spiffe\" is not supported by spire-rs yet; use external_pki",
                ));
            }
            Some(_) => return Err(internal("mode can only be either spiffe or external_pki")),
        }
        if raw.spiffe_prefix.is_some() {
            return Err(internal(
                "spiffe_prefix is only used in spiffe mode, which is not supported",
            ));
        }
        if raw.verify_client_ip == Some(true) {
            return Err(internal(
                "verify_client_ip is not supported by spire-rs yet",
            ));
        }
        let paths = match (raw.ca_bundle_path, raw.ca_bundle_paths) {
            (Some(p), Some(ps)) if !p.is_empty() && !ps.is_empty() => {
                return Err(internal(
                    "only one of ca_bundle_path or ca_bundle_paths can be configured, not both",
                ));
            }
            (Some(p), _) if !p.is_empty() => vec![p],
            (_, Some(ps)) if !ps.is_empty() => ps,
            _ => {
                return Err(internal(
                    "one of ca_bundle_path or ca_bundle_paths must be configured",
                ));
            }
        };
        let mut roots = Vec::new();
        for path in &paths {
            let certs = load_certificates(path)
                .map_err(|e| internal(format!("unable to load trust bundle {path:?}: {e}")))?;
            roots.extend(certs);
        }
        let bundle = TrustBundle::new(roots).map_err(|e| internal(e.to_string()))?;

        let mut limits = ChainLimits::default();
        if let Some(n) = raw.max_intermediates {
            limits.max_intermediates = positive(n, "max_intermediates")?;
        }
        if let Some(n) = raw.max_rsa_key_size {
            limits.max_rsa_key_size = positive(n, "max_rsa_key_size")?;
        }
        let template = match raw.agent_path_template.as_deref() {
            None | Some("") => AgentPathTemplate::default(),
            Some(t) => AgentPathTemplate::parse(t).map_err(|e| internal(e.to_string()))?,
        };
        Ok(Self {
            bundle,
            limits,
            template,
        })
    }
}

fn positive(n: i64, key: &str) -> Result<usize, NodeAttestorError> {
    usize::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| internal(format!("{key} must be greater than 0")))
}
