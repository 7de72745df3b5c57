//! spire-edge's core: the plugin host that runs on each robot. It reads `plugins.yaml` (with
//! `${VAR}` expanded from the environment), initialises, starts, health-checks and stops its
//! plugins in order, and publishes their health to a status file. The SPIRE plugin renders
//! `agent.conf`, supervises `spire-agent run` with restart backoff and checks the process, its
//! socket and the Workload API.
//!
//! This crate does NOT implement SPIRE itself (it runs any SPIRE-compatible agent binary), holds
//! no private keys and talks to no server; the binary in `bins/spire-edge` is a thin shell.

pub mod config;
pub mod expand;
pub mod host;
pub mod plugin;
pub mod spire;
pub mod status;

pub use config::{ConfigError, HostConfig, PluginsFile};
pub use host::{HostError, PluginHost};
pub use plugin::{Check, Health, Plugin, PluginError};
pub use status::{PluginStatus, StatusReport};
