//! The admin socket's directory is refused when another user could swap the socket in it
//! (issue 10, item 5): SPIRE's default lives under /tmp, where anyone may create
//! `/tmp/spire-server/private` first.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::{BIN, free_port, server_conf};

/// Runs `spire-server run` with its admin socket in `socket_dir`; returns its combined output
/// after it exits (it must, within the test's timeout).
fn run_refused(dir: &Path, socket_dir: &Path) -> String {
    let socket = socket_dir.join("api.sock");
    std::fs::write(
        dir.join("server.conf"),
        server_conf(dir, &socket, free_port()),
    )
    .expect("write server.conf");
    let out = Command::new("timeout")
        .args(["60", BIN, "run", "-config"])
        .arg(dir.join("server.conf"))
        .output()
        .expect("run spire-server");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() && out.status.code() != Some(124),
        "the server must refuse to start, not serve ({:?}):\n{text}",
        out.status
    );
    assert!(
        !socket.exists(),
        "no socket may be created in {}",
        socket_dir.display()
    );
    text
}

#[test]
fn server_refuses_a_socket_directory_writable_by_others() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shared = tmp.path().join("spire-server");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let log = run_refused(tmp.path(), &shared.join("private"));
    assert!(
        log.contains(&format!(
            "{} is writable by others (mode 777)",
            shared.display()
        )),
        "{log}"
    );
}

#[test]
#[ignore = "needs root to give a directory to another user; scripts/test runs it as root"]
fn server_refuses_a_socket_directory_owned_by_another_user_as_root() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let planted = tmp.path().join("spire-server");
    std::fs::create_dir_all(planted.join("private")).expect("mkdir");
    for dir in [&planted, &planted.join("private")] {
        std::os::unix::fs::chown(dir, Some(65534), Some(65534)).expect("chown (needs root)");
    }
    let log = run_refused(tmp.path(), &planted.join("private"));
    assert!(
        log.contains(&format!(
            "{} is owned by uid 65534",
            planted.join("private").display()
        )),
        "{log}"
    );
}
