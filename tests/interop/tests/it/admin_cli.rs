//! Matrix item 3: the stock `spire-server` CLI drives our admin socket, and our CLI drives a
//! stock server's admin socket — entry create/show/delete, token generate, bundle show, agent
//! list.

use std::path::Path;

use crate::support::{Server, field, ours, require_peers};

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn stock_cli_drives_our_admin_socket() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&ours("spire-server"), &tmp.path().join("server"));
    drive_admin_socket(&peers.stock_server, &server);
}

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn our_cli_drives_a_stock_admin_socket() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&peers.stock_server, &tmp.path().join("server"));
    drive_admin_socket(&ours("spire-server"), &server);
}

/// The admin round trip every SPIRE operator does, with `cli` against `server`.
fn drive_admin_socket(cli: &Path, server: &Server) {
    let created = server.ok_with(
        cli,
        &[
            "entry",
            "create",
            "-parentID",
            "spiffe://example.org/node",
            "-spiffeID",
            "spiffe://example.org/web",
            "-selector",
            "unix:uid:1000",
            "-x509SVIDTTL",
            "600",
        ],
    );
    let entry_id = field(&created, "Entry ID");
    assert_eq!(entry_id.len(), 36, "entry ID is a UUID: {created}");

    let shown = server.ok_with(cli, &["entry", "show", "-entryID", &entry_id]);
    assert!(shown.starts_with("Found 1 entry\n"), "{shown}");
    assert_eq!(field(&shown, "SPIFFE ID"), "spiffe://example.org/web");
    assert_eq!(field(&shown, "Parent ID"), "spiffe://example.org/node");
    assert_eq!(field(&shown, "X509-SVID TTL"), "600");
    assert_eq!(field(&shown, "Selector"), "unix:uid:1000");

    let json = server.ok_with(
        cli,
        &["entry", "show", "-entryID", &entry_id, "-output", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("entry show JSON");
    assert_eq!(v["entries"][0]["id"], entry_id.as_str());
    assert_eq!(v["entries"][0]["spiffe_id"]["path"], "/web");

    let token = server.ok_with(
        cli,
        &["token", "generate", "-spiffeID", "spiffe://example.org/n2"],
    );
    assert_eq!(field(&token, "Token").len(), 36, "{token}");

    let bundle = server.ok_with(cli, &["bundle", "show"]);
    assert!(
        bundle.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{bundle}"
    );
    let spiffe: serde_json::Value =
        serde_json::from_str(&server.ok_with(cli, &["bundle", "show", "-format", "spiffe"]))
            .expect("bundle show -format spiffe is JSON");
    let keys = spiffe["keys"].as_array().expect("JWKS keys");
    assert!(keys.iter().any(|k| k["use"] == "x509-svid"), "{spiffe}");
    assert!(keys.iter().any(|k| k["use"] == "jwt-svid"), "{spiffe}");

    let agents = server.ok_with(cli, &["agent", "list"]);
    assert_eq!(agents, "No attested agents found\n");

    let deleted = server.ok_with(cli, &["entry", "delete", "-entryID", &entry_id]);
    // SPIRE's own layout, blank lines and missing final newline included.
    assert_eq!(
        deleted,
        format!("Deleted entry with ID: {entry_id}\n\n\nDeleted 1 entries successfully")
    );
    let gone = server.cli_with(cli, &["entry", "show", "-entryID", &entry_id]);
    assert!(!gone.status.success());
    let stderr = String::from_utf8_lossy(&gone.stderr);
    assert!(stderr.contains("code = NotFound"), "{stderr}");
}
