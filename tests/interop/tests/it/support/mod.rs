//! What every interop test needs: the peers (stock SPIRE, the go-spiffe client), our binaries,
//! and processes of either kind on temp dirs, loopback ports and short socket paths.

pub mod conf;
pub mod mask;
pub mod peers;
pub mod process;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use peers::{Peers, ours, py_spiffe};
pub use process::{Agent, Server};

/// The peers; a missing one fails the test (see [`Peers::find`]).
macro_rules! require_peers {
    () => {
        crate::support::Peers::find(module_path!())
    };
}
pub(crate) use require_peers;

/// Runs `bin args...` and returns its output (never panics on a non-zero exit).
pub fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()))
}

/// Like [`run`], asserting success and returning stdout.
pub fn ok(bin: &Path, args: &[&str]) -> String {
    let out = run(bin, args);
    assert!(
        out.status.success(),
        "{} {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        bin.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Calls `attempt` until it returns `Ok`, or panics with the last error after `timeout`.
pub fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut attempt: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(e) if Instant::now() >= deadline => {
                panic!("{what}: gave up after {timeout:?}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// The uid this test runs as (workload entries select it with `unix:uid:`).
pub fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .expect("/proc/self is readable")
}

/// The value after `label` on the first line that starts with it (SPIRE's pretty output).
pub fn field(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(|v| v.trim_start_matches([' ', ':']).trim().to_owned())
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
}
