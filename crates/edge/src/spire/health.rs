//! The SPIRE plugin's checks: the agent process is alive, its Workload API socket exists, and
//! the Workload API answers grpc.health.v1 `Check` with SERVING.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tonic::transport::Endpoint;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::supervisor::ProcessState;
use crate::plugin::Health;

const WORKLOAD_API_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn check(state: &ProcessState, socket: &Path) -> Health {
    let mut h = Health::default();
    let alive = state
        .pid
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    let detail = match (state.pid, &state.last_exit) {
        (Some(pid), _) => format!("pid {pid}, restarts {}", state.restarts),
        (None, Some(why)) => format!(
            "not running (last exit: {why}), restarts {}",
            state.restarts
        ),
        (None, None) => "not started".into(),
    };
    h.check("process", alive, detail);
    let is_socket = std::fs::metadata(socket).is_ok_and(|m| m.file_type().is_socket());
    h.check(
        "socket",
        is_socket,
        format!(
            "{}{}",
            socket.display(),
            if is_socket { "" } else { " missing" }
        ),
    );
    let (ok, detail) = if is_socket {
        match workload_api_serving(socket.to_path_buf()).await {
            Ok(status) => (
                status == ServingStatus::Serving,
                status.as_str_name().to_owned(),
            ),
            Err(e) => (false, e),
        }
    } else {
        (false, "no socket".into())
    };
    h.check("workload_api", ok, detail);
    h
}

async fn workload_api_serving(socket: PathBuf) -> Result<ServingStatus, String> {
    let endpoint = Endpoint::try_from("http://localhost")
        .map_err(|e| e.to_string())?
        .timeout(WORKLOAD_API_TIMEOUT)
        .connect_timeout(WORKLOAD_API_TIMEOUT);
    let channel = endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
        let socket = socket.clone();
        async move {
            tokio::net::UnixStream::connect(socket)
                .await
                .map(hyper_util::rt::TokioIo::new)
        }
    }));
    let mut client = HealthClient::new(channel);
    let call = client.check(HealthCheckRequest {
        service: String::new(),
    });
    match tokio::time::timeout(WORKLOAD_API_TIMEOUT, call).await {
        Ok(Ok(response)) => Ok(response.into_inner().status()),
        Ok(Err(status)) => Err(format!("health call failed: {}", status.message())),
        Err(_) => Err("no answer within 3s".into()),
    }
}
