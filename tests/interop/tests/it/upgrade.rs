//! Matrix item 6: drop-in upgrade. A data dir and SQLite database written by stock spire-server
//! v1.13.3 — entries, an attested stock agent, a rotated X.509 CA — are opened unchanged by our
//! server: entries and agents list the same and every authority of the bundle is kept. The
//! bundle staying identical and the stock agent syncing on are ignored until the CA journal is
//! resumed (docs/INTEROP.md).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::support::{Agent, Server, current_uid, eventually, field, ours, require_peers, run};

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn our_server_lists_the_entries_agents_and_authorities_of_a_stock_data_dir() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let upgraded = upgrade_from_stock(&peers, tmp.path());
    let ours = &upgraded.server;

    assert_eq!(ours.ok(&["entry", "show"]), upgraded.entries_before);
    assert_eq!(ours.ok(&["agent", "list"]), upgraded.agents_before);
    let bundle_after = ours.ok(&["bundle", "show", "-format", "spiffe"]);
    let kept: BTreeSet<String> = jwks_keys(&upgraded.bundle_before);
    let now: BTreeSet<String> = jwks_keys(&bundle_after);
    assert!(
        kept.is_subset(&now),
        "authorities lost in the upgrade: {:?}",
        kept.difference(&now).collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn stock_agent_keeps_syncing_after_the_upgrade() {
    // Our server resumes the stock server's active CA from its journal (ca_journals), so
    // its TLS certificate still chains to a root the stock agent holds; a fresh CA would
    // stop the agent with "certificate signed by unknown authority".
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let upgraded = upgrade_from_stock(&peers, tmp.path());
    upgraded.server.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/node",
        "-spiffeID",
        "spiffe://example.org/after",
        "-selector",
        &upgraded.selector,
    ]);
    wait_for_svid(
        &upgraded.agent,
        &peers.stock_agent,
        "spiffe://example.org/after",
    );
}

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn bundle_is_identical_after_the_upgrade() {
    let peers = require_peers!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let upgraded = upgrade_from_stock(&peers, tmp.path());
    assert_eq!(
        upgraded.server.ok(&["bundle", "show", "-format", "spiffe"]),
        upgraded.bundle_before
    );
}

/// Our server running on a data dir stock SPIRE wrote, and what stock printed before.
struct Upgraded {
    server: Server,
    agent: Agent,
    selector: String,
    entries_before: String,
    agents_before: String,
    bundle_before: String,
}

/// Stock writes entries, rotates its X.509 CA and attests a stock agent that gets an SVID;
/// then stock stops (SIGTERM) and ours starts on the same server.conf, data dir, database,
/// keys.json and port.
fn upgrade_from_stock(peers: &crate::support::Peers, tmp: &Path) -> Upgraded {
    let dir = tmp.join("server");
    let stock = Server::start(&peers.stock_server, &dir);
    let selector = format!("unix:uid:{}", current_uid());
    for (path, extra) in [("/before", None), ("/downstream", Some("-downstream"))] {
        let id = format!("spiffe://example.org{path}");
        let mut args = vec!["entry", "create", "-parentID", "spiffe://example.org/node"];
        args.extend(["-spiffeID", &id, "-selector", &selector]);
        args.extend(extra);
        stock.ok(&args);
    }
    let prepared = stock.ok(&["localauthority", "x509", "prepare"]);
    let authority_id = field(&prepared, "Authority ID");
    stock.ok(&[
        "localauthority",
        "x509",
        "activate",
        "-authorityID",
        &authority_id,
    ]);
    let bundle = stock.write_bundle();
    let token = stock.join_token("spiffe://example.org/node");
    let agent = Agent::start(
        &peers.stock_agent,
        &tmp.join("agent"),
        stock.port,
        &bundle,
        &token,
    );
    wait_for_svid(&agent, &peers.stock_agent, "spiffe://example.org/before");

    let entries_before = stock.ok(&["entry", "show"]);
    let agents_before = stock.ok(&["agent", "list"]);
    let bundle_before = stock.ok(&["bundle", "show", "-format", "spiffe"]);
    let port = stock.port;
    stock.stop();
    Upgraded {
        server: Server::restart(&ours("spire-server"), &dir, port),
        agent,
        selector,
        entries_before,
        agents_before,
        bundle_before,
    }
}

/// Each key of a SPIFFE bundle document as compact JSON, for set comparison.
fn jwks_keys(document: &str) -> BTreeSet<String> {
    let doc: serde_json::Value = serde_json::from_str(document).expect("bundle document JSON");
    doc["keys"]
        .as_array()
        .expect("bundle document has keys")
        .iter()
        .map(|k| k.to_string())
        .collect()
}

/// Waits until the stock agent serves an X509-SVID for `spiffe_id` to this (test) process.
fn wait_for_svid(agent: &Agent, stock_agent: &Path, spiffe_id: &str) {
    let socket = agent.socket.display().to_string();
    eventually(
        &format!("agent serves {spiffe_id}"),
        Duration::from_secs(60),
        || {
            let out = run(
                stock_agent,
                &["api", "fetch", "x509", "-socketPath", &socket],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            if stdout.contains(&format!("SPIFFE ID:\t\t{spiffe_id}\n")) {
                Ok(())
            } else {
                Err(format!(
                    "{stdout}{}\nagent log tail:\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    tail(&agent.log())
                ))
            }
        },
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
