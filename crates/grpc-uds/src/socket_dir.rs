//! Whether a directory is safe to serve a Unix socket from.
//!
//! SPIRE's default sockets live under `/tmp` (`/tmp/spire-server/private/api.sock`,
//! `/tmp/spire-agent/public/api.sock`). A local user who creates that directory before the
//! server or agent starts owns it, and can later swap the socket for one of their own: the CLI
//! then hands admin requests (and join tokens) to an impostor, and workloads take identities
//! from it. So before binding, the socket's directory and every directory above it must be
//! owned by this process's user or by root, and must not be writable by group or others unless
//! the sticky bit is set (then only an entry's owner may rename or remove it, as in `/tmp`).
//! Symbolic links on the way are held to the same owner rule, and the directory they resolve to
//! is checked too.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a socket directory was refused.
#[derive(Debug, thiserror::Error)]
pub enum SocketDirError {
    #[error("creating the socket directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("inspecting {path} (above the socket {socket}): {source}")]
    Inspect {
        path: PathBuf,
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "refusing to serve the socket {socket}: {path} is owned by uid {owner}, not by this \
         process's user (uid {uid}) or root, so its owner could replace the socket; remove it \
         or change its owner"
    )]
    ForeignOwner {
        path: PathBuf,
        socket: PathBuf,
        owner: u32,
        uid: u32,
    },
    #[error(
        "refusing to serve the socket {socket}: {path} is writable by {who} (mode {mode:o}) \
         without the sticky bit, so they could replace the socket; remove that permission \
         (chmod go-w)"
    )]
    Writable {
        path: PathBuf,
        socket: PathBuf,
        who: &'static str,
        mode: u32,
    },
}

/// Creates the directory of `socket` with `mode` when it is missing, then checks it and the
/// directories above it (see the module docs).
pub fn prepare_socket_dir(socket: &Path, mode: u32) -> Result<(), SocketDirError> {
    let Some(dir) = parent_dir(socket) else {
        return Ok(());
    };
    if !dir.exists() {
        fs::create_dir_all(&dir)
            .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(mode)))
            .map_err(|source| SocketDirError::Create {
                path: dir.clone(),
                source,
            })?;
    }
    check_socket_dir(socket, rustix::process::geteuid().as_raw())
}

/// Checks the directories above `socket` for a process running as `uid`.
pub fn check_socket_dir(socket: &Path, uid: u32) -> Result<(), SocketDirError> {
    let Some(dir) = parent_dir(socket) else {
        return Ok(());
    };
    let inspect = |path: &Path, follow: bool| {
        let meta = if follow {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        };
        meta.map_err(|source| SocketDirError::Inspect {
            path: path.to_path_buf(),
            socket: socket.to_path_buf(),
            source,
        })
    };
    // The path as configured (links themselves included), then the directories it resolves to.
    for path in dir.ancestors() {
        check_entry(path, &inspect(path, false)?, socket, uid)?;
    }
    let resolved = fs::canonicalize(&dir).map_err(|source| SocketDirError::Inspect {
        path: dir.clone(),
        socket: socket.to_path_buf(),
        source,
    })?;
    for path in resolved.ancestors() {
        check_entry(path, &inspect(path, true)?, socket, uid)?;
    }
    Ok(())
}

/// The socket's directory, made absolute against the working directory.
fn parent_dir(socket: &Path) -> Option<PathBuf> {
    let dir = socket.parent()?;
    if dir.as_os_str().is_empty() {
        return std::env::current_dir().ok();
    }
    std::path::absolute(dir).ok()
}

fn check_entry(
    path: &Path,
    meta: &fs::Metadata,
    socket: &Path,
    uid: u32,
) -> Result<(), SocketDirError> {
    let owner = meta.uid();
    if owner != uid && owner != 0 {
        return Err(SocketDirError::ForeignOwner {
            path: path.to_path_buf(),
            socket: socket.to_path_buf(),
            owner,
            uid,
        });
    }
    if meta.file_type().is_symlink() {
        // A link's own mode means nothing; its owner and its directory were checked.
        return Ok(());
    }
    let mode = meta.mode() & 0o7777;
    let sticky = mode & 0o1000 != 0;
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (_, true) => "others",
        (true, false) => "its group",
        (false, false) => return Ok(()),
    };
    if sticky {
        return Ok(());
    }
    Err(SocketDirError::Writable {
        path: path.to_path_buf(),
        socket: socket.to_path_buf(),
        who,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn me() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[test]
    fn accepts_a_private_directory_under_a_sticky_tmp() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("spire-server").join("private");
        prepare_socket_dir(&dir.join("api.sock"), 0o750).expect("safe");
        assert_eq!(fs::metadata(&dir).expect("created").mode() & 0o777, 0o750);
    }

    #[test]
    fn refuses_a_directory_writable_by_others() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("shared");
        fs::create_dir(&dir).expect("mkdir");
        chmod(&dir, 0o777);
        let err = check_socket_dir(&dir.join("api.sock"), me()).expect_err("unsafe");
        assert!(
            matches!(&err, SocketDirError::Writable { path, who: "others", .. } if *path == dir),
            "{err}"
        );
        assert!(err.to_string().contains("chmod go-w"), "{err}");
    }

    #[test]
    fn refuses_a_group_writable_ancestor() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().join("top");
        let dir = top.join("private");
        fs::create_dir_all(&dir).expect("mkdir");
        chmod(&top, 0o770);
        let err = check_socket_dir(&dir.join("api.sock"), me()).expect_err("unsafe");
        assert!(
            matches!(&err, SocketDirError::Writable { path, who: "its group", .. } if *path == top),
            "{err}"
        );
    }

    #[test]
    fn accepts_a_sticky_world_writable_directory() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("sticky");
        fs::create_dir(&dir).expect("mkdir");
        chmod(&dir, 0o1777);
        check_socket_dir(&dir.join("api.sock"), me()).expect("sticky is safe");
    }

    #[test]
    fn refuses_a_directory_owned_by_another_user() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("private");
        fs::create_dir(&dir).expect("mkdir");
        let err = if me() == 0 {
            std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).expect("chown as root");
            check_socket_dir(&dir.join("api.sock"), 0).expect_err("foreign")
        } else {
            // Checked as if this process ran as another (non-root) user.
            check_socket_dir(&dir.join("api.sock"), me() + 1).expect_err("foreign")
        };
        assert!(matches!(err, SocketDirError::ForeignOwner { .. }), "{err}");
    }

    #[test]
    fn checks_where_a_symlink_leads() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let open = tmp.path().join("open");
        fs::create_dir(&open).expect("mkdir");
        chmod(&open, 0o777);
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&open, &link).expect("symlink");
        let err = check_socket_dir(&link.join("api.sock"), me()).expect_err("unsafe target");
        assert!(matches!(err, SocketDirError::Writable { .. }), "{err}");
    }
}
