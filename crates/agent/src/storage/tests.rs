use std::os::unix::fs::PermissionsExt;

use super::*;

fn cert(name: &str) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("generate test key");
    let params = rcgen::CertificateParams::new(vec![name.to_owned()]).expect("test params");
    params.self_signed(&key).expect("self-sign").der().to_vec()
}

#[test]
fn missing_file_opens_as_empty_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(dir.path()).expect("open");
    assert_eq!(storage.data(), AgentData::default());
    assert!(!dir.path().join(AGENT_DATA_FILE).exists());
}

#[test]
fn stored_svid_and_bundle_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (leaf, root) = (cert("leaf"), cert("root"));
    let storage = Storage::open(dir.path()).expect("open");
    storage
        .store_bundle(vec![root.clone()])
        .expect("store bundle");
    storage
        .store_svid(vec![leaf.clone()], true)
        .expect("store svid");
    let reopened = Storage::open(dir.path()).expect("reopen");
    assert_eq!(
        reopened.data(),
        AgentData {
            svid: vec![leaf],
            bundle: vec![root],
            reattestable: true
        }
    );
}

#[test]
fn data_file_is_private_to_its_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Storage::open(dir.path()).expect("open");
    storage.store_bundle(vec![cert("root")]).expect("store");
    let mode = std::fs::metadata(storage.path())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn deleting_the_svid_keeps_the_bundle_and_clears_reattestable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = cert("root");
    let storage = Storage::open(dir.path()).expect("open");
    storage.store_bundle(vec![root.clone()]).expect("bundle");
    storage.store_svid(vec![cert("leaf")], true).expect("svid");
    storage.delete_svid().expect("delete");
    let reopened = Storage::open(dir.path()).expect("reopen");
    assert_eq!(
        reopened.data(),
        AgentData {
            svid: vec![],
            bundle: vec![root],
            reattestable: false
        }
    );
}

#[test]
fn reads_the_layout_spire_writes() {
    // What Go's encoding/json makes of storageJSON{SVID: [][]byte{pem}, Bundle: nil}.
    let leaf = cert("leaf");
    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", leaf.clone()));
    let doc = format!(
        r#"{{"svid":["{}"],"bundle":null,"reattestable":false}}"#,
        STANDARD.encode(pem.as_bytes())
    );
    let data = decode(doc.as_bytes()).expect("decode SPIRE layout");
    assert_eq!(data.svid, vec![leaf]);
    assert!(data.bundle.is_empty());
}

#[test]
fn writes_empty_lists_as_null_like_spire() {
    let text = String::from_utf8(encode(&AgentData::default())).expect("utf8");
    assert_eq!(text, r#"{"svid":null,"bundle":null,"reattestable":false}"#);
}

#[test]
fn corrupt_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(AGENT_DATA_FILE);
    std::fs::write(&path, b"{\"svid\": [\"not base64!\"]").expect("write");
    let err = Storage::open(dir.path()).expect_err("corrupt file must not open");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("corrupt"), "{text}");
}

#[test]
fn truncated_file_is_refused_and_kept_as_it_is() {
    // Regression: a truncated agent-data.json used to be replaced by an empty state, so the
    // agent attested again and generated a new key over keys.json; a join-token agent could
    // then never come back.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(AGENT_DATA_FILE);
    let storage = Storage::open(dir.path()).expect("open");
    storage.store_bundle(vec![cert("root")]).expect("store");
    let whole = std::fs::read(&path).expect("read");
    let half = &whole[..whole.len() / 2];
    std::fs::write(&path, half).expect("truncate");
    let err = Storage::open(dir.path()).expect_err("a truncated file must not open");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("is corrupt (EOF while parsing"), "{text}");
    assert!(text.contains("refusing to start"), "{text}");
    assert_eq!(std::fs::read(&path).expect("kept"), half);
}

#[test]
fn a_private_key_block_is_no_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(AGENT_DATA_FILE);
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", vec![1, 2, 3]));
    let doc = format!(r#"{{"svid":["{}"]}}"#, STANDARD.encode(pem.as_bytes()));
    std::fs::write(&path, doc).expect("write");
    let err = Storage::open(dir.path()).expect_err("refused");
    assert!(err.to_string().contains("expected CERTIFICATE"), "{err}");
}
