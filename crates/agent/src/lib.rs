//! The spire-agent runtime: proves its node to the server, syncs the registration entries it
//! is authorized for, keeps X509-SVIDs minted and rotated in a cache, and serves workloads
//! over the SPIFFE Workload API on a Unix socket.
//!
//! Decisions (what to mint, when to rotate, who matches which entry) live in the sans-IO
//! `cache` core with an injected clock; this crate's async parts only move bytes between the
//! server, the cache and the workloads.

pub mod agent_svid;
pub mod attest;
pub mod bootstrap;
pub mod cache;
pub mod client;
pub mod identity;
pub mod manager;
pub mod run;
pub mod storage;
pub mod workload;
