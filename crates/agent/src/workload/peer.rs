//! The I/O half of caller binding (see `binding.rs` for the why): when a connection is
//! accepted, the socket's peer credentials, a handle on the caller's `/proc/<pid>` directory
//! and a first observation of the process; on every call, a fresh observation through that same
//! handle. A handle on `/proc/<pid>` stays bound to the process it was opened for: once that
//! process is gone, reads through it fail instead of reaching a process that reused the pid.
//!
//! The binding also counts the connection's calls in progress, so an idle connection can be
//! told from one holding a long-lived stream.

use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags};
use spire_workloadattestor_unix::proc_text::{parse_stat, parse_status};
use tokio::net::UnixStream;

use super::binding::{
    self, CallerChanged, ExecutableId, PeerCredentials, ProcessObservation, has_exited,
};

/// Where the kernel shows processes.
pub(super) const PROC_ROOT: &str = "/proc";

/// A connection's caller: who connected, and the process to re-check on every call.
#[derive(Debug)]
pub struct CallerBinding {
    peer: Result<PeerCredentials, String>,
    process: Result<(ProcessHandle, ProcessObservation), CallerChanged>,
    calls: AtomicUsize,
}

impl CallerBinding {
    /// Binds an accepted connection to the process that connected.
    pub(super) fn accept(stream: &UnixStream, proc_root: &Path) -> Self {
        let peer = stream
            .peer_cred()
            .map_err(|e| format!("reading the socket's peer credentials: {e}"))
            .and_then(|cred| match cred.pid() {
                Some(pid) if pid > 0 => Ok(PeerCredentials {
                    pid,
                    uid: cred.uid(),
                    gid: cred.gid(),
                }),
                _ => Err("the kernel gave no pid for the caller".to_owned()),
            });
        let process = match &peer {
            Ok(peer) => ProcessHandle::open(proc_root, peer.pid).and_then(|handle| {
                let first = handle.observe()?;
                Ok((handle, first))
            }),
            Err(reason) => Err(CallerChanged::NotObserved {
                pid: 0,
                reason: reason.clone(),
            }),
        };
        CallerBinding {
            peer,
            process,
            calls: AtomicUsize::new(0),
        }
    }

    /// The peer credentials the kernel recorded at connect time.
    pub fn peer(&self) -> Result<PeerCredentials, &str> {
        self.peer.as_ref().copied().map_err(String::as_str)
    }

    /// Whether the process at the peer's pid is still the one that connected.
    pub fn verify(&self) -> Result<(), CallerChanged> {
        let peer = self
            .peer
            .as_ref()
            .map_err(|reason| CallerChanged::NotObserved {
                pid: 0,
                reason: reason.clone(),
            })?;
        let (handle, connected) = self.process.as_ref().map_err(Clone::clone)?;
        binding::verify(peer, connected, &handle.observe()?)
    }

    /// Marks a call in progress on this connection until the guard is dropped.
    pub fn begin_call(self: &Arc<Self>) -> CallGuard {
        self.calls.fetch_add(1, Ordering::Relaxed);
        CallGuard(Arc::clone(self))
    }

    /// Calls (unary or streaming) in progress on this connection.
    pub fn calls_in_progress(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

/// A call in progress; see [`CallerBinding::begin_call`].
#[derive(Debug)]
pub struct CallGuard(Arc<CallerBinding>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.calls.fetch_sub(1, Ordering::Relaxed);
    }
}

/// An open `/proc/<pid>` directory.
#[derive(Debug)]
struct ProcessHandle {
    pid: i32,
    dir: OwnedFd,
}

impl ProcessHandle {
    fn open(proc_root: &Path, pid: i32) -> Result<Self, CallerChanged> {
        let path = proc_root.join(pid.to_string());
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(&path, flags, Mode::empty()) {
            Ok(dir) => Ok(ProcessHandle { pid, dir }),
            Err(e) if gone(&e.into()) => Err(CallerChanged::Exited { pid }),
            Err(e) => Err(CallerChanged::NotObserved {
                pid,
                reason: format!("opening {}: {e}", path.display()),
            }),
        }
    }

    fn observe(&self) -> Result<ProcessObservation, CallerChanged> {
        let pid = self.pid;
        let stat = self.read("stat")?;
        let (state, start_time) = parse_stat(&stat).ok_or_else(|| self.garbled("stat"))?;
        if has_exited(state) {
            return Err(CallerChanged::Exited { pid });
        }
        let status = self.read("status")?;
        let ids = parse_status(&status).map_err(|_| self.garbled("status"))?;
        let (euid, egid) = (ids.uid, ids.gid);
        let executable = match rustix::fs::statat(&self.dir, "exe", AtFlags::empty()) {
            Ok(stat) => Some(ExecutableId {
                dev: stat.st_dev,
                ino: stat.st_ino,
            }),
            // Another user's process while the agent is not root: consistently unknown.
            Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => None,
            Err(e) if gone(&e.into()) => return Err(CallerChanged::Exited { pid }),
            Err(e) => return Err(self.unreadable("exe", e.into())),
        };
        Ok(ProcessObservation {
            start_time,
            euid,
            egid,
            executable,
        })
    }

    fn read(&self, name: &str) -> Result<String, CallerChanged> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let read = rustix::fs::openat(&self.dir, name, flags, Mode::empty())
            .map_err(io::Error::from)
            .and_then(|fd| {
                let mut text = String::new();
                std::fs::File::from(fd).read_to_string(&mut text)?;
                Ok(text)
            });
        match read {
            Ok(text) => Ok(text),
            Err(e) if gone(&e) => Err(CallerChanged::Exited { pid: self.pid }),
            Err(e) => Err(self.unreadable(name, e)),
        }
    }

    fn unreadable(&self, name: &str, e: io::Error) -> CallerChanged {
        CallerChanged::NotObserved {
            pid: self.pid,
            reason: format!("reading /proc/{}/{name}: {e}", self.pid),
        }
    }

    fn garbled(&self, name: &str) -> CallerChanged {
        CallerChanged::NotObserved {
            pid: self.pid,
            reason: format!("unexpected content in /proc/{}/{name}", self.pid),
        }
    }
}

/// Errors meaning the process behind a `/proc` handle is gone.
fn gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || e.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error())
}
