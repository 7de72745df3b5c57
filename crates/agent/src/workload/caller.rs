//! Who is calling: the security header check every Workload API call starts with, and the
//! attestation of the socket peer (pid/uid/gid from the kernel, never from the request) into
//! the union of every WorkloadAttestor's selectors.

use std::collections::BTreeSet;
use std::sync::Arc;

use spire_plugin::{WorkloadAttestor, WorkloadProcess};
use spire_spiffe::Selector;
use tonic::Status;
use tonic::transport::server::UdsConnectInfo;

/// The metadata key every Workload API request must carry with the value `true`; it keeps a
/// browser or SSRF-style proxy from being tricked into calling the socket.
pub(super) const SECURITY_HEADER: &str = "workload.spiffe.io";

/// Refuses a request without exactly one `workload.spiffe.io: true` header, as SPIRE does.
pub(super) fn require_security_header<T>(request: &tonic::Request<T>) -> Result<(), Status> {
    let mut values = request.metadata().get_all(SECURITY_HEADER).iter();
    match (values.next(), values.next()) {
        (Some(value), None) if value.as_bytes() == b"true" => Ok(()),
        _ => Err(Status::invalid_argument(
            "security header missing from request",
        )),
    }
}

/// The kernel's view of the caller, from the socket's peer credentials.
pub(super) fn caller_process<T>(request: &tonic::Request<T>) -> Result<WorkloadProcess, Status> {
    let cred = request
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|info| info.peer_cred)
        .ok_or_else(|| {
            Status::unavailable("workload attestation failed: caller credentials unavailable")
        })?;
    let pid = cred.pid().filter(|pid| *pid > 0).ok_or_else(|| {
        Status::unavailable("workload attestation failed: caller pid unavailable")
    })?;
    Ok(WorkloadProcess {
        pid,
        uid: cred.uid(),
        gid: cred.gid(),
    })
}

/// Runs every attestor on `process` (on the blocking pool: they read /proc and hash files)
/// and returns the sorted union of their selectors. Any attestor failing fails the call with
/// Unavailable, as SPIRE does.
pub(super) async fn attest(
    attestors: Arc<[Arc<dyn WorkloadAttestor>]>,
    process: WorkloadProcess,
) -> Result<Vec<Selector>, Status> {
    let joined = tokio::task::spawn_blocking(move || {
        let mut selectors = BTreeSet::new();
        for attestor in attestors.iter() {
            selectors.extend(attestor.attest(&process)?);
        }
        Ok::<_, spire_plugin::WorkloadAttestorError>(selectors)
    })
    .await;
    match joined {
        Ok(Ok(selectors)) => Ok(selectors.into_iter().collect()),
        Ok(Err(e)) => {
            tracing::debug!(pid = process.pid, error = %e, "workload attestation failed");
            Err(Status::unavailable(format!(
                "workload attestation failed: {e}"
            )))
        }
        Err(e) => Err(Status::unavailable(format!(
            "workload attestation failed: attestor task ended: {e}"
        ))),
    }
}

/// Header check, then attestation: the start of every Workload API call.
pub(super) async fn authenticate<T>(
    request: &tonic::Request<T>,
    attestors: &Arc<[Arc<dyn WorkloadAttestor>]>,
) -> Result<Vec<Selector>, Status> {
    require_security_header(request)?;
    let process = caller_process(request)?;
    attest(Arc::clone(attestors), process).await
}
