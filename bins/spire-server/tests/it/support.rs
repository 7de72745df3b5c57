//! A running `spire-server` on a temp dir, stopped (SIGKILL) when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_spire-server");

pub struct Server {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub port: u16,
    child: Child,
    launch: fn(&Path) -> Command,
}

impl Server {
    /// Starts a server for `example.org` on SQLite with the disk KeyManager.
    pub fn start() -> Server {
        Self::start_with(|conf| conf)
    }

    /// Starts a server whose config text is first passed through `edit`.
    pub fn start_with(edit: impl FnOnce(String) -> String) -> Server {
        Self::start_via(edit, run_command)
    }

    /// Like [`Server::start_with`], launching the server with `launch` (given the temp dir;
    /// it must run `spire-server run -config <dir>/server.conf`, e.g. under `sh -c 'ulimit ...'`).
    pub fn start_via(edit: impl FnOnce(String) -> String, launch: fn(&Path) -> Command) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("api.sock");
        let port = free_port();
        let conf = edit(server_conf(dir.path(), &socket, port));
        std::fs::write(dir.path().join("server.conf"), conf).expect("write server.conf");
        let child = spawn(dir.path(), launch);
        let server = Server {
            dir,
            socket,
            port,
            child,
            launch,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.cli(&["healthcheck"]).status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not become healthy; log:\n{}", self.log());
    }

    /// Runs `spire-server <args> -socketPath <socket>`.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args).arg("-socketPath").arg(&self.socket);
        cmd.stdin(Stdio::null())
            .output()
            .expect("run spire-server CLI")
    }

    /// Like [`Server::cli`], asserting success and returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "spire-server {args:?} failed\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Kills the server and starts it again on the same config and data dir.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.dir.path(), self.launch);
        self.wait_healthy();
    }

    /// SIGKILL, as a crash leaves things: nothing flushed, nothing closed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, as an operator stops the server; returns its exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        self.child.wait().expect("wait for the server")
    }

    /// Starts the server again on the same config and data dir: `None` once it is healthy,
    /// or its exit status if it exits first.
    pub fn start_again(&mut self) -> Option<ExitStatus> {
        self.child = spawn(self.dir.path(), self.launch);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if self.cli(&["healthcheck"]).status.success() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "server neither became healthy nor exited; log:\n{}",
            self.log()
        );
    }

    /// The server's process id (that of `launch`'s process, which must exec the server).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `spire-server run -config dir/server.conf`.
pub fn run_command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "-config"]).arg(dir.join("server.conf"));
    cmd
}

/// Runs `launch(dir)`, logging (appended) to `dir/server.log`.
fn spawn(dir: &Path, launch: fn(&Path) -> Command) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .expect("log file");
    launch(dir)
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .spawn()
        .expect("spawn spire-server")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A server.conf in SPIRE's own syntax (the getting-started layout).
pub fn server_conf(dir: &Path, socket: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{socket}"
    trust_domain = "example.org"
    data_dir = "{d}/data"
    log_level = "DEBUG"
    ca_ttl = "168h"
    default_x509_svid_ttl = "1h"
}}

plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "sqlite3"
            connection_string = "{d}/data/datastore.sqlite3"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{
        }}
    }}
    KeyManager "disk" {{
        plugin_data = {{
            keys_path = "{d}/data/keys.json"
        }}
    }}
}}
"#,
        socket = socket.display()
    )
}
