//! Real `spire-server` and `spire-agent` processes, killed (SIGKILL) when dropped.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/<name>`: the test executable lives in `target/<profile>/deps/`.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p spire-server -p spire-agent` first",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The uid of this test process, for a `unix:uid:` selector.
pub fn my_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
        .expect("Uid: line in /proc/self/status")
}

/// One `spire-server` on PostgreSQL with its own data dir and in-memory CA keys.
#[derive(Debug)]
pub struct Server {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Server {
    /// Starts a server for `example.org` on `db_url` under `dir/<name>` and waits until healthy.
    pub fn start(dir: &Path, name: &str, db_url: &str) -> Server {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).expect("server dir");
        let socket = dir.join("api.sock");
        let port = free_port();
        let conf = format!(
            r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{socket}"
    trust_domain = "example.org"
    data_dir = "{d}/data"
    log_level = "DEBUG"
    default_x509_svid_ttl = "1h"
}}
plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "postgres"
            connection_string = "{db_url}"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "memory" {{
        plugin_data {{}}
    }}
}}
"#,
            socket = socket.display(),
            d = dir.display(),
        );
        let conf_path = dir.join("server.conf");
        std::fs::write(&conf_path, conf).expect("write server.conf");
        let log = std::fs::File::create(dir.join("server.log")).expect("server log");
        let child = Command::new(bin("spire-server"))
            .args(["run", "-config"])
            .arg(&conf_path)
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn spire-server");
        let server = Server {
            dir,
            socket,
            port,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.cli(&["healthcheck"]).status.success() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("server {name} did not become healthy:\n{}", server.log());
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// SIGKILL, as `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// `spire-server <args> -socketPath <this server's socket>`.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(bin("spire-server"))
            .args(args)
            .arg("-socketPath")
            .arg(&self.socket)
            .stdin(Stdio::null())
            .output()
            .expect("run spire-server CLI")
    }

    /// Like [`Server::cli`], panicking with the output on failure; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "spire-server {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `token generate -spiffeID <id>`, returning the token.
    pub fn join_token(&self, id: &str) -> String {
        self.ok(&["token", "generate", "-spiffeID", id])
            .split_whitespace()
            .nth(1)
            .expect("token generate prints `Token: <token>`")
            .to_owned()
    }

    /// `entry create` of `spiffe_id` under `parent` for `unix:uid:<uid>`; the entry ID.
    pub fn create_entry(&self, parent: &str, spiffe_id: &str, uid: u32) -> String {
        let args = create_args(parent, spiffe_id, uid);
        let out = self.cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        entry_id_of(&text).unwrap_or_else(|| {
            panic!(
                "entry create printed no entry ID:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

/// The `entry create` arguments for one `unix:uid:<uid>` entry.
pub fn create_args(parent: &str, spiffe_id: &str, uid: u32) -> Vec<String> {
    [
        "entry",
        "create",
        "-parentID",
        parent,
        "-spiffeID",
        spiffe_id,
        "-selector",
        &format!("unix:uid:{uid}"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// The `Entry ID` line of `entry create` output.
pub fn entry_id_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("Entry ID         : "))
        .map(|id| id.trim().to_owned())
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `spire-agent` attested by join token.
#[derive(Debug)]
pub struct Agent {
    pub dir: PathBuf,
    pub socket: PathBuf,
    child: Option<Child>,
}

impl Agent {
    /// Starts an agent for `server_address:server_port` trusting `bundle_pem`, attesting
    /// with `join_token`, and waits for its Workload API.
    pub fn start(dir: &Path, server_port: u16, bundle_pem: &str, join_token: &str) -> Agent {
        let dir = dir.join("agent");
        std::fs::create_dir_all(&dir).expect("agent dir");
        let socket = dir.join("agent.sock");
        let bundle = dir.join("bundle.pem");
        std::fs::write(&bundle, bundle_pem).expect("write bundle");
        let conf = format!(
            r#"agent {{
    data_dir = "{d}/data"
    log_level = "DEBUG"
    server_address = "127.0.0.1"
    server_port = "{server_port}"
    socket_path = "{socket}"
    trust_bundle_path = "{bundle}"
    trust_domain = "example.org"
}}
plugins {{
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "memory" {{
        plugin_data {{}}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{}}
    }}
}}
"#,
            d = dir.display(),
            socket = socket.display(),
            bundle = bundle.display(),
        );
        let conf_path = dir.join("agent.conf");
        std::fs::write(&conf_path, conf).expect("write agent.conf");
        let log = std::fs::File::create(dir.join("agent.log")).expect("agent log");
        let child = Command::new(bin("spire-agent"))
            .args(["run", "-config"])
            .arg(&conf_path)
            .args(["-joinToken", join_token])
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn spire-agent");
        let agent = Agent {
            dir,
            socket,
            child: Some(child),
        };
        agent.wait_for_log("Starting agent APIs", Duration::from_secs(60));
        agent
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }

    pub fn wait_for_log(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("agent never logged {text:?}:\n{}", self.log());
    }

    /// `spire-agent api fetch x509` output, when it succeeds.
    pub fn fetch_x509(&self) -> Option<String> {
        let out = Command::new(bin("spire-agent"))
            .args(["api", "fetch", "x509", "-socketPath"])
            .arg(&self.socket)
            .stdin(Stdio::null())
            .output()
            .expect("run spire-agent api fetch x509");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether the latest successful fetch names `spiffe_id`.
    pub fn serves(&self, spiffe_id: &str) -> bool {
        let needle = format!("SPIFFE ID:\t\t{spiffe_id}\n");
        self.fetch_x509().is_some_and(|text| text.contains(&needle))
    }

    /// Waits until the Workload API serves `spiffe_id`.
    pub fn wait_until_serving(&self, spiffe_id: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.serves(spiffe_id) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "the agent never served {spiffe_id} within {within:?}; last fetch:\n{:?}\nagent log tail:\n{}",
            self.fetch_x509(),
            tail(&self.log(), 60)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
