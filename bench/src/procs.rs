//! One implementation's server and agent as child processes: config files in a temp dir, free
//! ports, CLI calls, and /proc readings (RSS, CPU time) for a running process.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// Which implementation a binary pair belongs to.
#[derive(Debug, Clone)]
pub struct Impl {
    pub name: &'static str,
    pub bin_dir: PathBuf,
}

impl Impl {
    pub fn server_bin(&self) -> PathBuf {
        self.bin_dir.join("spire-server")
    }
    pub fn agent_bin(&self) -> PathBuf {
        self.bin_dir.join("spire-agent")
    }
}

/// A running spire-server with its own data dir.
#[derive(Debug)]
pub struct Server {
    pub imp: Impl,
    pub dir: PathBuf,
    pub port: u16,
    pub socket: PathBuf,
    pub child: Child,
}

/// A running spire-agent.
#[derive(Debug)]
pub struct Agent {
    pub socket: PathBuf,
    pub child: Child,
}

impl Server {
    /// Starts a server on SQLite with the memory KeyManager and the join_token attestor, signing
    /// rate limits off (so both implementations are measured, not SPIRE's 500/s/IP default).
    pub async fn start(imp: &Impl, root: &Path, tag: &str) -> Result<Server> {
        let dir = root.join(format!("{}-{tag}", imp.name));
        std::fs::create_dir_all(dir.join("data"))?;
        let port = free_port()?;
        let socket = dir.join("api.sock");
        let conf = format!(
            r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{sock}"
    trust_domain = "example.org"
    data_dir = "{data}"
    log_level = "WARN"
    ratelimit {{
        attestation = false
        signing = false
    }}
}}
plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "sqlite3"
            connection_string = "{data}/datastore.sqlite3"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{}}
    }}
    KeyManager "memory" {{
        plugin_data = {{}}
    }}
}}
"#,
            sock = socket.display(),
            data = dir.join("data").display()
        );
        let conf_path = dir.join("server.conf");
        std::fs::write(&conf_path, conf)?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = Command::new(imp.server_bin())
            .arg("run")
            .arg("-config")
            .arg(&conf_path)
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", imp.server_bin().display()))?;
        let server = Server { imp: imp.clone(), dir, port, socket, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.cli(&["healthcheck"]).await.is_err() {
            if Instant::now() > deadline {
                bail!("{} server not healthy; see {}", imp.name, server.dir.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }

    pub fn pid(&self) -> Result<u32> {
        self.child.id().context("server exited")
    }

    /// Runs `spire-server ARGS -socketPath SOCK` and returns stdout.
    pub async fn cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(self.imp.server_bin())
            .args(args)
            .arg("-socketPath")
            .arg(&self.socket)
            .output()
            .await?;
        if !out.status.success() {
            bail!("spire-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A join token whose agent gets `alias` as a node alias (entries can be parented to it).
    pub async fn token(&self, alias: &str) -> Result<String> {
        let out = self.cli(&["token", "generate", "-spiffeID", alias]).await?;
        out.split_whitespace()
            .nth(1)
            .map(str::to_owned)
            .context("no token in `token generate` output")
    }

    pub async fn bundle_pem(&self) -> Result<PathBuf> {
        let pem = self.cli(&["bundle", "show"]).await?;
        let path = self.dir.join("bundle.pem");
        std::fs::write(&path, pem)?;
        Ok(path)
    }

    /// Starts an agent in a fresh data dir, joined with `token`; returns without waiting.
    pub async fn spawn_agent(&self, tag: &str, token: &str) -> Result<Agent> {
        let bundle = self.bundle_pem().await?;
        let dir = self.dir.join(format!("agent-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data"))?;
        let socket = dir.join("api.sock");
        let conf = format!(
            r#"agent {{
    data_dir = "{data}"
    log_level = "WARN"
    server_address = "127.0.0.1"
    server_port = "{port}"
    socket_path = "{sock}"
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
            data = dir.join("data").display(),
            port = self.port,
            sock = socket.display(),
            bundle = bundle.display()
        );
        let conf_path = dir.join("agent.conf");
        std::fs::write(&conf_path, conf)?;
        let log = std::fs::File::create(dir.join("agent.log"))?;
        let child = Command::new(self.imp.agent_bin())
            .args(["run", "-config"])
            .arg(&conf_path)
            .args(["-joinToken", token])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        Ok(Agent { socket, child })
    }
}

impl Agent {
    pub fn pid(&self) -> Result<u32> {
        self.child.id().context("agent exited")
    }
}

/// VmRSS and VmHWM of `pid`, in MiB.
pub fn rss_mib(pid: u32) -> Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("{name} missing"))?;
        let kb: f64 = line.split_whitespace().nth(1).context("no value")?.parse()?;
        Ok(kb / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// User plus system CPU seconds `pid` has used (all threads), assuming USER_HZ = 100.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name can hold spaces; fields are counted after its closing parenthesis.
    let rest = stat.rsplit_once(')').context("bad stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11).context("utime")?.parse()?;
    let stime: f64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) / 100.0)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}
