//! The attestor on the fake /proc tree under testdata/ and on the test process itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use super::*;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn fake_accounts() -> Arc<EtcAccounts> {
    Arc::new(EtcAccounts {
        passwd: testdata().join("passwd"),
        group: testdata().join("group"),
    })
}

fn caller(pid: i32) -> WorkloadProcess {
    WorkloadProcess {
        pid,
        uid: 0,
        gid: 0,
    }
}

fn strings(selectors: &[Selector]) -> Vec<String> {
    selectors.iter().map(ToString::to_string).collect()
}

#[test]
fn reports_effective_ids_names_and_supplementary_groups_from_fake_proc() {
    let attestor = UnixAttestor::with_sources(
        UnixConfig::default(),
        testdata().join("proc"),
        fake_accounts(),
    );
    let selectors = attestor.attest(&caller(4242)).expect("attests");
    assert_eq!(
        strings(&selectors),
        [
            "unix:uid:1001",
            "unix:user:bob",
            "unix:gid:2001",
            "unix:group:staff",
            "unix:supplementary_gid:27",
            "unix:supplementary_group:sudo",
            "unix:supplementary_gid:3000",
            "unix:supplementary_group:builders",
        ]
    );
}

#[test]
fn a_vanished_process_is_process_gone() {
    let attestor = UnixAttestor::with_sources(
        UnixConfig::default(),
        testdata().join("proc"),
        fake_accounts(),
    );
    assert!(matches!(
        attestor.attest(&caller(999_999)),
        Err(WorkloadAttestorError::ProcessGone { pid: 999_999 })
    ));
}

/// A fake /proc/<pid> with `exe` pointing at a file holding `content`.
fn tree_with_exe(content: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_dir = dir.path().join("proc").join("77");
    std::fs::create_dir_all(&pid_dir).expect("mkdir");
    std::fs::copy(testdata().join("proc/4242/status"), pid_dir.join("status")).expect("copy");
    let exe = dir.path().join("workload-bin");
    std::fs::write(&exe, content).expect("write exe");
    std::os::unix::fs::symlink(&exe, pid_dir.join("exe")).expect("symlink");
    let exe = exe.to_str().expect("utf8 path").to_owned();
    (dir, exe)
}

#[test]
fn path_and_sha256_only_with_discover_workload_path() {
    let (dir, exe) = tree_with_exe(b"abc");
    let proc_root = dir.path().join("proc");
    let plain = UnixAttestor::with_sources(UnixConfig::default(), &proc_root, fake_accounts());
    let selectors = strings(&plain.attest(&caller(77)).expect("attests"));
    assert!(
        !selectors
            .iter()
            .any(|s| s.starts_with("unix:path:") || s.starts_with("unix:sha256:"))
    );

    let config = UnixConfig {
        discover_workload_path: true,
        workload_size_limit: 0,
    };
    let discovering = UnixAttestor::with_sources(config, &proc_root, fake_accounts());
    let selectors = strings(&discovering.attest(&caller(77)).expect("attests"));
    assert!(selectors.contains(&format!("unix:path:{exe}")));
    // SHA-256("abc"), FIPS 180-2 example.
    assert!(selectors.contains(
        &"unix:sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string()
    ));

    let no_hash = UnixConfig {
        discover_workload_path: true,
        workload_size_limit: -1,
    };
    let selectors = strings(
        &UnixAttestor::with_sources(no_hash, &proc_root, fake_accounts())
            .attest(&caller(77))
            .expect("attests"),
    );
    assert!(selectors.contains(&format!("unix:path:{exe}")));
    assert!(!selectors.iter().any(|s| s.starts_with("unix:sha256:")));
}

#[test]
fn an_executable_over_the_size_limit_fails_attestation() {
    let (dir, _) = tree_with_exe(&[0u8; 100]);
    let config = UnixConfig {
        discover_workload_path: true,
        workload_size_limit: 10,
    };
    let attestor = UnixAttestor::with_sources(config, dir.path().join("proc"), fake_accounts());
    let err = attestor.attest(&caller(77)).expect_err("too big");
    assert!(
        err.to_string().contains("exceeds size limit (100 > 10)"),
        "{err}"
    );
}

#[test]
fn attests_the_test_process_from_the_real_proc() {
    let pid = i32::try_from(std::process::id()).expect("pid fits");
    let status = std::fs::read_to_string("/proc/self/status").expect("own status");
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .expect("Uid line")
        .to_owned();
    let config = UnixConfig {
        discover_workload_path: true,
        workload_size_limit: 0,
    };
    let selectors = strings(
        &UnixAttestor::new(config)
            .attest(&caller(pid))
            .expect("attests"),
    );
    assert_eq!(selectors[0], format!("unix:uid:{euid}"));
    let exe = std::env::current_exe().expect("own exe");
    assert!(
        selectors.contains(&format!("unix:path:{}", exe.display())),
        "{selectors:?}"
    );
    assert!(selectors.iter().any(|s| s.starts_with("unix:sha256:")));
}

#[test]
fn plugin_data_uses_spire_keys_and_rejects_unknown_ones() {
    let config = UnixConfig::from_plugin_data(&json!({
        "discover_workload_path": true,
        "workload_size_limit": 1024
    }))
    .expect("valid");
    assert_eq!(
        config,
        UnixConfig {
            discover_workload_path: true,
            workload_size_limit: 1024
        }
    );
    assert_eq!(
        UnixConfig::from_plugin_data(&serde_json::Value::Null).expect("empty is fine"),
        UnixConfig::default()
    );
    let err = UnixAttestor::from_plugin_data(&json!({"discover_path": true})).expect_err("unknown");
    assert!(err.to_string().contains("discover_path"), "{err}");
    let err =
        UnixConfig::from_plugin_data(&json!({"workload_size_limit": "big"})).expect_err("type");
    assert!(err.to_string().contains("invalid type"), "{err}");
}
