//! The plugin contract: a name, `init` with the plugin's own `plugins.yaml` section, `start`,
//! `stop` and `health`. The host calls them in that order and never concurrently.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_norway::Value;

use crate::config::ConfigError;

/// Why a plugin could not be initialised, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("plugin {plugin}: {message}")]
    Failed { plugin: String, message: String },
}

/// One named health check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// A plugin's checks; healthy when every check passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub checks: Vec<Check>,
}

impl Health {
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn check(&mut self, name: &str, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_owned(),
            ok,
            detail: detail.into(),
        });
    }
}

/// A plugin of the edge host.
#[async_trait]
pub trait Plugin: Send + Sync + std::fmt::Debug {
    /// The plugin's name, which is also its top-level key in `plugins.yaml`.
    fn name(&self) -> &str;
    /// Reads the plugin's section (`Value::Null` when absent). Returns whether the plugin is
    /// enabled; a disabled plugin is neither started nor checked.
    async fn init(&mut self, section: &Value) -> Result<bool, PluginError>;
    async fn start(&mut self) -> Result<(), PluginError>;
    async fn stop(&mut self) -> Result<(), PluginError>;
    async fn health(&self) -> Health;
}
