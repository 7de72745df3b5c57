//! Who is calling: the security header check every Workload API call starts with, the
//! attestation of the socket peer (pid/uid/gid from the kernel, never from the request) into
//! the union of every WorkloadAttestor's selectors, and the check that the process attested is
//! still the one that connected.

use std::collections::BTreeSet;
use std::sync::Arc;

use spire_plugin::{WorkloadAttestor, WorkloadProcess};
use spire_spiffe::Selector;
use tokio::sync::Semaphore;
use tonic::Status;

use super::peer::CallerBinding;

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

/// The connection's caller binding (see `peer.rs`), from the request's extensions.
pub(super) fn caller_binding<T>(request: &tonic::Request<T>) -> Result<Arc<CallerBinding>, Status> {
    request
        .extensions()
        .get::<Arc<CallerBinding>>()
        .cloned()
        .ok_or_else(|| {
            Status::unavailable("workload attestation failed: caller credentials unavailable")
        })
}

/// Refuses a caller that is no longer the process that connected, with SPIRE's status.
pub(super) fn verify_caller(binding: &CallerBinding) -> Result<(), Status> {
    binding.verify().map_err(|e| {
        tracing::warn!(error = %e, "refusing a Workload API call: the caller is not the process that connected");
        Status::unauthenticated(format!(
            "could not verify existence of the original caller: {e}"
        ))
    })
}

/// Runs every attestor on `process` (on the blocking pool, at most `pool`'s permits at once:
/// they read /proc and may hash large executables, and a burst of callers must not start a
/// thread each) and returns the sorted union of their selectors. Any attestor failing fails
/// the call with Unavailable, as SPIRE does.
pub(super) async fn attest(
    attestors: Arc<[Arc<dyn WorkloadAttestor>]>,
    pool: &Arc<Semaphore>,
    process: WorkloadProcess,
) -> Result<Vec<Selector>, Status> {
    let permit = Arc::clone(pool)
        .acquire_owned()
        .await
        .map_err(|_| Status::unavailable("workload attestation failed: the agent is stopping"))?;
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
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

/// An attested caller: its selectors and its binding, to re-check before anything is sent.
pub(super) struct Attested {
    pub(super) selectors: Vec<Selector>,
    pub(super) binding: Arc<CallerBinding>,
}

/// Header check, then attestation of the process that connected, then the check that the
/// process attested is still that one: the start of every Workload API call.
pub(super) async fn authenticate<T>(
    request: &tonic::Request<T>,
    attestors: &Arc<[Arc<dyn WorkloadAttestor>]>,
    pool: &Arc<Semaphore>,
) -> Result<Attested, Status> {
    require_security_header(request)?;
    let binding = caller_binding(request)?;
    let peer = binding
        .peer()
        .map_err(|reason| Status::unavailable(format!("workload attestation failed: {reason}")))?;
    let process = WorkloadProcess {
        pid: peer.pid,
        uid: peer.uid,
        gid: peer.gid,
    };
    let selectors = attest(Arc::clone(attestors), pool, process).await?;
    verify_caller(&binding)?;
    Ok(Attested { selectors, binding })
}
