//! Disk KeyManager: persistence, file modes, errors on bad files.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use spire_keymanager::{DiskKeyManager, DiskKeyManagerError};
use spire_plugin::conformance::signature_verifies;
use spire_plugin::{KeyManager, KeyType};

use crate::child_command;

#[test]
fn reopen_sees_the_same_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    let km = DiskKeyManager::open(&path).expect("opens");
    let ca = km
        .generate_key("x509-CA-A", KeyType::EcP256)
        .expect("keygen");
    let jwt = km
        .generate_key("JWT-Signer-A", KeyType::Rsa2048)
        .expect("keygen");
    drop(km);

    let reopened = DiskKeyManager::open(&path).expect("reopens");
    let ca_again = reopened.key("x509-CA-A").expect("lookup").expect("present");
    let jwt_again = reopened
        .key("JWT-Signer-A")
        .expect("lookup")
        .expect("present");
    assert_eq!(ca_again.public_key_der(), ca.public_key_der());
    assert_eq!(jwt_again.key_type(), KeyType::Rsa2048);
    assert_eq!(jwt_again.public_key_der(), jwt.public_key_der());
    let signature = jwt_again.sign(b"after restart").expect("signs");
    assert!(signature_verifies(
        jwt_again.as_ref(),
        b"after restart",
        &signature
    ));
    assert_eq!(reopened.keys().expect("list").len(), 2);
}

#[test]
fn key_file_is_owner_only_even_with_permissive_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("new-dir");
    let exe = child_command("generate-once", &store);
    // Run the child under `umask 000` so only our explicit permissions can keep the file
    // private; the shell execs the test binary with the same arguments and environment.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(exe.get_program())
        .args(exe.get_args())
        .envs(exe.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    let status = cmd
        .stdout(std::process::Stdio::null())
        .status()
        .expect("child runs");
    assert!(status.success(), "child failed: {status}");

    let file_mode = mode(&store.join("keys.json"));
    assert_eq!(file_mode, 0o600, "keys.json mode {file_mode:o}");
    let dir_mode = mode(&store);
    assert_eq!(dir_mode, 0o700, "created directory mode {dir_mode:o}");
}

/// Child side of the umask test: create the store in a missing directory and write one key.
pub fn child_generate_once(dir: &Path) {
    let km = DiskKeyManager::open_directory(dir).expect("child opens store");
    km.generate_key("agent-svid-A", KeyType::EcP256)
        .expect("child generates");
}

#[test]
fn agent_directory_form_uses_keys_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let km = DiskKeyManager::open_directory(dir.path()).expect("opens");
    km.generate_key("agent-svid-A", KeyType::EcP256)
        .expect("keygen");
    assert_eq!(km.path(), dir.path().join("keys.json"));
    let text = fs::read_to_string(dir.path().join("keys.json")).expect("written");
    assert!(text.contains("\"agent-svid-A\""), "{text}");
}

#[test]
fn missing_file_opens_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let km = DiskKeyManager::open(dir.path().join("keys.json")).expect("opens");
    assert!(km.keys().expect("list").is_empty());
}

#[test]
fn bad_json_fails_open_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    fs::write(&path, b"{\"keys\": ").expect("write");
    let err = DiskKeyManager::open(&path).expect_err("torn JSON is refused");
    assert!(matches!(err, DiskKeyManagerError::Json { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn bad_key_fails_open_naming_file_and_key_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    fs::write(&path, br#"{"keys": {"x509-CA-B": "AAAA"}}"#).expect("write");
    let err = DiskKeyManager::open(&path).expect_err("bad key is refused");
    assert!(matches!(err, DiskKeyManagerError::KeyParse { ref id, .. } if id == "x509-CA-B"));
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("x509-CA-B"),
        "{text}"
    );
}

#[test]
fn write_failure_leaves_previous_keys_visible() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let km = DiskKeyManager::open_directory(&store).expect("opens");
    let first = km.generate_key("k", KeyType::EcP256).expect("keygen");
    // A read-only directory makes the temp-file write fail (unless running as root, which
    // bypasses permissions: then the write succeeds and there is nothing to check).
    fs::set_permissions(&store, fs::Permissions::from_mode(0o500)).expect("chmod");
    let result = km.generate_key("k", KeyType::EcP256);
    fs::set_permissions(&store, fs::Permissions::from_mode(0o700)).expect("chmod back");
    if result.is_err() {
        let still = km.key("k").expect("lookup").expect("present");
        assert_eq!(still.public_key_der(), first.public_key_der());
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// `testdata/spire-written-keys.json` was written the way SPIRE's disk KeyManager writes
/// (Go `x509.MarshalPKCS8PrivateKey` + `json.MarshalIndent(.., "\t")`): throwaway test keys.
#[test]
fn opens_key_file_written_by_spire() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/testdata/spire-written-keys.json");
    fs::copy(&fixture, &path).expect("copy fixture");
    let km = DiskKeyManager::open(&path).expect("SPIRE's file opens");
    let expected = [
        ("x509-CA-A", KeyType::EcP256),
        ("JWT-Signer-A", KeyType::EcP384),
        ("x509-CA-B", KeyType::Rsa2048),
    ];
    for (id, key_type) in expected {
        let key = km.key(id).expect("lookup").expect("present");
        assert_eq!(key.key_type(), key_type, "{id}");
        let signature = key.sign(b"interop").expect("signs");
        assert!(
            signature_verifies(key.as_ref(), b"interop", &signature),
            "{id}"
        );
    }
    // Generating a new key rewrites the file keeping SPIRE's keys.
    km.generate_key("agent-svid-A", KeyType::EcP256)
        .expect("keygen");
    let reopened = DiskKeyManager::open(&path).expect("reopens");
    assert_eq!(reopened.keys().expect("list").len(), 4);
}
