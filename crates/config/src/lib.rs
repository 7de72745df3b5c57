//! SPIRE configuration files for spire-rs: `server.conf` and `agent.conf` in HCL1 (including
//! the forms hcl-rs rejects) or JSON, `-expandEnv`, SPIRE's defaults, and SPIRE's validation.
//!
//! Entry points: [`ServerConfig::load`] / [`AgentConfig::load`] for a file, `from_value` for
//! text parsed with [`parse_str`], [`parse_go_duration`] for Go duration strings.
//!
//! This crate must NOT open sockets, create directories, read trust bundles or plugin data
//! files, or start anything: it turns text into checked values and errors that name the file
//! and the key. Warnings are returned in `warnings`, never printed.

mod agent;
mod agent_extra;
mod common;
mod duration;
mod error;
mod expand;
mod hcl;
mod key_type;
mod load;
mod plugins;
mod section;
mod server;
mod server_extra;

pub use agent::{AgentConfig, TrustBundleFormat, TrustBundleSource};
pub use agent_extra::{AgentExperimental, Sds};
pub use common::{HealthChecks, LogConfig, Profiling};
pub use duration::{format_go_duration, parse_go_duration};
pub use error::{ConfigError, DurationError};
pub use expand::{expand_env, expand_env_with};
pub use hcl::SyntaxError;
pub use key_type::{KeyType, UnknownKeyType};
pub use load::{load_file, parse_str};
pub use plugins::PluginDecl;
pub use server::ServerConfig;
pub use server_extra::{CaSubject, RateLimit, ServerExperimental};
pub use spire_spiffe::{SpiffeId, TrustDomain};
