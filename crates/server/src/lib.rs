//! The spire-server runtime: turns a parsed configuration into a running server. It opens the
//! datastore and the KeyManager named in `plugins {}`, drives the CA rotation (`spire-ca`) on
//! a timer, keeps the server's own SVID fresh, and serves SPIRE's gRPC APIs on the admin Unix
//! socket and on the TCP port with TLS.
//!
//! This crate is a shell of thin adapters: certificate templates, rotation decisions, SQL and
//! wire types live in their own crates. It must not grow policy of its own beyond wiring and
//! authorization.

pub mod api;
pub mod authorized;
pub mod context;
pub mod endpoints;

pub use context::{ApiSettings, ServerContext};
pub mod ca;
pub mod catalog;
pub mod prune;
pub mod run;
pub mod server_svid;
mod wiring;

pub use run::{Overrides, ServerError, load_config, run};
