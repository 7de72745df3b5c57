//! The SPIFFE Workload API on the agent's public Unix socket: binds the socket (parent
//! directory created, stale socket replaced, mode 0777 like SPIRE's public socket), attests
//! each caller from the socket's peer credentials with every configured WorkloadAttestor, and
//! serves the caller's identities from the [`IdentityProvider`], plus `grpc.health.v1` on the
//! same socket.
//!
//! This module decides nothing about which identities a workload gets (the cache does) and
//! holds no keys of its own; protobuf types are made here, at the edge, from the seam's
//! domain types.

mod binding;
mod caller;
mod conn;
mod convert;
mod handler;
mod peer;
mod socket;

#[cfg(test)]
mod py_spiffe_tests;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use spire_plugin::WorkloadAttestor;
use spire_proto::workload::spiffe_workload_api_server::SpiffeWorkloadApiServer;

use crate::identity::IdentityProvider;

pub use binding::CallerChanged;
pub use handler::{MAX_JWT_AUDIENCE_BYTES, MAX_JWT_AUDIENCES, WorkloadApiHandler};
pub use peer::CallerBinding;

/// How long a FetchX509SVID (or bundle) stream waits for the cache to mint the first SVID of
/// a caller whose subscription starts with none, before answering "no identity issued".
pub const DEFAULT_FIRST_IDENTITY_WAIT: Duration = Duration::from_secs(5);

/// A connection with no call in progress and nothing read for this long is closed (a client
/// holding a stream is never idle; gRPC clients reconnect transparently).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Attestations running at once on the blocking pool; more callers wait their turn.
pub const DEFAULT_ATTESTATION_CONCURRENCY: usize = 8;

/// HTTP/2 streams one connection may have open at once (a SPIFFE client uses one to three).
pub const MAX_CONCURRENT_STREAMS: u32 = 100;

/// Largest request message: Workload API requests are small (an audience list, a JWT to
/// validate); the default 4 MiB would let each call pin megabytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Largest request header list (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE).
pub const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

/// Why the Workload API endpoint could not be served.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadApiError {
    #[error("Workload API socket: {0}")]
    SocketDir(#[source] spire_grpc_uds::SocketDirError),
    #[error("Workload API socket path {path} exists and is not a socket; refusing to remove it")]
    NotASocket { path: PathBuf },
    #[error("removing the stale Workload API socket {path}: {source}")]
    RemoveStale {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("binding the Workload API socket {path}: {source}")]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("setting the mode of the Workload API socket {path}: {source}")]
    Chmod {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("serving the Workload API on {path}: {source}")]
    Serve {
        path: PathBuf,
        #[source]
        source: tonic::transport::Error,
    },
}

/// Options of the Workload API endpoint beyond its provider and attestors.
#[derive(Debug, Clone)]
pub struct WorkloadApiOptions {
    /// See [`DEFAULT_FIRST_IDENTITY_WAIT`].
    pub first_identity_wait: Duration,
    /// SPIRE's `allow_unauthenticated_verifiers`: bundle RPCs are served to callers without an
    /// identity (ValidateJWTSVID always is, as in SPIRE).
    pub allow_unauthenticated_verifiers: bool,
    /// SPIRE's `allowed_foreign_jwt_claims`: claims of tokens from other trust domains kept
    /// by ValidateJWTSVID beyond the registered ones.
    pub allowed_foreign_jwt_claims: Vec<String>,
    /// See [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`DEFAULT_ATTESTATION_CONCURRENCY`].
    pub attestation_concurrency: usize,
}

impl Default for WorkloadApiOptions {
    fn default() -> Self {
        Self {
            first_identity_wait: DEFAULT_FIRST_IDENTITY_WAIT,
            allow_unauthenticated_verifiers: false,
            allowed_foreign_jwt_claims: Vec::new(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            attestation_concurrency: DEFAULT_ATTESTATION_CONCURRENCY,
        }
    }
}

/// Serves the Workload API on `socket_path` with default options until `shutdown` resolves,
/// then removes the socket.
pub async fn serve(
    socket_path: &Path,
    provider: Arc<dyn IdentityProvider>,
    attestors: Vec<Arc<dyn WorkloadAttestor>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkloadApiError> {
    serve_with_options(
        socket_path,
        provider,
        attestors,
        WorkloadApiOptions::default(),
        shutdown,
    )
    .await
}

/// [`serve`] with explicit options.
pub async fn serve_with_options(
    socket_path: &Path,
    provider: Arc<dyn IdentityProvider>,
    attestors: Vec<Arc<dyn WorkloadAttestor>>,
    options: WorkloadApiOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkloadApiError> {
    let listener = WorkloadListener::bind(socket_path)?;
    serve_listener(listener, provider, attestors, options, shutdown).await
}

/// The bound Workload API socket, before it is served: binding at start-up lets the agent
/// refuse to start (an unsafe socket directory, say) instead of running without its API.
#[derive(Debug)]
pub struct WorkloadListener {
    path: PathBuf,
    listener: tokio::net::UnixListener,
}

impl WorkloadListener {
    /// Binds the public socket at `socket_path` (see `socket.rs` for what is refused).
    pub fn bind(socket_path: &Path) -> Result<Self, WorkloadApiError> {
        Ok(WorkloadListener {
            path: socket_path.to_path_buf(),
            listener: socket::bind_public(socket_path)?,
        })
    }
}

/// Serves the Workload API on `listener` until `shutdown` resolves, then removes the socket.
pub async fn serve_listener(
    listener: WorkloadListener,
    provider: Arc<dyn IdentityProvider>,
    attestors: Vec<Arc<dyn WorkloadAttestor>>,
    options: WorkloadApiOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkloadApiError> {
    let WorkloadListener {
        path: socket_path,
        listener,
    } = listener;
    let idle_timeout = options.idle_timeout;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let handler = WorkloadApiHandler::new(provider, attestors, options, stopping);
    let workload_service =
        SpiffeWorkloadApiServer::new(handler).max_decoding_message_size(MAX_REQUEST_BYTES);

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<SpiffeWorkloadApiServer<WorkloadApiHandler>>()
        .await;

    let result = tonic::transport::Server::builder()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .add_service(health_service)
        .add_service(workload_service)
        .serve_with_incoming_shutdown(socket::incoming(listener, idle_timeout), async move {
            shutdown.await;
            // Streams never end on their own; end them so graceful shutdown completes.
            stop.send_replace(true);
        })
        .await;
    socket::remove(&socket_path);
    result.map_err(|source| WorkloadApiError::Serve {
        path: socket_path,
        source,
    })
}
