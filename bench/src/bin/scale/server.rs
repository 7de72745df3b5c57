//! Server RSS on a seeded database: the real spire-server binary started on the SQLite file,
//! one real spire-agent joined (its first sync loads the authorized-entry cache), and VmRSS
//! read from /proc before and after.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

#[derive(Debug, Clone, Copy)]
pub struct Rss {
    pub cold_mib: f64,
    pub warm_mib: f64,
}

fn vm_rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
    let kb: f64 = line.split_whitespace().nth(1).context("VmRSS value")?.parse()?;
    Ok(kb / 1024.0)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn cli(bin: &Path, socket: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin).args(args).arg("-socketPath").arg(socket).output().await?;
    if !out.status.success() {
        bail!("spire-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn spawn(bin: &Path, args: &[&str], log: &Path) -> Result<Child> {
    let log = std::fs::File::create(log)?;
    Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// `dir/data/datastore.sqlite3` must hold the seeded database.
pub async fn measure(bin_dir: &Path, dir: &Path) -> Result<Rss> {
    let (server_bin, agent_bin) = (bin_dir.join("spire-server"), bin_dir.join("spire-agent"));
    let data = dir.join("data");
    let socket = dir.join("server.sock");
    let port = free_port()?;
    let conf = format!(
        "server {{\n  bind_address = \"127.0.0.1\"\n  bind_port = \"{port}\"\n  socket_path = \"{}\"\n  trust_domain = \"example.org\"\n  data_dir = \"{}\"\n  log_level = \"WARN\"\n}}\nplugins {{\n  DataStore \"sql\" {{\n    plugin_data {{\n      database_type = \"sqlite3\"\n      connection_string = \"{}/datastore.sqlite3\"\n    }}\n  }}\n  NodeAttestor \"join_token\" {{\n    plugin_data {{}}\n  }}\n  KeyManager \"memory\" {{\n    plugin_data {{}}\n  }}\n}}\n",
        socket.display(),
        data.display(),
        data.display()
    );
    std::fs::write(dir.join("server.conf"), conf)?;
    let conf = dir.join("server.conf");
    let mut server = spawn(&server_bin, &["run", "-config", path(&conf)], &dir.join("server.log"))?;
    let pid = server.id().context("server exited")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while cli(&server_bin, &socket, &["healthcheck"]).await.is_err() {
        if Instant::now() > deadline {
            bail!("server not healthy; see {}", dir.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cold_mib = vm_rss_mib(pid)?;

    let token = cli(&server_bin, &socket, &["token", "generate"]).await?;
    let token = token.split_whitespace().nth(1).context("no token")?.to_owned();
    let bundle = dir.join("bundle.pem");
    std::fs::write(&bundle, cli(&server_bin, &socket, &["bundle", "show"]).await?)?;
    let agent_dir = dir.join("agent");
    std::fs::create_dir_all(&agent_dir)?;
    let agent_sock = agent_dir.join("agent.sock");
    let aconf = format!(
        "agent {{\n  data_dir = \"{}\"\n  log_level = \"WARN\"\n  server_address = \"127.0.0.1\"\n  server_port = \"{port}\"\n  socket_path = \"{}\"\n  trust_bundle_path = \"{}\"\n  trust_domain = \"example.org\"\n}}\nplugins {{\n  NodeAttestor \"join_token\" {{\n    plugin_data {{}}\n  }}\n  KeyManager \"memory\" {{\n    plugin_data {{}}\n  }}\n  WorkloadAttestor \"unix\" {{\n    plugin_data {{}}\n  }}\n}}\n",
        agent_dir.display(),
        agent_sock.display(),
        bundle.display()
    );
    let aconf_path = agent_dir.join("agent.conf");
    std::fs::write(&aconf_path, aconf)?;
    let mut agent = spawn(
        &agent_bin,
        &["run", "-config", path(&aconf_path), "-joinToken", &token],
        &agent_dir.join("agent.log"),
    )?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while !agent_sock.exists() {
        if Instant::now() > deadline {
            bail!("agent never opened its socket; see {}", agent_dir.display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The agent's first sync makes the server load the whole entry table, which can take
    // longer than the agent's start: read until VmRSS has not grown for 5 s in a row.
    let mut warm_mib = vm_rss_mib(pid)?;
    let mut still = 0;
    while still < 5 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = vm_rss_mib(pid)?;
        still = if now > warm_mib + 0.5 { 0 } else { still + 1 };
        warm_mib = warm_mib.max(now);
    }
    let warm_mib = vm_rss_mib(pid)?.max(warm_mib);
    let _ = agent.kill().await;
    let _ = server.kill().await;
    Ok(Rss { cold_mib, warm_mib })
}

fn path(p: &PathBuf) -> &str {
    p.to_str().unwrap_or_default()
}
