//! Binding a Workload API caller to the process that connected (sans-IO core).
//!
//! The kernel records the peer's pid, effective uid and effective gid when a process
//! connects to the socket (SO_PEERCRED). Attestation reads `/proc/<pid>` later, and "whatever
//! holds that pid now" need not be the process that connected:
//!
//! - **exec of a setuid binary**: the connecting process forks a child that keeps the socket
//!   and then execs `/usr/bin/passwd`; the pid now runs as root, and attestation would hand the
//!   child root's SVIDs.
//! - **pid reuse**: the connecting process exits while a child keeps the socket, and a
//!   privileged process is started with the freed pid.
//! - **exec of another binary** (path or sha256 selectors): same pid and uid, other program.
//!
//! So every call re-observes the process after attestation and before anything is sent, and
//! refuses when it no longer is the one that connected: it exited, its start time changed
//! (another process with the same pid), its effective ids differ from the socket's peer
//! credentials, or its executable is not the one seen when the connection was accepted.
//! The I/O half (`peer.rs`) reads the process through a `/proc/<pid>` directory handle opened at
//! accept time, so a reused pid can never be read in its place.
//!
//! What is left: a process that connects and execs another non-setuid binary before the agent
//! accepts the connection is observed as that binary from the start (SPIRE shares this).

/// The socket's peer credentials, as the kernel recorded them at connect time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerCredentials {
    pub pid: i32,
    /// Effective uid of the connecting process.
    pub uid: u32,
    /// Effective gid of the connecting process.
    pub gid: u32,
}

/// The executable of a process, by file identity (device and inode), not by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutableId {
    pub dev: u64,
    pub ino: u64,
}

/// What `/proc/<pid>` shows of a process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessObservation {
    /// Field 22 of `stat`: clock ticks after boot; differs for a reused pid.
    pub start_time: u64,
    pub euid: u32,
    pub egid: u32,
    /// None when the agent may not look (another user's process while the agent is not
    /// root); then it must stay None.
    pub executable: Option<ExecutableId>,
}

/// Why a caller is no longer the process that connected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerChanged {
    #[error("the calling process {pid} could not be observed when it connected: {reason}")]
    NotObserved { pid: i32, reason: String },
    #[error("the calling process {pid} exited")]
    Exited { pid: i32 },
    #[error("process {pid} is not the one that connected (start time changed: pid reused)")]
    PidReused { pid: i32 },
    #[error("process {pid} changed its effective uid from {connected} to {now}")]
    UidChanged { pid: i32, connected: u32, now: u32 },
    #[error("process {pid} changed its effective gid from {connected} to {now}")]
    GidChanged { pid: i32, connected: u32, now: u32 },
    #[error("process {pid} executed another program after connecting")]
    Executed { pid: i32 },
}

/// Checks that `now` is still the process that connected with `peer`, first observed as
/// `connected`.
pub fn verify(
    peer: &PeerCredentials,
    connected: &ProcessObservation,
    now: &ProcessObservation,
) -> Result<(), CallerChanged> {
    let pid = peer.pid;
    if now.start_time != connected.start_time {
        return Err(CallerChanged::PidReused { pid });
    }
    // Compared with the kernel's record of the connect, not with the first observation:
    // a setuid exec between connect and accept is caught too.
    if now.euid != peer.uid {
        return Err(CallerChanged::UidChanged {
            pid,
            connected: peer.uid,
            now: now.euid,
        });
    }
    if now.egid != peer.gid {
        return Err(CallerChanged::GidChanged {
            pid,
            connected: peer.gid,
            now: now.egid,
        });
    }
    if now.executable != connected.executable {
        return Err(CallerChanged::Executed { pid });
    }
    Ok(())
}

/// Whether a `stat` state means the process has exited (zombie, or dead).
pub fn has_exited(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: PeerCredentials = PeerCredentials {
        pid: 4242,
        uid: 65534,
        gid: 65534,
    };
    const CONNECTED: ProcessObservation = ProcessObservation {
        start_time: 1000,
        euid: 65534,
        egid: 65534,
        executable: Some(ExecutableId { dev: 8, ino: 77 }),
    };

    #[test]
    fn accepts_the_process_that_connected() {
        assert_eq!(verify(&PEER, &CONNECTED, &CONNECTED), Ok(()));
    }

    #[test]
    fn refuses_a_setuid_exec() {
        let now = ProcessObservation {
            euid: 0,
            executable: Some(ExecutableId { dev: 8, ino: 99 }),
            ..CONNECTED
        };
        assert_eq!(
            verify(&PEER, &CONNECTED, &now),
            Err(CallerChanged::UidChanged {
                pid: 4242,
                connected: 65534,
                now: 0
            })
        );
    }

    #[test]
    fn refuses_a_setuid_exec_before_accept() {
        // The first observation already shows root: compared with SO_PEERCRED, not with it.
        let connected = ProcessObservation {
            euid: 0,
            ..CONNECTED
        };
        assert!(matches!(
            verify(&PEER, &connected, &connected),
            Err(CallerChanged::UidChanged { now: 0, .. })
        ));
    }

    #[test]
    fn refuses_a_setgid_exec() {
        let now = ProcessObservation {
            egid: 42,
            ..CONNECTED
        };
        assert!(matches!(
            verify(&PEER, &CONNECTED, &now),
            Err(CallerChanged::GidChanged { now: 42, .. })
        ));
    }

    #[test]
    fn refuses_a_reused_pid() {
        let now = ProcessObservation {
            start_time: 2000,
            ..CONNECTED
        };
        assert_eq!(
            verify(&PEER, &CONNECTED, &now),
            Err(CallerChanged::PidReused { pid: 4242 })
        );
    }

    #[test]
    fn refuses_an_exec_of_another_program() {
        let now = ProcessObservation {
            executable: Some(ExecutableId { dev: 8, ino: 78 }),
            ..CONNECTED
        };
        assert_eq!(
            verify(&PEER, &CONNECTED, &now),
            Err(CallerChanged::Executed { pid: 4242 })
        );
    }

    #[test]
    fn refuses_an_executable_that_became_unreadable() {
        let now = ProcessObservation {
            executable: None,
            ..CONNECTED
        };
        assert!(verify(&PEER, &CONNECTED, &now).is_err());
    }

    #[test]
    fn zombies_and_dead_processes_have_exited() {
        assert!(!has_exited('S'));
        assert!(!has_exited('R'));
        assert!(has_exited('Z'));
        assert!(has_exited('X'));
    }
}
