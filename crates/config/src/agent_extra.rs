//! The smaller blocks inside `agent {}`: `sds`, `experimental`, the workload key type and the
//! admin-socket placement rule.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::ConfigError;
use crate::key_type::KeyType;
use crate::section::Section;

/// `sds { ... }`: Envoy SDS resource names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sds {
    /// `default_svid_name` (default "default").
    pub default_svid_name: String,
    /// `default_bundle_name` (default "ROOTCA").
    pub default_bundle_name: String,
    /// `default_all_bundles_name` (default "ALL").
    pub default_all_bundles_name: String,
    /// `disable_spiffe_cert_validation` (default false).
    pub disable_spiffe_cert_validation: bool,
}

impl Default for Sds {
    fn default() -> Self {
        Self {
            default_svid_name: "default".into(),
            default_bundle_name: "ROOTCA".into(),
            default_all_bundles_name: "ALL".into(),
            disable_spiffe_cert_validation: false,
        }
    }
}

impl Sds {
    pub(crate) fn decode(
        agent: &mut Section,
        unknown: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let d = Self::default();
        let Some(mut s) = agent.block("sds")? else {
            return Ok(d);
        };
        let out = Self {
            default_svid_name: s
                .string("default_svid_name")?
                .unwrap_or(d.default_svid_name),
            default_bundle_name: s
                .string("default_bundle_name")?
                .unwrap_or(d.default_bundle_name),
            default_all_bundles_name: s
                .string("default_all_bundles_name")?
                .unwrap_or(d.default_all_bundles_name),
            disable_spiffe_cert_validation: s
                .bool("disable_spiffe_cert_validation")?
                .unwrap_or(false),
        };
        s.finish(unknown);
        if out.default_bundle_name == out.default_all_bundles_name {
            warnings.push(
                "The \"default_bundle_name\" and \"default_all_bundles_name\" configurables have the same value. \
                 \"default_all_bundles_name\" will be ignored. Please configure distinct values or use the defaults."
                    .into(),
            );
        }
        Ok(out)
    }
}

/// `agent.experimental { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentExperimental {
    /// `sync_interval` (default 5s).
    pub sync_interval: Duration,
    /// `use_sync_authorized_entries` (default true; deprecated).
    pub use_sync_authorized_entries: bool,
    /// `jwt_svid_cache_hit_timeout` (default 30s).
    pub jwt_svid_cache_hit_timeout: Duration,
    /// `named_pipe_name` (Windows).
    pub named_pipe_name: Option<String>,
    /// `admin_named_pipe_name` (Windows).
    pub admin_named_pipe_name: Option<String>,
    /// `require_pq_kem`.
    pub require_pq_kem: bool,
    /// `ratelimit { fetch_x509_svid, ... }` as written (0 = off).
    pub ratelimit: Option<Value>,
    /// `broker { ... }` as written.
    pub broker: Option<Value>,
    /// `feature_flags`.
    pub feature_flags: Vec<String>,
}

impl Default for AgentExperimental {
    fn default() -> Self {
        Self {
            sync_interval: Duration::from_secs(5),
            use_sync_authorized_entries: true,
            jwt_svid_cache_hit_timeout: Duration::from_secs(30),
            named_pipe_name: None,
            admin_named_pipe_name: None,
            require_pq_kem: false,
            ratelimit: None,
            broker: None,
            feature_flags: Vec::new(),
        }
    }
}

impl AgentExperimental {
    pub(crate) fn decode(
        agent: &mut Section,
        unknown: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let d = Self::default();
        let Some(mut s) = agent.block("experimental")? else {
            return Ok(d);
        };
        let use_sync = s.bool("use_sync_authorized_entries")?;
        if use_sync.is_some() {
            warnings.push("The 'use_sync_authorized_entries' configuration is deprecated.".into());
        }
        let out = Self {
            sync_interval: s.ttl("sync_interval")?.unwrap_or(d.sync_interval),
            use_sync_authorized_entries: use_sync.unwrap_or(true),
            jwt_svid_cache_hit_timeout: s
                .duration("jwt_svid_cache_hit_timeout")?
                .unwrap_or(d.jwt_svid_cache_hit_timeout),
            named_pipe_name: s.string("named_pipe_name")?,
            admin_named_pipe_name: s.string("admin_named_pipe_name")?,
            require_pq_kem: s.bool("require_pq_kem")?.unwrap_or(false),
            ratelimit: s.take("ratelimit"),
            broker: s.take("broker"),
            feature_flags: s.strings("feature_flags")?.unwrap_or_default(),
        };
        s.finish(unknown);
        if out != d {
            warnings.push(
                "Experimental features have been enabled. Please see doc/upgrading.md for upgrade and compatibility considerations for experimental features."
                    .into(),
            );
        }
        for flag in &out.feature_flags {
            warnings.push(format!("Developer feature flag {flag:?} has been enabled"));
        }
        Ok(out)
    }
}

/// `workload_x509_svid_key_type`: rsa-2048, ec-p256 (default) or ec-p384.
pub(crate) fn workload_key_type(s: &mut Section) -> Result<KeyType, ConfigError> {
    const KEY: &str = "workload_x509_svid_key_type";
    match s.string(KEY)? {
        None => Ok(KeyType::EcP256),
        Some(name) => match name.parse::<KeyType>() {
            Ok(k @ (KeyType::Rsa2048 | KeyType::EcP256 | KeyType::EcP384)) => Ok(k),
            _ => Err(s.invalid(
                KEY,
                format!(
                    "key type {name:?} is unknown; must be one of [rsa-2048, ec-p256, ec-p384]"
                ),
            )),
        },
    }
}

/// The admin socket must not sit in (or under) the Workload API socket's directory, which
/// workloads can reach.
pub(crate) fn check_socket_placement(public: &Path, admin: &Path) -> Result<(), String> {
    let public_dir = public.parent().unwrap_or(Path::new(""));
    let admin_dir = admin.parent().unwrap_or(Path::new(""));
    let same_or_below = if public_dir.as_os_str().is_empty() {
        admin_dir.as_os_str().is_empty()
    } else {
        admin_dir.starts_with(public_dir)
    };
    if same_or_below {
        return Err(
            "admin socket cannot be in the same directory or a subdirectory as that containing the Workload API socket"
                .into(),
        );
    }
    Ok(())
}
