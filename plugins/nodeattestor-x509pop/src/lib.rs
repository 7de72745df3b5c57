//! The `x509pop` node attestor, both halves: an agent proves it holds the private key of an
//! X.509 certificate that chains to a CA bundle the server trusts.
//!
//! Wire-compatible with SPIRE's x509pop (JSON payload, challenge and response; agent IDs;
//! selectors `x509pop:subject:cn:`, `x509pop:ca:fingerprint:`, `x509pop:serialnumber:`,
//! `x509pop:san:`). Sans-IO: the only I/O is reading the configured PEM files in the
//! `from_plugin_data` constructors; attestation itself is pure computation plus randomness from an
//! injectable [`NonceSource`] and, on the server, the current time (or an explicit one through
//! [`X509PopServer::begin_at`]). This crate must not talk to the network or the datastore.

pub mod agent;
pub mod agent_path;
pub mod chain;
mod error;
pub mod pem_files;
pub mod pop;
pub mod server;
mod server_config;
pub mod wire;

pub use agent::{X509PopAgent, signing_key_from_der};
pub use agent_path::AgentPathTemplate;
pub use chain::{ChainLimits, TrustBundle};
pub use pop::{NonceSource, SigningKey, SystemNonces};
pub use server::X509PopServer;

/// The plugin name, attestation data type and selector type.
pub const PLUGIN_NAME: &str = "x509pop";
