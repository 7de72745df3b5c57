//! A whole local fleet in a temp dir: spire-server (publishing its bundle to a file),
//! spire-agent joined by token, Mosquitto rendered from deploy/mosquitto, and the demo clients.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::certs::{self, Issued};
use crate::process::{Proc, bin, free_port, run_with_timeout, wait_for};

pub const TRUST_DOMAIN: &str = "example.org";
const START: Duration = Duration::from_secs(30);

/// One robot registration: its SPIFFE ID path and DNS name (the CN, hence the MQTT username).
#[derive(Debug, Clone, Copy)]
pub struct Robot {
    pub id: &'static str,
    pub dns: &'static str,
}

impl Robot {
    pub fn spiffe_id(&self) -> String {
        format!("spiffe://{TRUST_DOMAIN}/robot/{}", self.id)
    }
}

#[derive(Debug)]
pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub agent_socket: PathBuf,
    pub broker: Issued,
    pub plain_port: u16,
    pub tls_port: u16,
    // Dropped (killed) in reverse order of start: clients first, server last.
    pub procs: Vec<Proc>,
}

impl Fleet {
    /// Starts server, agent and Mosquitto and registers `robots` with `x509_svid_ttl` seconds.
    pub fn start(mosquitto: &Path, robots: &[Robot], x509_svid_ttl: u32) -> Fleet {
        let dir = tempfile::Builder::new()
            .prefix("edge-mqtt")
            .tempdir()
            .expect("temp dir");
        let d = dir.path().to_path_buf();
        let bundle = d.join("bundle.pem");
        let server_socket = d.join("server/api.sock");
        let agent_socket = d.join("agent/public/api.sock");
        let server_port = free_port();
        std::fs::create_dir_all(d.join("server")).expect("server dir");
        std::fs::create_dir_all(d.join("agent")).expect("agent dir");
        std::fs::write(
            d.join("server/server.conf"),
            server_conf(&d, &server_socket, server_port, &bundle),
        )
        .expect("server.conf");
        let mut procs = Vec::new();
        procs.push(Proc::spawn(
            "spire-server",
            &d,
            Command::new(bin("spire-server"))
                .args(["run", "-config"])
                .arg(d.join("server/server.conf")),
        ));
        let s = ["-socketPath", &server_socket.display().to_string()].map(str::to_owned);
        let healthy = wait_for(START, || {
            let out = run_with_timeout(
                Command::new(bin("spire-server"))
                    .arg("healthcheck")
                    .args(&s),
                Duration::from_secs(5),
            );
            out.status.success().then_some(())
        });
        assert!(healthy.is_some(), "server not healthy\n{}", procs[0].logs());
        assert!(
            wait_for(START, || bundle.exists().then_some(())).is_some(),
            "BundlePublisher \"disk\" wrote no {}\n{}",
            bundle.display(),
            procs[0].logs()
        );

        let agent_id = format!("spiffe://{TRUST_DOMAIN}/robot/agent");
        let token = server_cli(&s, &["token", "generate", "-spiffeID", &agent_id]);
        let token = token
            .split_whitespace()
            .nth(1)
            .expect("`Token: <value>`")
            .to_owned();
        let uid = String::from_utf8(Command::new("id").arg("-u").output().expect("id -u").stdout)
            .expect("uid");
        let ttl = x509_svid_ttl.to_string();
        for robot in robots {
            server_cli(
                &s,
                &[
                    "entry",
                    "create",
                    "-parentID",
                    &agent_id,
                    "-spiffeID",
                    &robot.spiffe_id(),
                    "-selector",
                    &format!("unix:uid:{}", uid.trim()),
                    "-dns",
                    robot.dns,
                    "-x509SVIDTTL",
                    &ttl,
                ],
            );
        }
        std::fs::write(
            d.join("agent/agent.conf"),
            agent_conf(&d, &agent_socket, server_port, &bundle),
        )
        .expect("agent.conf");
        procs.push(Proc::spawn(
            "spire-agent",
            &d,
            Command::new(bin("spire-agent"))
                .args(["run", "-config"])
                .arg(d.join("agent/agent.conf"))
                .args(["-joinToken", &token]),
        ));
        let a = ["-socketPath", &agent_socket.display().to_string()].map(str::to_owned);
        let all_svids = wait_for(START, || {
            let out = run_with_timeout(
                Command::new(bin("spire-agent"))
                    .args(["api", "fetch", "x509"])
                    .args(&a),
                Duration::from_secs(5),
            );
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            robots
                .iter()
                .all(|r| text.contains(&r.spiffe_id()))
                .then_some(())
        });
        assert!(
            all_svids.is_some(),
            "agent never served the robots' SVIDs\n{}",
            procs[1].logs()
        );

        let broker = certs::broker(&d);
        let plain_port = free_port();
        let tls_port = free_port();
        let conf = render_mosquitto(&d, &bundle, &broker, plain_port, tls_port);
        procs.push(Proc::spawn(
            "mosquitto",
            &d,
            Command::new(mosquitto).arg("-c").arg(conf),
        ));
        let listening = wait_for(START, || {
            [plain_port, tls_port]
                .iter()
                .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
                .then_some(())
        });
        assert!(
            listening.is_some(),
            "mosquitto not listening\n{}",
            procs[2].logs()
        );
        Fleet {
            dir,
            agent_socket,
            broker,
            plain_port,
            tls_port,
            procs,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the fleet subscriber on the plain listener and waits until it subscribed.
    pub fn start_fleet_demo(&mut self) -> usize {
        let proc = Proc::spawn(
            "fleet-demo",
            self.dir.path(),
            Command::new(bin("spire-mqtt-demo")).args([
                "fleet",
                "--port",
                &self.plain_port.to_string(),
                "--filter",
                "robots/#",
            ]),
        );
        let subscribed = wait_for(START, || proc.err().contains("Subscribed").then_some(()));
        assert!(
            subscribed.is_some(),
            "fleet never subscribed\n{}",
            proc.logs()
        );
        self.procs.push(proc);
        self.procs.len() - 1
    }

    /// Starts a demo robot as `robot` on `port`, publishing to `topic` (its own by default).
    pub fn start_robot(
        &mut self,
        name: &str,
        robot: Robot,
        port: u16,
        topic: Option<&str>,
    ) -> usize {
        let mut cmd = Command::new(bin("spire-mqtt-demo"));
        cmd.args(["robot", "--robot-id", name, "--host", "localhost"])
            .args(["--port", &port.to_string(), "--interval-ms", "1000"])
            .arg("--socket")
            .arg(&self.agent_socket)
            .arg("--broker-ca")
            .arg(&self.broker.ca)
            .args(["--spiffe-id", &robot.spiffe_id()]);
        if let Some(topic) = topic {
            cmd.args(["--topic", topic]);
        }
        self.procs
            .push(Proc::spawn(name, self.dir.path(), &mut cmd));
        self.procs.len() - 1
    }

    pub fn all_logs(&self) -> String {
        self.procs
            .iter()
            .map(Proc::logs)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        while let Some(proc) = self.procs.pop() {
            drop(proc);
        }
    }
}

fn server_cli(socket: &[String], args: &[&str]) -> String {
    let out = run_with_timeout(
        Command::new(bin("spire-server")).args(args).args(socket),
        Duration::from_secs(15),
    );
    assert!(
        out.status.success(),
        "spire-server {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn server_conf(d: &Path, socket: &Path, port: u16, bundle: &Path) -> String {
    format!(
        r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{socket}"
    trust_domain = "{TRUST_DOMAIN}"
    data_dir = "{data}"
    log_level = "DEBUG"
}}

plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "sqlite3"
            connection_string = "{data}/datastore.sqlite3"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{
        }}
    }}
    KeyManager "memory" {{
        plugin_data = {{}}
    }}
    BundlePublisher "disk" {{
        plugin_data {{
            path = "{bundle}"
            format = "pem"
        }}
    }}
}}
"#,
        socket = socket.display(),
        data = d.join("server/data").display(),
        bundle = bundle.display(),
    )
}

fn agent_conf(d: &Path, socket: &Path, port: u16, bundle: &Path) -> String {
    format!(
        r#"agent {{
    data_dir = "{data}"
    log_level = "DEBUG"
    server_address = "127.0.0.1"
    server_port = "{port}"
    socket_path = "{socket}"
    trust_bundle_path = "{bundle}"
    trust_domain = "{TRUST_DOMAIN}"
}}

plugins {{
    NodeAttestor "join_token" {{
        plugin_data {{
        }}
    }}
    KeyManager "disk" {{
        plugin_data {{
            directory = "{data}"
        }}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{
        }}
    }}
}}
"#,
        data = d.join("agent/data").display(),
        socket = socket.display(),
        bundle = bundle.display(),
    )
}

/// Renders deploy/mosquitto into `d/mosquitto` and returns the config path.
fn render_mosquitto(
    d: &Path,
    bundle: &Path,
    broker: &Issued,
    plain_port: u16,
    tls_port: u16,
) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mosquitto");
    let conf_dir = d.join("mosquitto");
    std::fs::create_dir_all(&conf_dir).expect("mosquitto dir");
    for acl in ["robots.acl", "fleet.acl"] {
        std::fs::copy(source.join(acl), conf_dir.join(acl)).expect("copy ACL");
    }
    let template =
        std::fs::read_to_string(source.join("mosquitto.conf.template")).expect("template");
    let rendered = template
        .replace("@CONF_DIR@", &conf_dir.display().to_string())
        .replace("@PLAIN_PORT@", &plain_port.to_string())
        .replace("@TLS_PORT@", &tls_port.to_string())
        .replace("@TLS_BIND@", "127.0.0.1")
        .replace("@SERVER_CERT@", &broker.cert.display().to_string())
        .replace("@SERVER_KEY@", &broker.key.display().to_string())
        .replace("@BUNDLE_FILE@", &bundle.display().to_string());
    assert!(
        !rendered
            .lines()
            .any(|l| !l.starts_with('#') && l.contains('@')),
        "unreplaced placeholder:\n{rendered}"
    );
    let path = conf_dir.join("mosquitto.conf");
    std::fs::write(&path, rendered).expect("write mosquitto.conf");
    path
}
