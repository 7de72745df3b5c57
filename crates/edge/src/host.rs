//! The plugin manager: registers plugins, initialises them from `plugins.yaml`, starts them in
//! registration order, health-checks them on an interval (publishing each round to the status
//! file) and stops them in reverse order.

use std::future::Future;
use std::pin::pin;

use serde_norway::Value;

use crate::config::{ConfigError, PluginsFile};
use crate::plugin::{Plugin, PluginError};
use crate::status::{PluginStatus, StatusReport};

/// Why the host could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("cannot write status file {path}: {source}")]
    Status {
        path: String,
        source: std::io::Error,
    },
}

/// Plugins in registration order; `enabled[i]` says whether plugin i survived `init`.
#[derive(Debug, Default)]
pub struct PluginHost {
    plugins: Vec<Box<dyn Plugin>>,
    enabled: Vec<bool>,
    started: usize,
}

impl PluginHost {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, plugin: Box<dyn Plugin>) {
        self.plugins.push(plugin);
        self.enabled.push(false);
    }

    /// Initialises every plugin with its section; a section no plugin claims is an unknown key.
    pub async fn init(&mut self, file: &PluginsFile) -> Result<(), PluginError> {
        let names: Vec<String> = self.plugins.iter().map(|p| p.name().to_owned()).collect();
        if let Some(unknown) = file.sections.keys().find(|k| !names.contains(k)) {
            let mut expected = names.clone();
            expected.push("host".into());
            return Err(file
                .in_file(ConfigError::UnknownKey {
                    key: unknown.clone(),
                    expected: expected.join(", "),
                })
                .into());
        }
        for (i, plugin) in self.plugins.iter_mut().enumerate() {
            let section = file.section(plugin.name()).unwrap_or(&Value::Null);
            self.enabled[i] = plugin.init(section).await.map_err(|e| match e {
                PluginError::Config(c) => PluginError::Config(file.in_file(c)),
                other => other,
            })?;
        }
        Ok(())
    }

    /// Starts enabled plugins in order; on a failure stops those already started.
    pub async fn start(&mut self) -> Result<(), PluginError> {
        for i in 0..self.plugins.len() {
            if !self.enabled[i] {
                self.started = i + 1;
                continue;
            }
            if let Err(e) = self.plugins[i].start().await {
                self.stop().await;
                return Err(e);
            }
            self.started = i + 1;
            tracing::info!(plugin = self.plugins[i].name(), "plugin started");
        }
        Ok(())
    }

    /// Stops started plugins in reverse order, logging (not returning) their errors.
    pub async fn stop(&mut self) {
        while self.started > 0 {
            self.started -= 1;
            let i = self.started;
            if !self.enabled[i] {
                continue;
            }
            match self.plugins[i].stop().await {
                Ok(()) => tracing::info!(plugin = self.plugins[i].name(), "plugin stopped"),
                Err(e) => {
                    tracing::warn!(plugin = self.plugins[i].name(), error = %e, "stop failed")
                }
            }
        }
    }

    /// One health round over the enabled plugins.
    pub async fn check(&self, interval_secs: u64) -> StatusReport {
        let mut out = Vec::new();
        for (plugin, _) in self.plugins.iter().zip(&self.enabled).filter(|(_, e)| **e) {
            let health = plugin.health().await;
            out.push(PluginStatus {
                name: plugin.name().to_owned(),
                healthy: health.healthy(),
                health,
            });
        }
        StatusReport::new(interval_secs, out)
    }

    /// Health-checks every `file.host.health_interval` (first round at once) and writes the
    /// status file until `shutdown` resolves, then stops the plugins.
    pub async fn run(
        &mut self,
        file: &PluginsFile,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), HostError> {
        let interval = file.host.health_interval;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shutdown = pin!(shutdown);
        let result = loop {
            tokio::select! {
                _ = &mut shutdown => break Ok(()),
                _ = ticker.tick() => {
                    let report = self.check(interval.as_secs().max(1)).await;
                    if !report.healthy() {
                        tracing::warn!("health check failed: {}", report.render(report.updated_unix).trim_end());
                    }
                    if let Err(source) = report.write(&file.host.status_file) {
                        break Err(HostError::Status {
                            path: file.host.status_file.display().to_string(),
                            source,
                        });
                    }
                }
            }
        };
        self.stop().await;
        result
    }
}

#[cfg(test)]
mod tests;
