//! Matrix item 6: drop-in upgrade. A data dir and SQLite database written by stock spire-server
//! v1.13.3 — entries, an attested stock agent, a rotated X.509 CA — are opened unchanged by our
//! server: entries and agents list the same, the bundle is the same, and the stock agent keeps
//! syncing (it picks up an entry created after the upgrade).

use std::time::Duration;

use crate::support::{Agent, Server, current_uid, eventually, field, ours, peers_or_skip, run};

#[test]
fn our_server_opens_a_stock_data_dir_and_the_stock_agent_keeps_syncing() {
    let peers = peers_or_skip!();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("server");
    let stock = Server::start(&peers.stock_server, &dir);
    let uid = current_uid().to_string();
    let selector = format!("unix:uid:{uid}");

    // Stock writes: entries, a rotated CA, an attested agent holding an SVID.
    for path in ["/before", "/downstream"] {
        let mut args = vec![
            "entry",
            "create",
            "-parentID",
            "spiffe://example.org/node",
            "-spiffeID",
        ];
        let id = format!("spiffe://example.org{path}");
        args.extend([id.as_str(), "-selector", selector.as_str()]);
        if path == "/downstream" {
            args.push("-downstream");
        }
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
        &tmp.path().join("agent"),
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

    // Ours, on the same server.conf, data dir, database, keys and port.
    let ours = Server::restart(&ours("spire-server"), &dir, port);
    assert_eq!(ours.ok(&["entry", "show"]), entries_before);
    assert_eq!(ours.ok(&["agent", "list"]), agents_before);
    assert_eq!(
        ours.ok(&["bundle", "show", "-format", "spiffe"]),
        bundle_before,
        "bundle after the upgrade"
    );

    ours.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/node",
        "-spiffeID",
        "spiffe://example.org/after",
        "-selector",
        &selector,
    ]);
    wait_for_svid(&agent, &peers.stock_agent, "spiffe://example.org/after");
}

/// Waits until the stock agent serves an X509-SVID for `spiffe_id` to this (test) process.
fn wait_for_svid(agent: &Agent, stock_agent: &std::path::Path, spiffe_id: &str) {
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
