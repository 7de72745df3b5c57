//! `plugin_data` of the `unix` attestor, with SPIRE's keys and defaults.

use serde::Deserialize;

/// What the attestor reports beyond uid/gid/groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnixConfig {
    /// Report `path` and `sha256` of the workload executable (needs /proc/<pid>/exe access).
    #[serde(default)]
    pub discover_workload_path: bool,
    /// Largest executable hashed, in bytes: 0 = no limit, negative = no `sha256` selector.
    #[serde(default)]
    pub workload_size_limit: i64,
}

/// Why the `plugin_data` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("WorkloadAttestor \"unix\" plugin_data: {0}")]
    Invalid(#[source] serde_json::Error),
}

impl UnixConfig {
    pub fn from_plugin_data(plugin_data: &serde_json::Value) -> Result<Self, ConfigError> {
        if plugin_data.is_null() {
            return Ok(Self::default());
        }
        Self::deserialize(plugin_data).map_err(ConfigError::Invalid)
    }
}
