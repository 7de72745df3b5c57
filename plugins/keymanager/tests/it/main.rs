//! Integration tests of the built-in KeyManagers. Some tests re-execute this binary as a child
//! process (selected by `CHILD_ENV`) to test behaviour that needs a separate process: a
//! different umask, or being killed with SIGKILL mid-write.

mod disk;
mod kill;

use std::path::Path;
use std::process::Command;

use spire_keymanager::{DiskKeyManager, MemoryKeyManager};
use spire_plugin::conformance::run_keymanager_suite;

/// Set in a child process to `<role>:<directory>`; unset in a normal test run.
const CHILD_ENV: &str = "SPIRE_KEYMANAGER_TEST_CHILD";

#[test]
fn memory_keymanager_passes_conformance_suite() {
    run_keymanager_suite(&MemoryKeyManager::new());
}

#[test]
fn disk_keymanager_passes_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let km = DiskKeyManager::open(dir.path().join("keys.json")).expect("opens empty store");
    run_keymanager_suite(&km);
}

/// Does nothing in a normal run; in a child process it plays the role `CHILD_ENV` names.
#[test]
fn child_process_helper() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (role, dir) = spec.split_once(':').expect("child spec is <role>:<dir>");
    match role {
        "generate-once" => disk::child_generate_once(Path::new(dir)),
        "generate-forever" => kill::child_generate_forever(Path::new(dir)),
        other => panic!("unknown child role {other:?}"),
    }
}

/// A command re-running this test binary as a child playing `role` on `dir`.
fn child_command(role: &str, dir: &Path) -> Command {
    let exe = std::env::current_exe().expect("test binary path is known");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "child_process_helper",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, format!("{role}:{}", dir.display()));
    cmd
}
