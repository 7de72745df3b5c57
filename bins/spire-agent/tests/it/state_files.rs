//! Files the agent and its CLI write, attacked as a local user would: temp files planted in a
//! shared `-write` directory, and the agent's own state damaged between runs.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::Duration;

use crate::support::{Env, my_uid};

const WORKLOAD_ID: &str = "spiffe://example.org/state-files";

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// A world-writable directory with `names` planted in it as empty world-writable files.
fn shared_dir_with_planted(root: &Path, names: &[&str]) -> std::path::PathBuf {
    let dir = root.join("shared");
    std::fs::create_dir(&dir).expect("shared dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    for name in names {
        let planted = dir.join(name);
        std::fs::write(&planted, b"").expect("plant");
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666))
            .expect("world-writable");
    }
    dir
}

#[test]
fn fetch_x509_write_never_writes_through_planted_tmp_files() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    // The names the old writer used for its temporary files.
    let planted = ["svid.0.key.tmp", "svid.0.pem.tmp", "bundle.0.pem.tmp"];
    let dir = shared_dir_with_planted(env.dir.path(), &planted);
    let dir_arg = dir.display().to_string();

    let out = env.agent_ok_eventually(&["api", "fetch", "x509", "-write", &dir_arg]);
    assert!(out.contains("Writing key #0 to file"), "{out}");

    for name in planted {
        let path = dir.join(name);
        assert_eq!(
            std::fs::read(&path).expect("planted file still there"),
            b"",
            "{name} must stay empty"
        );
        assert_eq!(mode_of(&path), 0o666, "{name} keeps its mode");
    }
    let key = std::fs::read_to_string(dir.join("svid.0.key")).expect("key written");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    assert_eq!(mode_of(&dir.join("svid.0.key")), 0o600);
    assert_eq!(mode_of(&dir.join("svid.0.pem")), 0o644);
    assert_eq!(mode_of(&dir.join("bundle.0.pem")), 0o644);
}

#[test]
fn fetch_x509_write_never_follows_a_planted_tmp_symlink() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let dir = shared_dir_with_planted(env.dir.path(), &[]);
    // Where the attacker would like the key to land.
    let stolen = env.dir.path().join("stolen");
    symlink(&stolen, dir.join("svid.0.key.tmp")).expect("plant symlink");
    let dir_arg = dir.display().to_string();

    env.agent_ok_eventually(&["api", "fetch", "x509", "-write", &dir_arg]);

    assert!(!stolen.exists(), "the key was written through the symlink");
    assert!(
        std::fs::symlink_metadata(dir.join("svid.0.key.tmp"))
            .expect("symlink kept")
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode_of(&dir.join("svid.0.key")), 0o600);
}

/// The agent of `env`, stopped after a first successful start, with its data dir.
fn attested_then_stopped() -> Env {
    let mut env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_agent_log("Node attestation was successful");
    env.stop_agent();
    env
}

/// Starts the agent again (no join token: the first one is spent) and expects it to exit
/// with an error naming `file`; returns the log.
fn restart_expecting_refusal(env: &mut Env, file: &Path) -> String {
    env.launch_agent(None);
    let status = env
        .wait_agent_exit(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("the agent kept running:\n{}", env.agent_log()));
    let log = env.agent_log();
    assert!(!status.success(), "exit status {status}:\n{log}");
    assert!(
        log.contains(&file.display().to_string()),
        "the error names {}:\n{log}",
        file.display()
    );
    log
}

#[test]
fn truncated_agent_data_stops_the_agent_and_keeps_its_key() {
    let mut env = attested_then_stopped();
    let data_dir = env.dir.path().join("agent");
    let (data, keys) = (data_dir.join("agent-data.json"), data_dir.join("keys.json"));
    let whole = std::fs::read(&data).expect("agent-data.json");
    std::fs::write(&data, &whole[..whole.len() / 2]).expect("truncate");
    let keys_before = std::fs::read(&keys).expect("keys.json");

    let log = restart_expecting_refusal(&mut env, &data);
    assert!(log.contains("is corrupt (EOF while parsing"), "{log}");
    assert!(log.contains("refusing to start"), "{log}");
    assert_eq!(
        std::fs::read(&keys).expect("keys.json"),
        keys_before,
        "keys.json must be byte-equal"
    );
    assert_eq!(
        std::fs::read(&data).expect("agent-data.json"),
        &whole[..whole.len() / 2],
        "the damaged file is kept for the operator"
    );
}

#[test]
fn corrupt_keys_json_stops_the_agent_and_is_kept() {
    let mut env = attested_then_stopped();
    let data_dir = env.dir.path().join("agent");
    let (data, keys) = (data_dir.join("agent-data.json"), data_dir.join("keys.json"));
    let whole = std::fs::read(&keys).expect("keys.json");
    let damaged = &whole[..whole.len() / 2];
    std::fs::write(&keys, damaged).expect("truncate");
    let data_before = std::fs::read(&data).expect("agent-data.json");

    let log = restart_expecting_refusal(&mut env, &keys);
    assert!(log.contains("is not a valid keys.json document"), "{log}");
    assert_eq!(std::fs::read(&keys).expect("keys.json"), damaged);
    assert_eq!(std::fs::read(&data).expect("agent-data.json"), data_before);
}
