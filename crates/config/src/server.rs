//! `server.conf`: the `server {}` block with SPIRE's defaults and validation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use spire_spiffe::{SpiffeId, TrustDomain};

use crate::common::{self, HealthChecks, LogConfig, Profiling};
use crate::duration::format_go_duration;
use crate::error::ConfigError;
use crate::key_type::KeyType;
use crate::load::load_file;
use crate::plugins::{self, PluginDecl, PluginRules};
use crate::section::Section;
use crate::server_extra::{CaSubject, RateLimit, ServerExperimental, check_federation};

/// A validated spire-server configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// `trust_domain` (required; `spiffe://example.org` is accepted like `example.org`).
    pub trust_domain: TrustDomain,
    /// `bind_address` (default "0.0.0.0").
    pub bind_address: String,
    /// `bind_port` (default 8081; a quoted number is accepted).
    pub bind_port: u16,
    /// `socket_path` of the admin API (default "/tmp/spire-server/private/api.sock").
    pub socket_path: PathBuf,
    /// `data_dir` (required).
    pub data_dir: PathBuf,
    /// `log_level` (INFO), `log_format` (text), `log_file`, `log_source_location`.
    pub log: LogConfig,
    /// `ca_ttl` (default 24h).
    pub ca_ttl: Duration,
    /// `default_x509_svid_ttl` (default 1h).
    pub default_x509_svid_ttl: Duration,
    /// `default_jwt_svid_ttl` (default 5m).
    pub default_jwt_svid_ttl: Duration,
    /// `agent_ttl`; `None` means agents get `default_x509_svid_ttl` (see [`Self::effective_agent_ttl`]).
    pub agent_ttl: Option<Duration>,
    /// `ca_key_type` (default ec-p256).
    pub ca_key_type: KeyType,
    /// `jwt_key_type` (default: `ca_key_type`).
    pub jwt_key_type: KeyType,
    /// `ca_subject` (default C=US, O=SPIFFE, also when set but empty).
    pub ca_subject: CaSubject,
    /// `jwt_issuer`: the `iss` claim of JWT-SVIDs.
    pub jwt_issuer: Option<String>,
    /// `disable_jwt_svids`.
    pub disable_jwt_svids: bool,
    /// `admin_ids`: SPIFFE IDs granted admin rights.
    pub admin_ids: Vec<SpiffeId>,
    /// `audit_log_enabled`.
    pub audit_log_enabled: bool,
    /// `ratelimit { attestation, signing }` (both default true).
    pub ratelimit: RateLimit,
    /// `prune_attested_nodes_expired_for`: prune agents expired for this long (off when `None`).
    pub prune_attested_nodes_expired_for: Option<Duration>,
    /// `prune_tofu_nodes`.
    pub prune_tofu_nodes: bool,
    /// `proxy_protocol_trusted_cidrs`.
    pub proxy_protocol_trusted_cidrs: Vec<String>,
    /// `max_attested_node_info_staleness` (default 0s).
    pub max_attested_node_info_staleness: Duration,
    /// `profiling_*`.
    pub profiling: Profiling,
    /// `federation { ... }` as written (checked: https bundle endpoints, ACME fields).
    pub federation: Option<Value>,
    /// `experimental { ... }`.
    pub experimental: ServerExperimental,
    /// The `plugins` block, sorted by type then name.
    pub plugins: Vec<PluginDecl>,
    /// `health_checks { ... }`.
    pub health_checks: HealthChecks,
    /// `telemetry { ... }` as written (`{}` when absent).
    pub telemetry: Value,
    /// Things SPIRE would log as warnings at startup (not errors).
    pub warnings: Vec<String>,
}

/// Plugin types spire-server loads, and the ones it needs exactly one of.
const SERVER_PLUGINS: PluginRules = PluginRules {
    known_types: &[
        "BundlePublisher",
        "CredentialComposer",
        "DataStore",
        "KeyManager",
        "NodeAttestor",
        "Notifier",
        "UpstreamAuthority",
    ],
    exactly_one: &["DataStore", "KeyManager"],
};

impl ServerConfig {
    /// Reads, expands (when `expand_env`), parses and validates a server configuration file.
    pub fn load(path: &Path, expand_env: bool) -> Result<ServerConfig, ConfigError> {
        let value = load_file(path, expand_env)?;
        Self::from_value(value, &path.display().to_string())
    }

    /// Decodes and validates an already parsed file; `source` names the file in errors.
    pub fn from_value(value: Value, source: &str) -> Result<ServerConfig, ConfigError> {
        let invalid = |reason: &str| ConfigError::Invalid {
            file: source.to_string(),
            reason: reason.to_string(),
        };
        let mut root = Section::root(value, source)?;
        let mut unknown = Vec::new();
        let Some(mut s) = root.block("server")? else {
            return Err(invalid("server section must be configured"));
        };

        let bind_address = s
            .string("bind_address")?
            .unwrap_or_else(|| "0.0.0.0".into());
        let bind_port = s.port("bind_port")?.unwrap_or(8081);
        let socket_path = s
            .string("socket_path")?
            .unwrap_or_else(|| "/tmp/spire-server/private/api.sock".into());
        let trust_domain = s.string("trust_domain")?.unwrap_or_default();
        let data_dir = s.string("data_dir")?.unwrap_or_default();
        let log = LogConfig::decode(&mut s)?;
        let ca_ttl = s.ttl("ca_ttl")?.unwrap_or(Duration::from_secs(24 * 3600));
        let default_x509_svid_ttl = s
            .ttl("default_x509_svid_ttl")?
            .unwrap_or(Duration::from_secs(3600));
        let default_jwt_svid_ttl = s
            .ttl("default_jwt_svid_ttl")?
            .unwrap_or(Duration::from_secs(300));
        let agent_ttl = s.ttl("agent_ttl")?;
        let ca_key_type = key_type(&mut s, "ca_key_type")?.unwrap_or(KeyType::EcP256);
        let jwt_key_type = key_type(&mut s, "jwt_key_type")?.unwrap_or(ca_key_type);
        let mut warnings = Vec::new();
        let ca_subject = CaSubject::decode(&mut s, &mut unknown, &mut warnings)?;
        let jwt_issuer = s.string("jwt_issuer")?;
        let disable_jwt_svids = s.bool("disable_jwt_svids")?.unwrap_or(false);
        let admin_ids = s.strings("admin_ids")?.unwrap_or_default();
        let audit_log_enabled = s.bool("audit_log_enabled")?.unwrap_or(false);
        let ratelimit = RateLimit::decode(&mut s, &mut unknown)?;
        let prune_attested_nodes_expired_for = s.duration("prune_attested_nodes_expired_for")?;
        let prune_tofu_nodes = s.bool("prune_tofu_nodes")?.unwrap_or(false);
        let proxy_protocol_trusted_cidrs = s
            .strings("proxy_protocol_trusted_cidrs")?
            .unwrap_or_default();
        let max_attested_node_info_staleness = s
            .duration("max_attested_node_info_staleness")?
            .unwrap_or_default();
        let profiling = Profiling::decode(&mut s)?;
        let federation = s.take("federation");
        let experimental = ServerExperimental::decode(&mut s, &mut unknown, &mut warnings)?;
        s.finish(&mut unknown);

        let plugins = plugins::decode(&mut root, &SERVER_PLUGINS, &mut unknown)?;
        let health_checks = HealthChecks::decode(&mut root, &mut unknown)?;
        let telemetry = common::telemetry(&mut root)?;
        root.finish(&mut unknown);
        if !unknown.is_empty() {
            unknown.sort();
            return Err(ConfigError::UnknownKeys {
                file: source.to_string(),
                keys: unknown,
            });
        }

        if bind_address.is_empty() || bind_port == 0 {
            return Err(invalid("bind_address and bind_port must be configured"));
        }
        if trust_domain.is_empty() {
            return Err(invalid("trust_domain must be configured"));
        }
        if data_dir.is_empty() {
            return Err(invalid("data_dir must be configured"));
        }
        let Some(plugins) = plugins else {
            return Err(invalid("plugins section must be configured"));
        };
        if let Some(federation) = &federation {
            check_federation(source, federation)?;
        }
        plugins::check_cardinality(source, &plugins, &SERVER_PLUGINS)?;
        let trust_domain =
            common::parse_trust_domain(source, "server.trust_domain", &trust_domain)?;
        let admin_ids = common::parse_spiffe_ids(source, "server.admin_ids", admin_ids)?;
        warnings.extend(ttl_warning(
            "default_x509_svid_ttl",
            default_x509_svid_ttl,
            ca_ttl,
        ));
        warnings.extend(ttl_warning(
            "default_jwt_svid_ttl",
            default_jwt_svid_ttl,
            ca_ttl,
        ));

        Ok(ServerConfig {
            trust_domain,
            bind_address,
            bind_port,
            socket_path: PathBuf::from(socket_path),
            data_dir: PathBuf::from(data_dir),
            log,
            ca_ttl,
            default_x509_svid_ttl,
            default_jwt_svid_ttl,
            agent_ttl,
            ca_key_type,
            jwt_key_type,
            ca_subject,
            jwt_issuer,
            disable_jwt_svids,
            admin_ids,
            audit_log_enabled,
            ratelimit,
            prune_attested_nodes_expired_for,
            prune_tofu_nodes,
            proxy_protocol_trusted_cidrs,
            max_attested_node_info_staleness,
            profiling,
            federation,
            experimental,
            plugins,
            health_checks,
            telemetry,
            warnings,
        })
    }

    /// The TTL of agent X509-SVIDs: `agent_ttl`, else `default_x509_svid_ttl`.
    pub fn effective_agent_ttl(&self) -> Duration {
        self.agent_ttl.unwrap_or(self.default_x509_svid_ttl)
    }

    /// The enabled declarations of one plugin type, e.g. `plugins_of("NodeAttestor")`.
    pub fn plugins_of<'a>(
        &'a self,
        plugin_type: &'a str,
    ) -> impl Iterator<Item = &'a PluginDecl> + 'a {
        self.plugins
            .iter()
            .filter(move |p| p.plugin_type == plugin_type && p.is_enabled())
    }
}

fn key_type(s: &mut Section, key: &str) -> Result<Option<KeyType>, ConfigError> {
    match s.string(key)? {
        None => Ok(None),
        Some(name) => name
            .parse()
            .map(Some)
            .map_err(|e| s.invalid(key, format!("{e}"))),
    }
}

/// SPIRE's warning when an SVID TTL exceeds what the CA TTL can guarantee (ca_ttl / 6).
fn ttl_warning(name: &str, ttl: Duration, ca_ttl: Duration) -> Option<String> {
    let max = ca_ttl / 6;
    (ttl > max).then(|| {
        format!(
            "{name} is too high for the configured ca_ttl value. SVIDs with shorter lifetimes may be issued. \
             Please set {name} to {} or less, or the ca_ttl to {} or more, to guarantee the full {name} \
             lifetime when CA rotations are scheduled.",
            format_go_duration(max),
            format_go_duration(ttl.checked_mul(6).unwrap_or(Duration::MAX)),
        )
    })
}
