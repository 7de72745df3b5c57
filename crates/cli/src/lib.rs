//! The admin CLI of spire-server: SPIRE's Go-style flags, a gRPC client over
//! the admin Unix socket, and output laid out exactly as SPIRE prints it
//! (pretty text and `-output json`).
//!
//! It does not run the server: `run` and `validate` only get their flags
//! parsed here ([`parse_run_flags`]); the binary does the rest.

pub mod agent;
mod client;
mod commands;
mod convert;
mod dispatch;
mod duration;
mod error;
pub mod flags;
mod json;
mod pretty;
mod run_flags;

pub use client::DEFAULT_SOCKET_PATH;
pub use dispatch::{run_admin, top_help};
pub use error::CliError;
pub use run_flags::{DEFAULT_CONFIG_PATH, RUN_FLAGS, RunFlags, parse_run_flags};
