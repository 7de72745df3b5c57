//! `agent.conf`: the `agent {}` block with SPIRE's defaults and validation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use spire_spiffe::{SpiffeId, TrustDomain};

use crate::agent_extra::{AgentExperimental, Sds, check_socket_placement, workload_key_type};
use crate::common::{self, HealthChecks, LogConfig, Profiling};
use crate::error::ConfigError;
use crate::key_type::KeyType;
use crate::load::load_file;
use crate::plugins::{self, PluginDecl, PluginRules};
use crate::section::Section;

/// A validated spire-agent configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// `trust_domain` (required; `spiffe://example.org` is accepted like `example.org`).
    pub trust_domain: TrustDomain,
    /// `server_address` (required).
    pub server_address: String,
    /// `server_port` (required; a quoted number is accepted).
    pub server_port: u16,
    /// `data_dir` (default ".").
    pub data_dir: PathBuf,
    /// `socket_path` of the Workload API (default "/tmp/spire-agent/public/api.sock").
    pub socket_path: PathBuf,
    /// `admin_socket_path` (admin API disabled when `None`).
    pub admin_socket_path: Option<PathBuf>,
    /// Where the bootstrap bundle comes from: exactly one of path, URL or insecure bootstrap.
    pub trust_bundle: TrustBundleSource,
    /// `trust_bundle_format` (default pem).
    pub trust_bundle_format: TrustBundleFormat,
    /// `rebootstrap_mode` (default "never").
    pub rebootstrap_mode: String,
    /// `rebootstrap_delay` (default 10m).
    pub rebootstrap_delay: Duration,
    /// `retry_bootstrap` (deprecated).
    pub retry_bootstrap: Option<bool>,
    /// `join_token` (exclusive with `join_token_file`).
    pub join_token: Option<String>,
    /// `join_token_file` (exclusive with `join_token`).
    pub join_token_file: Option<PathBuf>,
    /// `log_level` (INFO), `log_format` (text), `log_file`, `log_source_location`.
    pub log: LogConfig,
    /// `workload_x509_svid_key_type` (default ec-p256; rsa-2048, ec-p256, ec-p384).
    pub workload_x509_svid_key_type: KeyType,
    /// `x509_svid_cache_max_size` (default 1000; 0 means the default).
    pub x509_svid_cache_max_size: u64,
    /// `jwt_svid_cache_max_size` (default 1000; 0 means the default).
    pub jwt_svid_cache_max_size: u64,
    /// `availability_target` (at least 24h when set).
    pub availability_target: Option<Duration>,
    /// `allow_unauthenticated_verifiers`.
    pub allow_unauthenticated_verifiers: bool,
    /// `allowed_foreign_jwt_claims`.
    pub allowed_foreign_jwt_claims: Vec<String>,
    /// `authorized_delegates`: SPIFFE IDs allowed on the Delegated Identity API.
    pub authorized_delegates: Vec<SpiffeId>,
    /// `disable_workload_api`.
    pub disable_workload_api: bool,
    /// `disable_sds_api`.
    pub disable_sds_api: bool,
    /// `sds { ... }`.
    pub sds: Sds,
    /// `profiling_*`.
    pub profiling: Profiling,
    /// `experimental { ... }`.
    pub experimental: AgentExperimental,
    /// The `plugins` block, sorted by type then name.
    pub plugins: Vec<PluginDecl>,
    /// `health_checks { ... }`.
    pub health_checks: HealthChecks,
    /// `telemetry { ... }` as written (`{}` when absent).
    pub telemetry: Value,
    /// Things SPIRE would log as warnings at startup (not errors).
    pub warnings: Vec<String>,
}

/// The bootstrap trust bundle source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustBundleSource {
    /// `trust_bundle_path`.
    Path(PathBuf),
    /// `trust_bundle_url`, fetched over `trust_bundle_unix_socket` when set.
    Url {
        /// The URL (https unless fetched over a Unix socket).
        url: String,
        /// `trust_bundle_unix_socket`.
        unix_socket: Option<PathBuf>,
    },
    /// `insecure_bootstrap = true`: trust the first server certificate.
    InsecureBootstrap,
}

/// `trust_bundle_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustBundleFormat {
    /// PEM certificates.
    Pem,
    /// A SPIFFE bundle document (JWKS).
    Spiffe,
}

const AGENT_PLUGINS: PluginRules = PluginRules {
    known_types: &[
        "KeyManager",
        "NodeAttestor",
        "SVIDStore",
        "WorkloadAttestor",
    ],
    exactly_one: &["KeyManager", "NodeAttestor"],
};

impl AgentConfig {
    /// Reads, expands (when `expand_env`), parses and validates an agent configuration file.
    pub fn load(path: &Path, expand_env: bool) -> Result<AgentConfig, ConfigError> {
        let value = load_file(path, expand_env)?;
        Self::from_value(value, &path.display().to_string())
    }

    /// Decodes and validates an already parsed file; `source` names the file in errors.
    pub fn from_value(value: Value, source: &str) -> Result<AgentConfig, ConfigError> {
        let invalid = |reason: &str| ConfigError::Invalid {
            file: source.to_string(),
            reason: reason.to_string(),
        };
        let mut root = Section::root(value, source)?;
        let mut unknown = Vec::new();
        let mut warnings = Vec::new();
        let Some(mut s) = root.block("agent")? else {
            return Err(invalid("agent section must be configured"));
        };

        let trust_domain = s.string("trust_domain")?.unwrap_or_default();
        let server_address = s.string("server_address")?.unwrap_or_default();
        let server_port = s.port("server_port")?.unwrap_or(0);
        let data_dir = s.string("data_dir")?.unwrap_or_else(|| ".".into());
        let socket_path = s
            .string("socket_path")?
            .unwrap_or_else(|| "/tmp/spire-agent/public/api.sock".into());
        let admin_socket_path = s.string("admin_socket_path")?.filter(|p| !p.is_empty());
        let trust_bundle_path = s.string("trust_bundle_path")?.filter(|p| !p.is_empty());
        let trust_bundle_url = s.string("trust_bundle_url")?.filter(|p| !p.is_empty());
        let trust_bundle_unix_socket = s
            .string("trust_bundle_unix_socket")?
            .filter(|p| !p.is_empty());
        let trust_bundle_format = match s.string("trust_bundle_format")?.as_deref() {
            None | Some("pem") => TrustBundleFormat::Pem,
            Some("spiffe") => TrustBundleFormat::Spiffe,
            Some(_) => {
                return Err(invalid(
                    "invalid value for trust_bundle_format, expected \"pem\" or \"spiffe\"",
                ));
            }
        };
        let insecure_bootstrap = s.bool("insecure_bootstrap")?.unwrap_or(false);
        let rebootstrap_mode = s
            .string("rebootstrap_mode")?
            .unwrap_or_else(|| "never".into());
        if !matches!(rebootstrap_mode.as_str(), "never" | "auto" | "always") {
            return Err(s.invalid(
                "rebootstrap_mode",
                format!(
                    "unknown mode {rebootstrap_mode:?}; expected \"never\", \"auto\" or \"always\""
                ),
            ));
        }
        let rebootstrap_delay = s
            .duration("rebootstrap_delay")?
            .unwrap_or(Duration::from_secs(600));
        let retry_bootstrap = s.bool("retry_bootstrap")?;
        let join_token = s.string("join_token")?.filter(|t| !t.is_empty());
        let join_token_file = s.string("join_token_file")?.filter(|t| !t.is_empty());
        let log = LogConfig::decode(&mut s)?;
        let workload_x509_svid_key_type = workload_key_type(&mut s)?;
        let x509_svid_cache_max_size = cache_size(&mut s, "x509_svid_cache_max_size")?;
        let jwt_svid_cache_max_size = cache_size(&mut s, "jwt_svid_cache_max_size")?;
        let availability_target = s.duration("availability_target")?;
        if availability_target.is_some_and(|t| t < Duration::from_secs(24 * 3600)) {
            return Err(s.invalid(
                "availability_target",
                "availability_target must be at least 24h0m0s".into(),
            ));
        }
        let allow_unauthenticated_verifiers =
            s.bool("allow_unauthenticated_verifiers")?.unwrap_or(false);
        let allowed_foreign_jwt_claims =
            s.strings("allowed_foreign_jwt_claims")?.unwrap_or_default();
        let authorized_delegates = s.strings("authorized_delegates")?.unwrap_or_default();
        let disable_workload_api = s.bool("disable_workload_api")?.unwrap_or(false);
        let disable_sds_api = s.bool("disable_sds_api")?.unwrap_or(false);
        let sds = Sds::decode(&mut s, &mut unknown, &mut warnings)?;
        let profiling = Profiling::decode(&mut s)?;
        let experimental = AgentExperimental::decode(&mut s, &mut unknown, &mut warnings)?;
        s.finish(&mut unknown);

        let plugins = plugins::decode(&mut root, &AGENT_PLUGINS, &mut unknown)?;
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

        let Some(plugins) = plugins else {
            return Err(invalid("plugins section must be configured"));
        };
        if server_address.is_empty() {
            return Err(invalid("server_address must be configured"));
        }
        if server_port == 0 {
            return Err(invalid("server_port must be configured"));
        }
        if trust_domain.is_empty() {
            return Err(invalid("trust_domain must be configured"));
        }
        let trust_bundle = trust_bundle_source(
            insecure_bootstrap,
            trust_bundle_path,
            trust_bundle_url,
            trust_bundle_unix_socket,
        )
        .map_err(|reason| invalid(&reason))?;
        if join_token.is_some() && join_token_file.is_some() {
            return Err(invalid(
                "only one of join_token or join_token_file can be specified, not both",
            ));
        }
        plugins::check_cardinality(source, &plugins, &AGENT_PLUGINS)?;
        if let Some(admin) = &admin_socket_path {
            check_socket_placement(Path::new(&socket_path), Path::new(admin))
                .map_err(|r| invalid(&r))?;
        }
        let trust_domain = common::parse_trust_domain(source, "agent.trust_domain", &trust_domain)?;
        let authorized_delegates =
            common::parse_spiffe_ids(source, "agent.authorized_delegates", authorized_delegates)?;
        if let Some(outsider) = authorized_delegates
            .iter()
            .find(|id| !id.is_member_of(&trust_domain))
        {
            return Err(ConfigError::InvalidValue {
                file: source.to_string(),
                key: "agent.authorized_delegates".into(),
                reason: format!(
                    "error validating authorized delegate: {:?} is not a member of trust domain {:?}",
                    outsider.as_str(),
                    trust_domain.as_str()
                ),
            });
        }

        Ok(AgentConfig {
            trust_domain,
            server_address,
            server_port,
            data_dir: PathBuf::from(data_dir),
            socket_path: PathBuf::from(socket_path),
            admin_socket_path: admin_socket_path.map(PathBuf::from),
            trust_bundle,
            trust_bundle_format,
            rebootstrap_mode,
            rebootstrap_delay,
            retry_bootstrap,
            join_token,
            join_token_file: join_token_file.map(PathBuf::from),
            log,
            workload_x509_svid_key_type,
            x509_svid_cache_max_size,
            jwt_svid_cache_max_size,
            availability_target,
            allow_unauthenticated_verifiers,
            allowed_foreign_jwt_claims,
            authorized_delegates,
            disable_workload_api,
            disable_sds_api,
            sds,
            profiling,
            experimental,
            plugins,
            health_checks,
            telemetry,
            warnings,
        })
    }

    /// The enabled declarations of one plugin type, e.g. `plugins_of("WorkloadAttestor")`.
    pub fn plugins_of<'a>(
        &'a self,
        plugin_type: &'a str,
    ) -> impl Iterator<Item = &'a PluginDecl> + 'a {
        self.plugins
            .iter()
            .filter(move |p| p.plugin_type == plugin_type && p.is_enabled())
    }
}

/// SPIRE's exactly-one-trust-source rule, with its messages.
fn trust_bundle_source(
    insecure: bool,
    path: Option<String>,
    url: Option<String>,
    unix_socket: Option<String>,
) -> Result<TrustBundleSource, String> {
    if unix_socket.is_some() && url.is_none() {
        return Err("trust_bundle_unix_socket requires trust_bundle_url".into());
    }
    match (insecure, path, url) {
        (true, Some(_), Some(_)) => Err(
            "only one of insecure_bootstrap, trust_bundle_url, or trust_bundle_path can be specified, not the three options"
                .into(),
        ),
        (true, None, Some(_)) => Err("only one of insecure_bootstrap or trust_bundle_url can be specified, not both".into()),
        (true, Some(_), None) => Err("only one of insecure_bootstrap or trust_bundle_path can be specified, not both".into()),
        (true, None, None) => Ok(TrustBundleSource::InsecureBootstrap),
        (false, None, None) => {
            Err("trust_bundle_path or trust_bundle_url must be configured unless insecure_bootstrap is set".into())
        }
        (false, Some(_), Some(_)) => Err("only one of trust_bundle_url or trust_bundle_path can be specified, not both".into()),
        (false, Some(path), None) => Ok(TrustBundleSource::Path(PathBuf::from(path))),
        (false, None, Some(url)) => {
            if unix_socket.is_none() && !url.starts_with("https://") {
                return Err("trust bundle URL must start with https://".into());
            }
            Ok(TrustBundleSource::Url {
                url,
                unix_socket: unix_socket.map(PathBuf::from),
            })
        }
    }
}

/// A cache size: negative is an error, 0 or absent means SPIRE's default of 1000.
fn cache_size(s: &mut Section, key: &str) -> Result<u64, ConfigError> {
    match s.int(key)? {
        Some(n) if n < 0 => Err(s.invalid(key, format!("{key} should not be negative"))),
        Some(n) if n > 0 => Ok(n.unsigned_abs()),
        _ => Ok(1000),
    }
}
