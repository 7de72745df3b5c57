//! The `unix` WorkloadAttestor, as SPIRE's: the caller's effective uid and gid with their
//! user and group names, its supplementary groups, and (opt-in with `discover_workload_path`)
//! its executable path and SHA-256.
//!
//! It reads `/proc` through an injectable root and names through an injectable
//! [`AccountLookup`], so tests use fake trees; it never trusts what the workload says about
//! itself, only what the kernel shows.

mod accounts;
mod config;
mod proc;
pub mod proc_text;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use spire_plugin::{WorkloadAttestor, WorkloadAttestorError, WorkloadProcess};
use spire_spiffe::Selector;

pub use accounts::{AccountLookup, EtcAccounts};
pub use config::{ConfigError, UnixConfig};

/// The plugin name and selector type.
pub const PLUGIN_NAME: &str = "unix";

/// The `unix` workload attestor.
#[derive(Debug, Clone)]
pub struct UnixAttestor {
    config: UnixConfig,
    proc_root: PathBuf,
    accounts: Arc<dyn AccountLookup>,
}

impl UnixAttestor {
    /// Reads `/proc` and `/etc/passwd` / `/etc/group` of this host.
    pub fn new(config: UnixConfig) -> Self {
        Self::with_sources(config, "/proc", Arc::new(EtcAccounts::system()))
    }

    /// An attestor with `/proc` at `proc_root` and names from `accounts`.
    pub fn with_sources(
        config: UnixConfig,
        proc_root: impl Into<PathBuf>,
        accounts: Arc<dyn AccountLookup>,
    ) -> Self {
        Self {
            config,
            proc_root: proc_root.into(),
            accounts,
        }
    }

    /// Configures from the `plugin_data` of `WorkloadAttestor "unix"` (as JSON); unknown keys
    /// and wrong types are errors naming the key.
    pub fn from_plugin_data(plugin_data: &serde_json::Value) -> Result<Self, ConfigError> {
        Ok(Self::new(UnixConfig::from_plugin_data(plugin_data)?))
    }

    fn failed(message: impl Into<String>) -> WorkloadAttestorError {
        WorkloadAttestorError::Failed {
            plugin: PLUGIN_NAME.into(),
            message: message.into(),
        }
    }
}

impl WorkloadAttestor for UnixAttestor {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    fn attest(&self, caller: &WorkloadProcess) -> Result<Vec<Selector>, WorkloadAttestorError> {
        let status = proc::read_status(&self.proc_root, caller.pid)?;
        let mut selectors = Vec::new();
        let mut push = |kind: &str, value: &str| -> Result<(), WorkloadAttestorError> {
            let selector = Selector::new(PLUGIN_NAME, format!("{kind}:{value}"))
                .map_err(|e| Self::failed(format!("{kind} selector: {e}")))?;
            selectors.push(selector);
            Ok(())
        };
        push("uid", &status.uid.to_string())?;
        if let Some(user) = self.accounts.user_name(status.uid) {
            push("user", &user)?;
        }
        push("gid", &status.gid.to_string())?;
        if let Some(group) = self.accounts.group_name(status.gid) {
            push("group", &group)?;
        }
        for gid in &status.supplementary_gids {
            push("supplementary_gid", &gid.to_string())?;
            if let Some(group) = self.accounts.group_name(*gid) {
                push("supplementary_group", &group)?;
            }
        }
        if self.config.discover_workload_path {
            let path = proc::exe_path(&self.proc_root, caller.pid)?;
            push("path", &path)?;
            if self.config.workload_size_limit >= 0 {
                let digest = proc::exe_sha256(
                    &self.proc_root,
                    caller.pid,
                    &path,
                    self.config.workload_size_limit,
                )?;
                push("sha256", &digest)?;
            }
        }
        Ok(selectors)
    }
}
