//! Blocks and settings shared by the server and agent files: `health_checks`, logging,
//! profiling, and the trust-domain check.

use std::path::PathBuf;

use serde_json::Value;
use spire_spiffe::{SpiffeId, TrustDomain};

use crate::error::ConfigError;
use crate::section::Section;

/// `health_checks { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthChecks {
    /// Whether the HTTP health listener runs (default false).
    pub listener_enabled: bool,
    /// Listener address (default "localhost").
    pub bind_address: String,
    /// Listener port (default 80).
    pub bind_port: u16,
    /// Liveness path (default "/live").
    pub live_path: String,
    /// Readiness path (default "/ready").
    pub ready_path: String,
}

impl Default for HealthChecks {
    fn default() -> Self {
        Self {
            listener_enabled: false,
            bind_address: "localhost".into(),
            bind_port: 80,
            live_path: "/live".into(),
            ready_path: "/ready".into(),
        }
    }
}

impl HealthChecks {
    pub(crate) fn decode(
        root: &mut Section,
        unknown: &mut Vec<String>,
    ) -> Result<Self, ConfigError> {
        let mut out = Self::default();
        let Some(mut s) = root.block("health_checks")? else {
            return Ok(out);
        };
        out.listener_enabled = s.bool("listener_enabled")?.unwrap_or(out.listener_enabled);
        out.bind_address = s.string("bind_address")?.unwrap_or(out.bind_address);
        out.bind_port = s.port("bind_port")?.unwrap_or(out.bind_port);
        out.live_path = s.string("live_path")?.unwrap_or(out.live_path);
        out.ready_path = s.string("ready_path")?.unwrap_or(out.ready_path);
        s.finish(unknown);
        Ok(out)
    }
}

/// `log_level`, `log_format`, `log_file`, `log_source_location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// "DEBUG", "INFO", "WARN", "ERROR" (case as written; default "INFO").
    pub level: String,
    /// "text" or "json" (default "text").
    pub format: String,
    /// Log to this file instead of stderr.
    pub file: Option<PathBuf>,
    /// Include source locations.
    pub source_location: bool,
}

impl LogConfig {
    pub(crate) fn decode(s: &mut Section) -> Result<Self, ConfigError> {
        let level = s.string("log_level")?.unwrap_or_else(|| "INFO".into());
        if !matches!(
            level.to_ascii_lowercase().as_str(),
            "trace" | "debug" | "info" | "warn" | "warning" | "error" | "fatal" | "panic"
        ) {
            return Err(s.invalid("log_level", format!("unknown log level {level:?}")));
        }
        let format = s.string("log_format")?.unwrap_or_else(|| "text".into());
        if !matches!(format.to_ascii_lowercase().as_str(), "text" | "json") {
            return Err(s.invalid(
                "log_format",
                format!("unknown log format {format:?}; expected \"text\" or \"json\""),
            ));
        }
        Ok(Self {
            level,
            format,
            file: s.string("log_file")?.map(PathBuf::from),
            source_location: s.bool("log_source_location")?.unwrap_or(false),
        })
    }
}

/// The undocumented `profiling_*` keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiling {
    /// `profiling_enabled`.
    pub enabled: bool,
    /// `profiling_port`.
    pub port: Option<u16>,
    /// `profiling_freq` (seconds).
    pub freq: Option<u64>,
    /// `profiling_names`.
    pub names: Vec<String>,
}

impl Profiling {
    pub(crate) fn decode(s: &mut Section) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: s.bool("profiling_enabled")?.unwrap_or(false),
            port: s.port("profiling_port")?,
            freq: s.uint("profiling_freq")?,
            names: s.strings("profiling_names")?.unwrap_or_default(),
        })
    }
}

/// The `telemetry` block kept as written (`{}` when absent); the metrics layer reads it.
pub(crate) fn telemetry(root: &mut Section) -> Result<Value, ConfigError> {
    match root.block("telemetry")? {
        None => Ok(Value::Object(Default::default())),
        Some(mut s) => Ok(Value::Object(s.drain().into_iter().collect())),
    }
}

/// Parses `trust_domain` as SPIRE does (go-spiffe's `TrustDomainFromString`): a bare name or
/// a `spiffe://` ID, checked by `spire_spiffe` against the SPIFFE-ID rules.
///
/// One difference from SPIRE: names over 255 bytes are refused here, where SPIRE only warns.
pub(crate) fn parse_trust_domain(
    source: &str,
    key: &str,
    td: &str,
) -> Result<TrustDomain, ConfigError> {
    TrustDomain::from_id_or_name(td).map_err(|e| ConfigError::InvalidValue {
        file: source.to_string(),
        key: key.to_string(),
        reason: format!("could not parse trust_domain {td:?}: {e}"),
    })
}

/// Parses a list of SPIFFE IDs (`admin_ids`, `authorized_delegates`).
pub(crate) fn parse_spiffe_ids(
    source: &str,
    key: &str,
    ids: Vec<String>,
) -> Result<Vec<SpiffeId>, ConfigError> {
    ids.iter()
        .map(|id| {
            SpiffeId::new(id).map_err(|e| ConfigError::InvalidValue {
                file: source.to_string(),
                key: key.to_string(),
                reason: format!("could not parse SPIFFE ID {id:?}: {e}"),
            })
        })
        .collect()
}
