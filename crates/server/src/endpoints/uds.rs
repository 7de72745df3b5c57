//! The admin Unix socket: directory 0750, socket 0770, a stale socket removed at start, and
//! connections bounded by their own budget.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::budget::{ConnectionBudget, Tracked};

/// Accepted admin connections waiting for the gRPC server to pick them up.
const PENDING_CONNECTIONS: usize = 16;

/// Binds the admin socket at `path`, creating its directory with SPIRE's permissions.
pub fn bind_uds(path: &Path) -> std::io::Result<UnixListener> {
    // Refuses a directory another user could swap the socket in (SPIRE's default is in /tmp).
    spire_grpc_uds::prepare_socket_dir(path, 0o750)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o770))?;
    Ok(listener)
}

/// A stream of admin connections for `tonic`'s `serve_with_incoming`.
pub type UdsIncoming = ReceiverStream<Result<Tracked<UnixStream>, std::io::Error>>;

/// Accepts admin connections on `listener` within `budget` (its own, so a flood on the TCP
/// port never takes the descriptors the CLI needs).
pub fn uds_incoming(listener: UnixListener, budget: ConnectionBudget) -> UdsIncoming {
    let (tx, rx) = mpsc::channel(PENDING_CONNECTIONS);
    tokio::spawn(async move {
        loop {
            let slot = tokio::select! {
                slot = budget.acquire() => slot,
                () = tx.closed() => return,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            match accepted {
                Ok((stream, _)) => {
                    if tx.send(Ok(budget.track(stream, slot))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Failed to accept admin socket connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
    ReceiverStream::new(rx)
}
