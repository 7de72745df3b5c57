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
    /// Plugin blocks added to server.conf beside the join_token NodeAttestor.
    server_plugins: String,
    /// The body of the agent's `WorkloadAttestor "unix" { plugin_data { ... } }`.
    pub unix_attestor_plugin_data: String,
}

impl Env {
    /// A server for `example.org` on SQLite, healthy.
    pub fn start_server() -> Env {
        Self::start_server_with_plugins("")
    }

    /// Like [`Env::start_server`], with `plugins` (HCL plugin blocks) added to server.conf.
    pub fn start_server_with_plugins(plugins: &str) -> Env {
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
            server_plugins: plugins.to_owned(),
            unix_attestor_plugin_data: String::new(),
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
{extra}
}}
"#,
            port = self.port,
            socket = self.server_socket.display(),
            extra = self.server_plugins
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
        self.start_agent_with_node_attestor(
            "NodeAttestor \"join_token\" {\n        plugin_data {}\n    }",
            join_token,
        );
    }

    /// Like [`Env::start_agent`], with `node_attestor` (one HCL `NodeAttestor` block).
    pub fn start_agent_with_node_attestor(
        &mut self,
        node_attestor: &str,
        join_token: Option<&str>,
    ) {
        self.launch_agent_with_node_attestor(node_attestor, join_token);
        self.wait_for_agent_log("Starting agent APIs");
    }

    /// Like [`Env::start_agent`], without waiting for the agent to serve (it may exit).
    pub fn launch_agent(&mut self, join_token: Option<&str>) {
        self.launch_agent_with_node_attestor(
            "NodeAttestor \"join_token\" {\n        plugin_data {}\n    }",
            join_token,
        );
    }

    fn launch_agent_with_node_attestor(&mut self, node_attestor: &str, join_token: Option<&str>) {
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
    {node_attestor}
    KeyManager "disk" {{
        plugin_data {{
            directory = "{d}/agent"
        }}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{ {unix_data} }}
    }}
}}
"#,
            port = self.port,
            socket = self.agent_socket.display(),
            bundle = bundle.display(),
            unix_data = self.unix_attestor_plugin_data,
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

/// The node ID the join token of [`Env::joined`] aliases.
pub const NODE_ID: &str = "spiffe://example.org/test-node";

impl Env {
    /// A server, a join token for [`NODE_ID`], an entry `workload_id` under it selecting
    /// `unix:uid:<uid>` (plus `entry_args`), and an agent attested with the token.
    pub fn joined(workload_id: &str, uid: u32, entry_args: &[&str]) -> Env {
        let mut env = Env::start_server();
        let token = env.join_token(NODE_ID);
        env.create_entry(NODE_ID, workload_id, uid, entry_args);
        env.start_agent(Some(&token));
        env
    }

    /// `spire-server token generate -spiffeID <id>`, returning the token.
    pub fn join_token(&self, id: &str) -> String {
        let out = self.server_ok(&["token", "generate", "-spiffeID", id]);
        out.split_whitespace()
            .nth(1)
            .expect("token generate prints `Token: <token>`")
            .to_owned()
    }

    /// `spire-server entry create` for `unix:uid:<uid>`, returning the entry ID.
    pub fn create_entry(&self, parent: &str, spiffe_id: &str, uid: u32, extra: &[&str]) -> String {
        let selector = format!("unix:uid:{uid}");
        let mut args = vec![
            "entry",
            "create",
            "-parentID",
            parent,
            "-spiffeID",
            spiffe_id,
            "-selector",
            &selector,
        ];
        args.extend_from_slice(extra);
        let out = self.server_ok(&args);
        out.lines()
            .find_map(|l| l.strip_prefix("Entry ID         : "))
            .unwrap_or_else(|| panic!("entry create prints the entry ID:\n{out}"))
            .trim()
            .to_owned()
    }

    /// The running agent's pid.
    pub fn agent_pid(&self) -> u32 {
        self.agent.as_ref().expect("the agent is running").id()
    }

    /// Whether the agent process is still running.
    pub fn agent_alive(&mut self) -> bool {
        self.agent
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Retries `spire-agent api fetch x509` until its output names `spiffe_id`.
    pub fn wait_for_fetched_id(&self, spiffe_id: &str, within: Duration) -> String {
        let needle = format!("SPIFFE ID:\t\t{spiffe_id}\n");
        let deadline = Instant::now() + within;
        loop {
            let out = self.agent_cli(&["api", "fetch", "x509"]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() && text.contains(&needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the agent never served {spiffe_id} within {within:?}; last fetch:\n{text}\n{}\nagent log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.agent_log()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Open file descriptors of process `pid`.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/<pid>/fd of our own child")
        .count()
}

/// A Workload API client over the agent's socket, one fresh connection per call.
pub async fn workload_client(
    socket: &Path,
) -> spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient<
    tonic::transport::Channel,
> {
    let socket = socket.to_path_buf();
    let channel = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let socket = socket.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(socket).await?,
                ))
            }
        }))
        .await
        .expect("connects to the Workload API socket");
    spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient::new(channel)
}

/// `message` with the `workload.spiffe.io: true` security header.
pub fn with_header<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("workload.spiffe.io", "true".parse().expect("ascii value"));
    request
}

/// The SPIFFE ID in the URI SAN of a DER certificate.
pub fn spiffe_id_of(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("a DER certificate");
    cert.subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|name| match name {
                x509_parser::extensions::GeneralName::URI(uri) => Some((*uri).to_owned()),
                _ => None,
            })
        })
        .expect("an X509-SVID has a URI SAN")
}

/// The serial number of a DER certificate, as hex.
pub fn serial_of(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("a DER certificate");
    cert.raw_serial_as_string()
}

/// Python of the venv with py-spiffe (`$SPIRE_RS_VENV` or `$HOME/.cache/spire-rs/venv`),
/// creating it when missing; `None` when python3 or pip cannot provide it.
pub fn py_spiffe_python() -> Option<PathBuf> {
    let venv = match std::env::var_os("SPIRE_RS_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache/spire-rs/venv"),
    };
    let python = venv.join("bin/python");
    let has_spiffe = || {
        Command::new(&python)
            .args(["-c", "import spiffe"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_spiffe() {
        return Some(python);
    }
    if !python.exists() {
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !created {
            return None;
        }
    }
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "spiffe==0.3.2"])
        .status()
        .is_ok_and(|s| s.success());
    (installed && has_spiffe()).then_some(python)
}

/// A tokio runtime for a test's async client side (the agent and server are processes).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
