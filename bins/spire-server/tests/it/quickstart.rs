//! The getting-started flow of SPIRE, as the "must show" list states it.

use std::process::Command;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::support::Server;

#[test]
fn entry_create_prints_the_entry_as_spire_does() {
    let server = Server::start();
    let out = server.ok(&[
        "entry",
        "create",
        "-spiffeID",
        "spiffe://example.org/web",
        "-parentID",
        "spiffe://example.org/agent/a",
        "-selector",
        "unix:uid:1000",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    let id_line = lines
        .iter()
        .find(|l| l.starts_with("Entry ID         : "))
        .unwrap_or_else(|| panic!("no Entry ID line in:\n{out}"));
    let entry_id = id_line.trim_start_matches("Entry ID         : ");
    assert_eq!(entry_id.len(), 36, "entry id is a UUID: {entry_id}");
    for expected in [
        "SPIFFE ID        : spiffe://example.org/web",
        "Parent ID        : spiffe://example.org/agent/a",
        "Revision         : 0",
        "Selector         : unix:uid:1000",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in:\n{out}");
    }

    // entry show -output json returns it, with proto field names.
    let json = server.ok(&["entry", "show", "-entryID", entry_id, "-output", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("entry show JSON");
    let text = v.to_string();
    assert!(text.contains(entry_id), "entry id missing from {json}");
    let entry = find_entry(&v, entry_id).unwrap_or_else(|| panic!("no entry in {json}"));
    assert_eq!(entry["spiffe_id"]["trust_domain"], "example.org");
    assert_eq!(entry["spiffe_id"]["path"], "/web");
    assert_eq!(entry["parent_id"]["path"], "/agent/a");
    assert_eq!(entry["selectors"][0]["type"], "unix");
    assert_eq!(entry["selectors"][0]["value"], "uid:1000");

    // The same entry again is refused, not duplicated.
    let again = server.cli(&[
        "entry",
        "create",
        "-spiffeID",
        "spiffe://example.org/web",
        "-parentID",
        "spiffe://example.org/agent/a",
        "-selector",
        "unix:uid:1000",
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("AlreadyExists"));
    let count = server.ok(&["entry", "count"]);
    assert!(count.contains("1 registration entr"), "count: {count}");
}

fn find_entry<'a>(v: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    if v.get("id").and_then(|x| x.as_str()) == Some(id) {
        return Some(v);
    }
    match v {
        serde_json::Value::Array(items) => items.iter().find_map(|i| find_entry(i, id)),
        serde_json::Value::Object(map) => map.values().find_map(|i| find_entry(i, id)),
        _ => None,
    }
}

#[test]
fn x509_mint_writes_an_svid_openssl_accepts_with_only_the_id_as_uri_san() {
    let server = Server::start();
    let out_dir = server.dir.path().join("mint");
    std::fs::create_dir_all(&out_dir).expect("mint dir");
    server.ok(&[
        "x509",
        "mint",
        "-spiffeID",
        "spiffe://example.org/web",
        "-write",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(out_dir.join("bundle.pem"))
        .args(["-purpose", "sslclient"])
        .arg(out_dir.join("svid.pem"))
        .output()
        .expect("run openssl");
    assert!(
        verify.status.success(),
        "openssl verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let pem = std::fs::read_to_string(out_dir.join("svid.pem")).expect("svid.pem");
    let der = first_pem_der(&pem);
    let (_, cert) = X509Certificate::from_der(&der).expect("parse SVID");
    let uris: Vec<String> = cert
        .subject_alternative_name()
        .expect("SAN extension parses")
        .expect("SAN present")
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::URI(u) => Some((*u).to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(uris, vec!["spiffe://example.org/web".to_owned()]);
    let key_mode = std::fs::metadata(out_dir.join("key.pem"))
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .expect("key.pem");
    assert_eq!(
        key_mode & 0o077,
        0,
        "key.pem readable by others: {key_mode:o}"
    );
}

#[test]
fn bundle_show_spiffe_is_a_jwks_with_both_key_uses() {
    let server = Server::start();
    let out = server.ok(&["bundle", "show", "-format", "spiffe"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("bundle JSON");
    let keys = v["keys"].as_array().expect("keys array");
    let uses: Vec<&str> = keys.iter().filter_map(|k| k["use"].as_str()).collect();
    assert!(uses.contains(&"x509-svid"), "uses: {uses:?}");
    assert!(uses.contains(&"jwt-svid"), "uses: {uses:?}");
    assert!(v.get("spiffe_sequence").is_some(), "{out}");
    let x509 = keys
        .iter()
        .find(|k| k["use"] == "x509-svid")
        .expect("x509 key");
    assert!(x509["x5c"].as_array().is_some_and(|c| c.len() == 1));
    let jwt = keys
        .iter()
        .find(|k| k["use"] == "jwt-svid")
        .expect("jwt key");
    assert_eq!(jwt["kid"].as_str().map(str::len), Some(32));

    let pem = server.ok(&["bundle", "show"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}

#[test]
fn jwt_mint_and_token_generate_work_and_the_server_logs_both_listeners() {
    let server = Server::start();
    let token = server.ok(&[
        "jwt",
        "mint",
        "-spiffeID",
        "spiffe://example.org/web",
        "-audience",
        "demo",
    ]);
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "JWT: {token}");
    let out = server.ok(&[
        "token",
        "generate",
        "-spiffeID",
        "spiffe://example.org/myagent",
    ]);
    assert!(out.starts_with("Token: "), "{out}");
    let log = server.log();
    assert_eq!(
        log.matches("Starting Server APIs").count(),
        2,
        "log:\n{log}"
    );
}

fn first_pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64")
}
