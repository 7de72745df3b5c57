use std::path::Path;
use std::time::Duration;

use crate::support::{Fleet, files_under, private_key_marker, sibling_bin, wait_or, wait_until};

fn uid() -> String {
    let out = std::process::Command::new("id")
        .arg("-u")
        .output()
        .expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The pid of spire-agent from the status file's `process` check (`pid N, restarts M`).
fn agent_pid_and_restarts(status: &Path) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(status).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let detail = json["plugins"][0]["health"]["checks"][0]["detail"].as_str()?;
    let rest = detail.strip_prefix("pid ")?;
    let (pid, restarts) = rest.split_once(", restarts ")?;
    Some((pid.parse().ok()?, restarts.parse().ok()?))
}

fn status_ok(fleet: &Fleet, plugins: &Path) -> (bool, String) {
    let out = fleet.edge(&["status", "-config", &plugins.display().to_string()]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
#[ignore = "needs a session kernel keyring (containers often refuse keyctl): scripts/test runs it in CI"]
fn supervised_agent_uses_keyring_keys_restarts_after_kill_and_serves_tasks() {
    if let Err(e) = spire_keymanager_keyring::probe(spire_keymanager_keyring::KeyringType::Session)
    {
        panic!("needs a session kernel keyring, unavailable here: {e}");
    }
    let mut fleet = Fleet::start_server();
    let base = fleet.dir.path().to_path_buf();
    let bundle = base.join("bundle.pem");
    std::fs::write(&bundle, fleet.server_ok(&["bundle", "show"])).expect("bundle");
    let token = fleet.token("robot-1");
    fleet.server_ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/robot-1",
        "-spiffeID",
        "spiffe://example.org/robot-1/task",
        "-selector",
        &format!("unix:uid:{}", uid()),
    ]);
    let data_dir = base.join("edge-data");
    let socket = base.join("agent").join("api.sock");
    let status = base.join("status.json");
    let plugins = base.join("plugins.yaml");
    std::fs::write(
        &plugins,
        format!(
            "host:\n  healthInterval: 1s\n  statusFile: {}\nspire:\n  enabled: true\n  serverAddress: 127.0.0.1:{}\n  trustDomain: example.org\n  socketPath: {}\n  dataDir: {}\n  logLevel: DEBUG\n  nodeAttestor:\n    type: join_token\n  keyring:\n    enabled: true\n    type: session\n  joinToken: ${{ROBOT_TOKEN}}\n  trustBundlePath: {}\n  agentPath: {}\n",
            status.display(),
            fleet.port,
            socket.display(),
            data_dir.display(),
            bundle.display(),
            sibling_bin("spire-agent").display()
        ),
    )
    .expect("plugins.yaml");
    fleet.start_edge(&plugins, &[("ROBOT_TOKEN", token.as_str())]);

    let logs = || {
        format!(
            "--- edge.log\n{}\n--- agent.log\n{}\n--- status\n{}",
            fleet.log("edge.log"),
            std::fs::read_to_string(data_dir.join("agent.log")).unwrap_or_default(),
            status_ok(&fleet, &plugins).1
        )
    };
    wait_or(
        "spire-edge status healthy",
        Duration::from_secs(60),
        || status_ok(&fleet, &plugins).0,
        logs,
    );
    let (_, text) = status_ok(&fleet, &plugins);
    assert!(text.contains("spire: healthy"), "{text}");
    assert!(text.contains("ok   workload_api  SERVING"), "{text}");
    let conf = std::fs::read_to_string(data_dir.join("agent.conf")).expect("agent.conf");
    assert!(conf.contains("KeyManager \"keyring\""), "{conf}");

    // A task started through spire-edge exec finds the Workload API unconfigured.
    let out = fleet.edge(&[
        "exec",
        "-config",
        &plugins.display().to_string(),
        "--",
        "sh",
        "-c",
        &format!(
            "echo \"$SPIFFE_ENDPOINT_SOCKET\"; {} api fetch x509 -socketPath \"${{SPIFFE_ENDPOINT_SOCKET#unix://}}\"",
            sibling_bin("spire-agent").display()
        ),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exec failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(&format!("unix://{}\n", socket.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("spiffe://example.org/robot-1/task"),
        "{stdout}"
    );

    // The agent's keys are in the session keyring under its dataDir's prefix ...
    let km = spire_keymanager_keyring::KeyringKeyManager::open_config(
        &spire_keymanager_keyring::KeyringConfig {
            keyring: spire_keymanager_keyring::KeyringType::Session,
            key_prefix: format!("spire-edge:{}:", data_dir.display()),
        },
    )
    .expect("open session keyring");
    use spire_plugin::KeyManager;
    let ids: Vec<String> = km
        .keys()
        .expect("list")
        .iter()
        .map(|k| k.id().to_owned())
        .collect();
    assert!(
        ids.iter().any(|id| id.starts_with("agent-svid-")),
        "{ids:?}"
    );
    // ... and nowhere under data_dir.
    assert!(!data_dir.join("keys.json").exists());
    let files = files_under(&data_dir);
    assert!(files.iter().any(|f| f.ends_with("agent.log")), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        assert_eq!(
            private_key_marker(&bytes),
            None,
            "{} holds a key",
            file.display()
        );
    }

    // Kill the agent: the host restarts it and health turns green again.
    let (pid, restarts) = agent_pid_and_restarts(&status).expect("pid in status");
    assert_eq!(restarts, 0);
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_until(
        "status to show the agent down",
        Duration::from_secs(10),
        || !status_ok(&fleet, &plugins).0,
    );
    let (_, down) = status_ok(&fleet, &plugins);
    assert!(down.contains("spire: UNHEALTHY"), "{down}");
    wait_or(
        "restarted agent healthy",
        Duration::from_secs(60),
        || {
            agent_pid_and_restarts(&status).is_some_and(|(p, r)| p != pid && r == 1)
                && status_ok(&fleet, &plugins).0
        },
        logs,
    );
    let (_, up) = status_ok(&fleet, &plugins);
    assert!(up.contains(", restarts 1"), "{up}");
    assert!(up.contains("ok   workload_api  SERVING"), "{up}");
    // The restarted agent reused its SVID and keyring key (the join token was single use).
    assert!(!fleet.log("edge.log").contains("PRIVATE KEY"));
    for key in km.keys().expect("list") {
        let _ = key.id();
    }
}

#[test]
fn plugins_yaml_errors_name_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "spire:\n  serverAdress: x\n",
            "spire.serverAdress: unknown key (expected one of: enabled, serverAddress,",
        ),
        (
            "spire:\n  trustDomain: example.org\n",
            "spire.serverAddress is required",
        ),
        (
            "spire:\n  serverAddress: h:1\n  trustDomain: t\n  insecureBootstrap: true\n  joinToken: ${EDGE_TEST_UNSET_TOKEN}\n",
            "spire.joinToken: environment variable ${EDGE_TEST_UNSET_TOKEN} is not set",
        ),
        (
            "mqtt2: {}\n",
            "mqtt2: unknown key (expected one of: spire, host)",
        ),
    ];
    for (yaml, expected) in cases {
        let path = dir.path().join("plugins.yaml");
        std::fs::write(&path, yaml).expect("write");
        let out = std::process::Command::new(crate::support::EDGE)
            .args(["run", "-config"])
            .arg(&path)
            .env_remove("EDGE_TEST_UNSET_TOKEN")
            .output()
            .expect("run spire-edge");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{yaml} was accepted");
        assert!(
            stderr.contains(&format!("{}: {expected}", path.display())),
            "for {yaml:?} expected {expected:?} in: {stderr}"
        );
    }
}
