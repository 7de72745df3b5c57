//! Server and agent processes (stock or ours: the same config files drive both), logging to
//! a file in their dir and killed when dropped.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use super::{conf, eventually};

/// A spire-server on `dir` (config, data dir, admin socket, log all inside it).
#[derive(Debug)]
pub struct Server {
    pub bin: PathBuf,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub port: u16,
    child: Child,
}

impl Server {
    /// Writes a fresh server.conf in `dir` (a free port) and starts `bin` on it.
    pub fn start(bin: &Path, dir: &Path) -> Server {
        std::fs::create_dir_all(dir).expect("server dir");
        let socket = dir.join("api.sock");
        let port = free_port();
        std::fs::write(dir.join("server.conf"), conf::server(dir, &socket, port))
            .expect("write server.conf");
        Self::restart(bin, dir, port)
    }

    /// Starts `bin` on the server.conf already in `dir` (a drop-in upgrade reuses it).
    pub fn restart(bin: &Path, dir: &Path, port: u16) -> Server {
        let log = File::options()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .expect("server log");
        let child = Command::new(bin)
            .args(["run", "-config"])
            .arg(dir.join("server.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        let server = Server {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            socket: dir.join("api.sock"),
            port,
            child,
        };
        eventually("server healthy", Duration::from_secs(60), || {
            let out = server.cli(&["healthcheck"]);
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("not healthy; log:\n{}", server.log()))
            }
        });
        server
    }

    /// Runs `<cli> <args> -socketPath <our socket>` with any spire-server binary as the CLI.
    pub fn cli_with(&self, cli: &Path, args: &[&str]) -> Output {
        Command::new(cli)
            .args(args)
            .arg("-socketPath")
            .arg(&self.socket)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", cli.display()))
    }

    /// Like [`Server::cli_with`], asserting success and returning stdout.
    pub fn ok_with(&self, cli: &Path, args: &[&str]) -> String {
        let out = self.cli_with(cli, args);
        assert!(
            out.status.success(),
            "{} {args:?} failed\nstdout:\n{}\nstderr:\n{}",
            cli.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The server's own binary as the CLI.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with(&self.bin, args)
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_with(&self.bin, args)
    }

    /// The bundle as PEM, written to `dir/bundle.pem` for agents to bootstrap from.
    pub fn write_bundle(&self) -> PathBuf {
        let pem = self.ok(&["bundle", "show"]);
        let path = self.dir.join("bundle.pem");
        std::fs::write(&path, pem).expect("write bundle.pem");
        path
    }

    /// A join token for `spiffe_id` (the agent's alias), from this server's own CLI.
    pub fn join_token(&self, spiffe_id: &str) -> String {
        let out = self.ok(&["token", "generate", "-spiffeID", spiffe_id]);
        super::field(&out, "Token")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// SIGTERM, then wait (SIGKILL after 10 s): a clean shutdown, as an operator upgrading does.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A spire-agent attesting with a join token; its Workload API socket is `dir/public/api.sock`.
#[derive(Debug)]
pub struct Agent {
    pub dir: PathBuf,
    pub socket: PathBuf,
    child: Child,
}

impl Agent {
    pub fn start(bin: &Path, dir: &Path, server_port: u16, bundle: &Path, token: &str) -> Agent {
        std::fs::create_dir_all(dir.join("public")).expect("agent dir");
        let socket = dir.join("public/api.sock");
        std::fs::write(
            dir.join("agent.conf"),
            conf::agent(dir, &socket, server_port, bundle),
        )
        .expect("write agent.conf");
        let log = File::create(dir.join("agent.log")).expect("agent log");
        let child = Command::new(bin)
            .args(["run", "-config"])
            .arg(dir.join("agent.conf"))
            .args(["-joinToken", token])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        Agent {
            dir: dir.to_path_buf(),
            socket,
            child,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
