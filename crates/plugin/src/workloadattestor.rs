//! The WorkloadAttestor plugin trait: turns the kernel facts of a caller on the Workload API
//! socket into selectors (`unix:uid:1000`, `unix:path:/usr/bin/app`, ...).

use std::fmt;

use spire_spiffe::Selector;

/// The caller of the Workload API, as the kernel reports it for the socket peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadProcess {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// Attests workloads. Implementations read what they need (e.g. `/proc/<pid>`) through an
/// injected root so tests can use a fake tree.
pub trait WorkloadAttestor: Send + Sync + fmt::Debug {
    /// The plugin name, which is also the type of every selector it returns (`unix`).
    fn name(&self) -> &str;
    /// The selectors describing `caller`.
    fn attest(&self, caller: &WorkloadProcess) -> Result<Vec<Selector>, WorkloadAttestorError>;
}

/// Why a workload could not be attested.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadAttestorError {
    #[error("workload process {pid} is gone")]
    ProcessGone { pid: i32 },
    #[error("workload attestor {plugin}: {message}")]
    Failed { plugin: String, message: String },
}
