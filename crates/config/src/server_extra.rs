//! The smaller blocks inside `server {}`: `ca_subject`, `ratelimit`, `experimental`, and the
//! checks SPIRE makes on `federation`.

use std::time::Duration;

use serde_json::Value;

use crate::error::ConfigError;
use crate::section::Section;

/// `ca_subject { country, organization, common_name }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaSubject {
    /// Country (C).
    pub country: Vec<String>,
    /// Organization (O).
    pub organization: Vec<String>,
    /// Common name (CN).
    pub common_name: Option<String>,
}

impl Default for CaSubject {
    /// C=US, O=SPIFFE, as SPIRE (RFC 5280 requires a non-empty issuer DN).
    fn default() -> Self {
        Self {
            country: vec!["US".into()],
            organization: vec!["SPIFFE".into()],
            common_name: None,
        }
    }
}

impl CaSubject {
    pub(crate) fn decode(
        server: &mut Section,
        unknown: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let Some(mut s) = server.block("ca_subject")? else {
            return Ok(Self::default());
        };
        let subject = Self {
            country: s.strings("country")?.unwrap_or_default(),
            organization: s.strings("organization")?.unwrap_or_default(),
            common_name: s.string("common_name")?.filter(|cn| !cn.is_empty()),
        };
        s.finish(unknown);
        if subject.country.is_empty()
            && subject.organization.is_empty()
            && subject.common_name.is_none()
        {
            warnings
                .push("ca_subject configurable is set but empty; the default will be used".into());
            return Ok(Self::default());
        }
        Ok(subject)
    }
}

/// `ratelimit { attestation, signing }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Rate-limit node attestation (default true).
    pub attestation: bool,
    /// Rate-limit signing (default true).
    pub signing: bool,
}

impl RateLimit {
    pub(crate) fn decode(
        server: &mut Section,
        unknown: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let Some(mut s) = server.block("ratelimit")? else {
            return Ok(Self {
                attestation: true,
                signing: true,
            });
        };
        let out = Self {
            attestation: s.bool("attestation")?.unwrap_or(true),
            signing: s.bool("signing")?.unwrap_or(true),
        };
        s.finish(unknown);
        Ok(out)
    }
}

/// `server.experimental { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerExperimental {
    /// `cache_reload_interval` (default 5s).
    pub cache_reload_interval: Duration,
    /// `full_cache_reload_interval` (default 24h).
    pub full_cache_reload_interval: Duration,
    /// `events_based_cache` (default false).
    pub events_based_cache: bool,
    /// `prune_events_older_than` (default 12h).
    pub prune_events_older_than: Duration,
    /// `event_timeout` (default 15m).
    pub event_timeout: Duration,
    /// `sql_transaction_timeout` (deprecated; accepted and ignored with a warning).
    pub sql_transaction_timeout: Option<Duration>,
    /// `auth_opa_policy_engine { local { rego_path, policy_data_path } }` as written.
    pub auth_opa_policy_engine: Option<Value>,
    /// `agent_spiffe_id_as_selector`.
    pub agent_spiffe_id_as_selector: bool,
    /// `named_pipe_name` (Windows).
    pub named_pipe_name: Option<String>,
    /// `require_pq_kem`.
    pub require_pq_kem: bool,
    /// `wit_key_type`.
    pub wit_key_type: Option<String>,
    /// `wit_issuer`.
    pub wit_issuer: Option<String>,
    /// `feature_flags`.
    pub feature_flags: Vec<String>,
}

impl Default for ServerExperimental {
    fn default() -> Self {
        Self {
            cache_reload_interval: Duration::from_secs(5),
            full_cache_reload_interval: Duration::from_secs(24 * 3600),
            events_based_cache: false,
            prune_events_older_than: Duration::from_secs(12 * 3600),
            event_timeout: Duration::from_secs(15 * 60),
            sql_transaction_timeout: None,
            auth_opa_policy_engine: None,
            agent_spiffe_id_as_selector: false,
            named_pipe_name: None,
            require_pq_kem: false,
            wit_key_type: None,
            wit_issuer: None,
            feature_flags: Vec::new(),
        }
    }
}

impl ServerExperimental {
    pub(crate) fn decode(
        server: &mut Section,
        unknown: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let d = Self::default();
        let Some(mut s) = server.block("experimental")? else {
            return Ok(d);
        };
        let out = Self {
            cache_reload_interval: s
                .ttl("cache_reload_interval")?
                .unwrap_or(d.cache_reload_interval),
            full_cache_reload_interval: s
                .ttl("full_cache_reload_interval")?
                .unwrap_or(d.full_cache_reload_interval),
            events_based_cache: s.bool("events_based_cache")?.unwrap_or(false),
            prune_events_older_than: s
                .ttl("prune_events_older_than")?
                .unwrap_or(d.prune_events_older_than),
            event_timeout: s.ttl("event_timeout")?.unwrap_or(d.event_timeout),
            sql_transaction_timeout: s.duration("sql_transaction_timeout")?,
            auth_opa_policy_engine: s.take("auth_opa_policy_engine"),
            agent_spiffe_id_as_selector: s.bool("agent_spiffe_id_as_selector")?.unwrap_or(false),
            named_pipe_name: s.string("named_pipe_name")?,
            require_pq_kem: s.bool("require_pq_kem")?.unwrap_or(false),
            wit_key_type: s.string("wit_key_type")?,
            wit_issuer: s.string("wit_issuer")?,
            feature_flags: s.strings("feature_flags")?.unwrap_or_default(),
        };
        s.finish(unknown);
        if out != d {
            warnings.push(
                "Experimental features have been enabled. Please see doc/upgrading.md for upgrade and compatibility considerations for experimental features."
                    .into(),
            );
        }
        if out.sql_transaction_timeout.is_some() {
            warnings.push(
                "experimental.sql_transaction_timeout is deprecated and has no effect".into(),
            );
        }
        for flag in &out.feature_flags {
            warnings.push(format!("Developer feature flag {flag:?} has been enabled"));
        }
        Ok(out)
    }
}

/// SPIRE's federation checks: ACME needs `domain_name` and `email`; each `federates_with`
/// needs an `https://` `bundle_endpoint_url`.
pub(crate) fn check_federation(source: &str, federation: &Value) -> Result<(), ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        file: source.to_string(),
        reason,
    };
    let str_at =
        |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    if let Some(acme) = federation
        .get("bundle_endpoint")
        .and_then(|b| b.get("acme"))
    {
        for field in ["domain_name", "email"] {
            if str_at(acme, field).is_empty() {
                return Err(invalid(format!(
                    "federation.bundle_endpoint.acme.{field} must be configured"
                )));
            }
        }
    }
    if let Some(Value::Object(peers)) = federation.get("federates_with") {
        for (td, peer) in peers {
            let url = str_at(peer, "bundle_endpoint_url");
            if url.is_empty() {
                return Err(invalid(format!(
                    "federation.federates_with[\"{td}\"].bundle_endpoint_url must be configured"
                )));
            }
            if !url.to_ascii_lowercase().starts_with("https://") {
                return Err(invalid(format!(
                    "federation.federates_with[\"{td}\"].bundle_endpoint_url must use the HTTPS protocol; URL found: {url:?}"
                )));
            }
        }
    }
    Ok(())
}
