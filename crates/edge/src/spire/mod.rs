//! The SPIRE plugin: renders `agent.conf` into dataDir (mode 0600, dataDir 0700), supervises
//! the agent and reports its health.

pub mod config;
pub mod health;
pub mod render;
pub mod supervisor;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use async_trait::async_trait;
use serde_norway::Value;

use crate::plugin::{Health, Plugin, PluginError};
pub use config::SpireConfig;
use supervisor::{AgentCommand, Supervisor};

/// The `spire` plugin.
#[derive(Debug, Default)]
pub struct SpirePlugin {
    config: Option<SpireConfig>,
    supervisor: Option<Supervisor>,
}

impl SpirePlugin {
    pub fn new() -> Self {
        Self::default()
    }

    fn failed(message: String) -> PluginError {
        PluginError::Failed {
            plugin: "spire".into(),
            message,
        }
    }
}

#[async_trait]
impl Plugin for SpirePlugin {
    fn name(&self) -> &str {
        "spire"
    }

    async fn init(&mut self, section: &Value) -> Result<bool, PluginError> {
        self.config = SpireConfig::from_value(section)?;
        Ok(self.config.is_some())
    }

    async fn start(&mut self) -> Result<(), PluginError> {
        let Some(c) = &self.config else {
            return Ok(());
        };
        prepare_dir(&c.data_dir).map_err(|e| {
            Self::failed(format!(
                "cannot prepare dataDir {}: {e}",
                c.data_dir.display()
            ))
        })?;
        if let Some(dir) = c.socket_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                Self::failed(format!("cannot create socket dir {}: {e}", dir.display()))
            })?;
        }
        let conf = c.agent_conf_path();
        write_private(&conf, render::agent_conf(c).as_bytes())
            .map_err(|e| Self::failed(format!("cannot write {}: {e}", conf.display())))?;
        self.supervisor = Some(Supervisor::spawn(AgentCommand {
            program: c.agent_path.clone(),
            config: conf,
            log: c.log_path(),
        }));
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), PluginError> {
        if let Some(mut s) = self.supervisor.take() {
            s.stop().await;
        }
        Ok(())
    }

    async fn health(&self) -> Health {
        match (&self.config, &self.supervisor) {
            (Some(c), Some(s)) => health::check(&s.state(), &c.socket_path).await,
            _ => {
                let mut h = Health::default();
                h.check("process", false, "not started");
                h
            }
        }
    }
}

/// Creates `dir` 0700 (and tightens an existing one): it holds agent.conf and the agent's
/// state.
fn prepare_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Writes `bytes` 0600 whatever the umask, crash-safely (`spire-atomic-file`).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    Ok(spire_atomic_file::replace(path, bytes, 0o600)?)
}
