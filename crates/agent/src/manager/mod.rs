//! The async shell around the SVID cache core: syncs entries and bundles from the server on a
//! timer (with backoff while it is down), mints what the core says is due through batched
//! server calls, and pushes changed `WorkloadUpdate`s and bundles to subscribers over `watch`
//! channels. It implements [`crate::identity::IdentityProvider`] for the Workload API.
//!
//! It must not decide anything the core decides (matching, rotation, eviction), must never
//! hold its lock across a server call, and never replaces a cached SVID with an error: while
//! the server is down workloads keep what they have.

mod minting;
mod service;
mod settings;
mod sync_loop;

#[cfg(test)]
mod fake_server;
#[cfg(test)]
mod tests;

pub use service::Manager;
pub use settings::{ManagerSettings, WorkloadKeyType};
