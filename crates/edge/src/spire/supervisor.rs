//! Runs `spire-agent run -config agent.conf`, appending its output to `agent.log`, and starts
//! it again with exponential backoff whenever it exits, until told to stop.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// First delay before a restart; doubles per quick exit up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run at least this long resets the backoff.
const STABLE_RUN: Duration = Duration::from_secs(60);
/// How long the agent gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the host knows about the supervised process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessState {
    pub pid: Option<u32>,
    /// Times the agent was started again after exiting.
    pub restarts: u32,
    pub last_exit: Option<String>,
}

/// How to run the agent.
#[derive(Debug, Clone)]
pub struct AgentCommand {
    pub program: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
}

/// A running supervision loop.
#[derive(Debug)]
pub struct Supervisor {
    state: Arc<Mutex<ProcessState>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Supervisor {
    pub fn spawn(cmd: AgentCommand) -> Self {
        let state = Arc::new(Mutex::new(ProcessState::default()));
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(supervise(cmd, Arc::clone(&state), stop_rx));
        Self {
            state,
            stop,
            task: Some(task),
        }
    }

    pub fn state(&self) -> ProcessState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the loop: SIGTERM to the agent, SIGKILL after a grace period.
    pub async fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn supervise(
    cmd: AgentCommand,
    state: Arc<Mutex<ProcessState>>,
    mut stop: watch::Receiver<bool>,
) {
    let set = |f: &dyn Fn(&mut ProcessState)| {
        f(&mut state.lock().unwrap_or_else(PoisonError::into_inner));
    };
    let mut backoff = INITIAL_BACKOFF;
    let mut first = true;
    loop {
        if !first {
            set(&|s| s.restarts += 1);
        }
        first = false;
        let started = Instant::now();
        match start(&cmd) {
            Ok(mut child) => {
                let pid = child.id();
                set(&|s| s.pid = pid);
                tracing::info!(pid, program = %cmd.program.display(), "spire-agent started");
                tokio::select! {
                    status = child.wait() => {
                        let why = match status {
                            Ok(s) => s.to_string(),
                            Err(e) => format!("wait failed: {e}"),
                        };
                        tracing::warn!(pid, status = %why, "spire-agent exited; restarting after {backoff:?}");
                        set(&|s| { s.pid = None; s.last_exit = Some(why.clone()); });
                    }
                    _ = stop.changed() => {
                        terminate(&mut child).await;
                        set(&|s| { s.pid = None; s.last_exit = Some("stopped".into()); });
                        return;
                    }
                }
            }
            Err(e) => {
                let why = format!("cannot start {}: {e}", cmd.program.display());
                tracing::error!("{why}; retrying after {backoff:?}");
                set(&|s| s.last_exit = Some(why.clone()));
            }
        }
        if started.elapsed() >= STABLE_RUN {
            backoff = INITIAL_BACKOFF;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn start(cmd: &AgentCommand) -> std::io::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&cmd.log)?;
    let err = log.try_clone()?;
    Command::new(&cmd.program)
        .arg("run")
        .arg("-config")
        .arg(&cmd.config)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn restarts_a_program_that_exits_and_stops_it_on_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("fake-agent");
        std::fs::write(&script, "#!/bin/sh\necho \"args: $*\"\nexit 3\n").expect("write");
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .expect("chmod");
        let log = dir.path().join("agent.log");
        let mut sup = Supervisor::spawn(AgentCommand {
            program: script,
            config: dir.path().join("agent.conf"),
            log: log.clone(),
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while sup.state().restarts < 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sup.stop().await;
        let state = sup.state();
        assert!(state.restarts >= 1, "{state:?}");
        assert_eq!(state.pid, None);
        let text = std::fs::read_to_string(&log).expect("log");
        assert!(text.starts_with("args: run -config "), "{text}");
    }
}
