//! Plugin traits of spire-rs (KeyManager first; NodeAttestor, WorkloadAttestor, UpstreamAuthority
//! follow) and a conformance suite per trait that every implementation must pass.
//!
//! This crate holds no plugin implementation and does no I/O: built-in plugins live under `plugins/`.

pub mod conformance;
pub mod keymanager;
pub mod nodeattestor;
pub mod workloadattestor;

pub use keymanager::{Key, KeyManager, KeyManagerError, KeyType};
pub use nodeattestor::{
    AgentNodeAttestor, AttestationResult, NodeAttestorError, NodeAttestorErrorCode,
    PendingAttestation, ServerNodeAttestor, ServerStep,
};
pub use workloadattestor::{WorkloadAttestor, WorkloadAttestorError, WorkloadProcess};
