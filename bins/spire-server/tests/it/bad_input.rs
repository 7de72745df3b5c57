//! Bad input gets a clear error naming what is wrong; the server keeps running.

use std::process::Command;

use crate::support::{BIN, Server, free_port, server_conf};

fn stderr_of(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

#[test]
fn malformed_ids_selectors_and_ttls_are_refused_and_the_server_survives() {
    let mut server = Server::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "-spiffeID",
                "spiffe://example.org/a/../b",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix:uid:1",
            ],
            "segments",
        ),
        (
            &[
                "-spiffeID",
                "spiffe://EXAMPLE.org/web",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix:uid:1",
            ],
            "trust domain",
        ),
        (
            &[
                "-spiffeID",
                "http://example.org/web",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix:uid:1",
            ],
            "scheme",
        ),
        (
            &[
                "-spiffeID",
                "spiffe://example.org/web",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix",
            ],
            "type:value",
        ),
        (
            &[
                "-spiffeID",
                "spiffe://example.org/web",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix:uid:1",
                "-x509SVIDTTL",
                "-5",
            ],
            "TTL",
        ),
        (
            &[
                "-spiffeID",
                "spiffe://other.org/web",
                "-parentID",
                "spiffe://example.org/p",
                "-selector",
                "unix:uid:1",
            ],
            "trust domain",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["entry", "create"];
        full.extend_from_slice(args);
        let out = server.cli(&full);
        let text = stderr_of(&out);
        assert!(!out.status.success(), "{args:?} was accepted: {text}");
        assert!(
            text.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: error does not mention {needle:?}: {text}"
        );
    }
    assert!(server.alive(), "server died; log:\n{}", server.log());
    server.ok(&["healthcheck"]);
    let count = server.ok(&["entry", "count"]);
    assert!(count.contains("0 registration entr"), "{count}");
}

#[test]
fn unknown_config_key_is_an_error_naming_key_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = server_conf(dir.path(), &dir.path().join("api.sock"), free_port()).replace(
        "log_level = \"DEBUG\"",
        "log_level = \"DEBUG\"\n    bogus_key = 1",
    );
    let path = dir.path().join("server.conf");
    std::fs::write(&path, conf).expect("write conf");
    for sub in ["validate", "run"] {
        let out = Command::new(BIN)
            .args([sub, "-config"])
            .arg(&path)
            .output()
            .expect("run spire-server");
        let text = stderr_of(&out);
        assert!(
            !out.status.success(),
            "{sub} accepted an unknown key: {text}"
        );
        assert!(text.contains("bogus_key"), "{sub}: key not named: {text}");
        assert!(
            text.contains("server.conf"),
            "{sub}: file not named: {text}"
        );
    }
}

#[test]
fn bad_ttl_in_config_names_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = server_conf(dir.path(), &dir.path().join("api.sock"), free_port())
        .replace("ca_ttl = \"168h\"", "ca_ttl = \"seven days\"");
    let path = dir.path().join("server.conf");
    std::fs::write(&path, conf).expect("write conf");
    let out = Command::new(BIN)
        .args(["validate", "-config"])
        .arg(&path)
        .output()
        .expect("run spire-server");
    let text = stderr_of(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("ca_ttl"), "{text}");
}

#[test]
fn validate_accepts_the_shipped_sample_config() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conf/server/server.conf");
    let out = Command::new(BIN)
        .args(["validate", "-config", sample])
        .output()
        .expect("run spire-server");
    assert!(out.status.success(), "{}", stderr_of(&out));
}
