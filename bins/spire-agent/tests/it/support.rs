//! A real `spire-server` and `spire-agent` on a temp dir, killed when dropped. The server
//! binary is the one built next to this test's agent binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const AGENT: &str = env!("CARGO_BIN_EXE_spire-agent");

/// `target/<profile>/spire-server`, beside the agent binary.
pub fn server_bin() -> PathBuf {
    let bin = Path::new(AGENT)
        .parent()
        .expect("the agent binary lives in a directory")
        .join("spire-server");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --bins` before these tests",
        bin.display()
    );
    bin
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub server_socket: PathBuf,
    pub agent_socket: PathBuf,
    pub port: u16,
    server: Option<Child>,
    agent: Option<Child>,
    agent_runs: usize,
}

impl Env {
    /// A server for `example.org` on SQLite, healthy.
    pub fn start_server() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut env = Env {
            server_socket: dir.path().join("server.sock"),
            agent_socket: dir.path().join("agent.sock"),
            dir,
            port,
            server: None,
            agent: None,
            agent_runs: 0,
        };
        env.restart_server();
        env
    }

    pub fn restart_server(&mut self) {
        let d = self.dir.path().display().to_string();
        let conf = format!(
            r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{socket}"
    trust_domain = "example.org"
    data_dir = "{d}/server"
    log_level = "DEBUG"
    default_x509_svid_ttl = "1h"
}}
plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "sqlite3"
            connection_string = "{d}/server/datastore.sqlite3"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "disk" {{
        plugin_data {{
            keys_path = "{d}/server/keys.json"
        }}
    }}
}}
"#,
            port = self.port,
            socket = self.server_socket.display()
        );
        let path = self.dir.path().join("server.conf");
        std::fs::write(&path, conf).expect("write server.conf");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("server log");
        let child = Command::new(server_bin())
            .args(["run", "-config"])
            .arg(&path)
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn spire-server");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.server_cli(&["healthcheck"]).status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not become healthy:\n{}", self.server_log());
    }

    pub fn stop_server(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn server_cli(&self, args: &[&str]) -> Output {
        Command::new(server_bin())
            .args(args)
            .arg("-socketPath")
            .arg(&self.server_socket)
            .stdin(Stdio::null())
            .output()
            .expect("run spire-server CLI")
    }

    pub fn server_ok(&self, args: &[&str]) -> String {
        let out = self.server_cli(args);
        assert!(
            out.status.success(),
            "spire-server {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Writes the bundle and agent.conf, then starts the agent (with `-joinToken` if given).
    pub fn start_agent(&mut self, join_token: Option<&str>) {
        let bundle = self.dir.path().join("bundle.pem");
        std::fs::write(&bundle, self.server_ok(&["bundle", "show"])).expect("bundle");
        let d = self.dir.path().display().to_string();
        let conf = format!(
            r#"agent {{
    data_dir = "{d}/agent"
    log_level = "DEBUG"
    server_address = "127.0.0.1"
    server_port = "{port}"
    socket_path = "{socket}"
    trust_bundle_path = "{bundle}"
    trust_domain = "example.org"
}}
plugins {{
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "disk" {{
        plugin_data {{
            directory = "{d}/agent"
        }}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{}}
    }}
}}
"#,
            port = self.port,
            socket = self.agent_socket.display(),
            bundle = bundle.display()
        );
        let path = self.dir.path().join("agent.conf");
        std::fs::write(&path, conf).expect("write agent.conf");
        self.agent_runs += 1;
        let log = std::fs::File::create(self.agent_log_path(self.agent_runs)).expect("agent log");
        let mut cmd = Command::new(AGENT);
        cmd.args(["run", "-config"]).arg(&path);
        if let Some(token) = join_token {
            cmd.args(["-joinToken", token]);
        }
        let child = cmd
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn spire-agent");
        self.agent = Some(child);
        self.wait_for_agent_log("Starting agent APIs");
    }

    pub fn stop_agent(&mut self) {
        if let Some(mut child) = self.agent.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The agent's exit status, once it has exited within `within`.
    pub fn wait_agent_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(child) = self.agent.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    }

    fn agent_log_path(&self, run: usize) -> PathBuf {
        self.dir.path().join(format!("agent.{run}.log"))
    }

    /// The log of the latest agent run.
    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.agent_log_path(self.agent_runs)).unwrap_or_default()
    }

    pub fn wait_for_agent_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.agent_log().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("agent never logged {text:?}:\n{}", self.agent_log());
    }

    pub fn agent_cli(&self, args: &[&str]) -> Output {
        Command::new(AGENT)
            .args(args)
            .arg("-socketPath")
            .arg(&self.agent_socket)
            .stdin(Stdio::null())
            .output()
            .expect("run spire-agent CLI")
    }

    /// Retries `spire-agent <args>` until it succeeds (SVIDs are minted asynchronously).
    pub fn agent_ok_eventually(&self, args: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let out = self.agent_cli(args);
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            if Instant::now() > deadline {
                panic!(
                    "spire-agent {args:?} kept failing:\n{}\n{}\nagent log:\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                    self.agent_log()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.stop_agent();
        self.stop_server();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The uid of this test process, for a `unix:uid:` selector.
pub fn my_uid() -> u32 {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("numeric uid")
}
