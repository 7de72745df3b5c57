//! Matrix item 5: for a fixed script of admin commands, our CLI against our server prints what
//! the stock CLI prints against a stock server — text and `-output json`, stdout, stderr and
//! exit code — once entry IDs, tokens, serials, keys and times are masked.

use crate::support::{Server, field, mask, ours, require_peers};

/// The script. `{web}` is the entry ID the first command printed.
#[rustfmt::skip]
const SCRIPT: &[&[&str]] = &[
    &["entry", "create", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/web", "-selector", "unix:uid:1000", "-selector", "unix:gid:1000"],
    &["entry", "create", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/db", "-selector", "unix:uid:1001", "-dns", "db.example.org", "-x509SVIDTTL", "600", "-jwtSVIDTTL", "300", "-admin", "-downstream", "-output", "json"],
    &["entry", "create", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/api", "-selector", "unix:uid:1002", "-hint", "api", "-storeSVID", "-entryExpiry", "1999999999"],
    &["entry", "create", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/web", "-selector", "unix:uid:1000", "-selector", "unix:gid:1000"],
    &["entry", "create", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://other.org/web", "-selector", "unix:uid:1000"],
    &["entry", "create", "-spiffeID", "spiffe://example.org/x", "-selector", "unix:uid:1000"],
    &["entry", "show"],
    &["entry", "show", "-output", "json"],
    &["entry", "show", "-spiffeID", "spiffe://example.org/web"],
    &["entry", "show", "-selector", "unix:uid:1000", "-output", "json"],
    &["entry", "show", "-downstream"],
    &["entry", "show", "-entryID", "00000000-0000-0000-0000-000000000000"],
    &["entry", "update", "-entryID", "{web}", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/web", "-selector", "unix:uid:1000", "-x509SVIDTTL", "120"],
    &["entry", "update", "-entryID", "{web}", "-parentID", "spiffe://example.org/node", "-spiffeID", "spiffe://example.org/web", "-selector", "unix:uid:1000", "-output", "json"],
    &["entry", "count"],
    &["entry", "count", "-output", "json"],
    &["token", "generate", "-spiffeID", "spiffe://example.org/node", "-ttl", "300"],
    &["token", "generate", "-output", "json"],
    &["agent", "list"],
    &["agent", "list", "-output", "json"],
    &["agent", "count"],
    &["agent", "count", "-output", "json"],
    &["agent", "show", "-spiffeID", "spiffe://example.org/spire/agent/join_token/nope"],
    &["bundle", "count"],
    &["bundle", "list"],
    &["bundle", "list", "-output", "json"],
    &["bundle", "show"],
    &["bundle", "show", "-output", "json"],
    &["bundle", "show", "-format", "spiffe"],
    &["entry", "delete", "-entryID", "{web}"],
    &["entry", "delete", "-entryID", "{web}"],
    &["entry", "count", "-output", "json"],
];

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn cli_script_text_and_json_equal_stock_after_masking() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let stock = Server::start(&peers.stock_server, &tmp.path().join("stock"));
    let ours = Server::start(&ours("spire-server"), &tmp.path().join("ours"));

    let expected = transcript(&stock);
    let actual = transcript(&ours);
    let mut differences = Vec::new();
    for ((command, want), (_, got)) in expected.iter().zip(&actual) {
        if want != got {
            differences.push(format!("$ {command}\n--- stock\n{want}\n--- ours\n{got}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} commands differ from stock SPIRE:\n\n{}",
        differences.len(),
        SCRIPT.len(),
        differences.join("\n\n")
    );
}

/// Each command of the script with its masked stdout, stderr and exit code.
fn transcript(server: &Server) -> Vec<(String, String)> {
    let mut web_id = String::new();
    let mut lines = Vec::new();
    for (i, command) in SCRIPT.iter().enumerate() {
        let args: Vec<String> = command
            .iter()
            .map(|a| a.replace("{web}", &web_id))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = server.cli(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if i == 0 {
            web_id = field(&stdout, "Entry ID");
        }
        let result = format!(
            "{}{}exit={}",
            mask::volatile(&stdout),
            mask::volatile(&String::from_utf8_lossy(&out.stderr)),
            out.status.code().unwrap_or(-1)
        );
        lines.push((command.join(" "), result));
    }
    lines
}
