//! A real spire-server on a temp dir and a real `spire-edge run` supervising a real
//! spire-agent; every child is killed when the fixture drops. The server and agent binaries are
//! the ones built next to this test's spire-edge binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const EDGE: &str = env!("CARGO_BIN_EXE_spire-edge");

/// `target/<profile>/<name>`, beside the spire-edge binary.
pub fn sibling_bin(name: &str) -> PathBuf {
    let bin = Path::new(EDGE)
        .parent()
        .expect("the spire-edge binary lives in a directory")
        .join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p spire-server -p spire-agent` before these tests",
        bin.display()
    );
    bin
}

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub server_socket: PathBuf,
    pub port: u16,
    children: Vec<Child>,
}

impl Fleet {
    /// A healthy spire-server for `example.org` on SQLite with a memory KeyManager.
    pub fn start_server() -> Fleet {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let server_socket = dir.path().join("server.sock");
        let data = dir.path().join("server-data");
        let conf = format!(
            "server {{\n bind_address = \"127.0.0.1\"\n bind_port = \"{port}\"\n socket_path = \"{}\"\n trust_domain = \"example.org\"\n data_dir = \"{}\"\n log_level = \"INFO\"\n}}\nplugins {{\n DataStore \"sql\" {{\n  plugin_data {{\n   database_type = \"sqlite3\"\n   connection_string = \"{}/datastore.sqlite3\"\n  }}\n }}\n NodeAttestor \"join_token\" {{\n  plugin_data {{}}\n }}\n KeyManager \"memory\" {{\n  plugin_data {{}}\n }}\n}}\n",
            server_socket.display(),
            data.display(),
            data.display()
        );
        let conf_path = dir.path().join("server.conf");
        std::fs::write(&conf_path, conf).expect("write server.conf");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let child = Command::new(sibling_bin("spire-server"))
            .args(["run", "-config"])
            .arg(&conf_path)
            .stdout(Stdio::from(log.try_clone().expect("clone")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn spire-server");
        let fleet = Fleet {
            dir,
            server_socket,
            port,
            children: vec![child],
        };
        wait_until("spire-server healthy", Duration::from_secs(30), || {
            fleet.server(&["healthcheck"]).status.success()
        });
        fleet
    }

    pub fn server(&self, args: &[&str]) -> Output {
        Command::new(sibling_bin("spire-server"))
            .args(args)
            .arg("-socketPath")
            .arg(&self.server_socket)
            .output()
            .expect("run spire-server CLI")
    }

    pub fn server_ok(&self, args: &[&str]) -> String {
        let out = self.server(args);
        assert!(
            out.status.success(),
            "spire-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A fresh join token for `spiffe://example.org/<agent>`.
    pub fn token(&self, agent: &str) -> String {
        let id = format!("spiffe://example.org/{agent}");
        let out = self.server_ok(&["token", "generate", "-spiffeID", &id]);
        out.split_whitespace()
            .nth(1)
            .expect("`Token: <value>` output")
            .to_owned()
    }

    /// Starts `spire-edge run -config <plugins>` with `env` added to its environment.
    pub fn start_edge(&mut self, plugins: &Path, env: &[(&str, &str)]) {
        let log = std::fs::File::create(self.dir.path().join("edge.log")).expect("edge log");
        let child = Command::new(EDGE)
            .args(["run", "-config"])
            .arg(plugins)
            .envs(env.iter().copied())
            .stdout(Stdio::from(log.try_clone().expect("clone")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn spire-edge");
        self.children.push(child);
    }

    pub fn edge(&self, args: &[&str]) -> Output {
        Command::new(EDGE)
            .args(args)
            .output()
            .expect("run spire-edge")
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // spire-edge first (it stops its agent), then the server.
        for child in self.children.iter_mut().rev() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(8);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn wait_until(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    wait_or(what, timeout, ok, String::new);
}

/// Like [`wait_until`], with `context()` (logs) in the panic message.
pub fn wait_or(
    what: &str,
    timeout: Duration,
    mut ok: impl FnMut() -> bool,
    context: impl FnOnce() -> String,
) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "timed out after {timeout:?} waiting for {what}\n{}",
        context()
    );
}

/// Files under `dir` (recursively).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out
}

/// DER prefixes that only private keys have: PKCS#8 `version 0` + EC or RSA algorithm, and
/// SEC1 `ECPrivateKey` version 1 with a 32/48-byte key.
pub const PRIVATE_KEY_DER_MARKERS: &[&[u8]] = &[
    &[
        0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    ],
    &[
        0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    ],
    &[
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01,
    ],
    &[0x02, 0x01, 0x01, 0x04, 0x20],
    &[0x02, 0x01, 0x01, 0x04, 0x30],
];

/// The reason `bytes` look like they hold a private key, if they do.
pub fn private_key_marker(bytes: &[u8]) -> Option<String> {
    if bytes.windows(11).any(|w| w == b"PRIVATE KEY") {
        return Some("a PEM \"PRIVATE KEY\" label".into());
    }
    PRIVATE_KEY_DER_MARKERS
        .iter()
        .find(|m| bytes.windows(m.len()).any(|w| w == **m))
        .map(|m| format!("DER private key header {m:02x?}"))
}
