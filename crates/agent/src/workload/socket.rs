//! The public socket's file-system side: bind (parent created, refused when another user could
//! swap the socket in it, a stale socket replaced, mode 0777 so every local workload can
//! connect; callers are told apart by attestation, not by file permissions) and the accept loop
//! feeding tonic.
//!
//! It never removes anything that is not a socket: a config pointing `socket_path` at a
//! regular file is an error, not a deletion.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::WorkloadApiError;
use super::conn::Conn;
use super::peer::{CallerBinding, PROC_ROOT};

/// Mode of SPIRE's public Workload API socket.
const PUBLIC_SOCKET_MODE: u32 = 0o777;
/// Mode of the socket's directory when the agent creates it: anyone may reach the socket,
/// only the agent's user may change what is in it.
const PUBLIC_DIR_MODE: u32 = 0o755;
/// Pause after a failed accept (e.g. EMFILE) so a full fd table doesn't spin the loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);
/// Accepted connections waiting for tonic to pick them up.
const ACCEPT_QUEUE: usize = 64;

/// Binds the public socket at `path`.
pub(super) fn bind_public(path: &Path) -> Result<UnixListener, WorkloadApiError> {
    spire_grpc_uds::prepare_socket_dir(path, PUBLIC_DIR_MODE)
        .map_err(WorkloadApiError::SocketDir)?;
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            fs::remove_file(path).map_err(|source| WorkloadApiError::RemoveStale {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Ok(_) => {
            return Err(WorkloadApiError::NotASocket {
                path: path.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(WorkloadApiError::RemoveStale {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let listener = UnixListener::bind(path).map_err(|source| WorkloadApiError::Bind {
        path: path.to_path_buf(),
        source,
    })?;
    fs::set_permissions(path, fs::Permissions::from_mode(PUBLIC_SOCKET_MODE)).map_err(
        |source| WorkloadApiError::Chmod {
            path: path.to_path_buf(),
            source,
        },
    )?;
    Ok(listener)
}

/// The accepted connections of `listener`, each bound to its caller (see `peer.rs`) and closed
/// after `idle_timeout` without calls. The accept task ends (closing the listener) once the
/// stream is dropped.
pub(super) fn incoming(
    listener: UnixListener,
    idle_timeout: Duration,
) -> ReceiverStream<Result<Conn, io::Error>> {
    let (tx, rx) = mpsc::channel(ACCEPT_QUEUE);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = tx.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let item = match accepted {
                Ok((stream, _)) => {
                    // Observed now, as close to the connect as the agent can get.
                    let binding = CallerBinding::accept(&stream, Path::new(PROC_ROOT));
                    Ok(Conn::new(
                        spire_grpc_uds::FilteredUnixStream::new(stream),
                        binding,
                        idle_timeout,
                    ))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a Workload API connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Removes the socket file after serving; a failure is only logged (the next start replaces
/// a stale socket anyway).
pub(super) fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "removing the Workload API socket failed");
    }
}
