//! Matrix item 7, second half: a JWT-SVID minted through a stock spire-agent validates through
//! OUR agent's ValidateJWTSVID (our CLI, the stock CLI, py-spiffe's call; the caller needs no
//! entry, as in SPIRE) and against the JWT bundle our agent serves (go-spiffe, py-spiffe), when
//! both agents share a trust domain bundle because they are attached to the same server —
//! stock or ours.

use std::path::Path;
use std::time::Duration;

use crate::our_agent::{parse, py_client};
use crate::support::{Agent, Server, current_uid, eventually, ours, py_spiffe, require_peers, run};

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn stock_agent_jwt_svid_validates_through_our_agent_on_a_stock_server() {
    let peers = require_peers!();
    stock_agent_jwt_validates_through_our_agent(&peers.stock_server, &peers);
}

#[test]
#[ignore = "needs stock SPIRE v1.13.3, go-spiffe, py-spiffe (.ci/run installs them): scripts/test runs it in CI"]
fn stock_agent_jwt_svid_validates_through_our_agent_on_our_server() {
    let peers = require_peers!();
    stock_agent_jwt_validates_through_our_agent(&ours("spire-server"), &peers);
}

fn stock_agent_jwt_validates_through_our_agent(server_bin: &Path, peers: &crate::support::Peers) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(server_bin, &tmp.path().join("server"));
    let bundle = server.write_bundle();
    let stock_token = server.join_token("spiffe://example.org/stock-node");
    let our_token = server.join_token("spiffe://example.org/our-node");
    let stock_agent = Agent::start(
        &peers.stock_agent,
        &tmp.path().join("stock-agent"),
        server.port,
        &bundle,
        &stock_token,
    );
    let our_agent = Agent::start(
        &ours("spire-agent"),
        &tmp.path().join("our-agent"),
        server.port,
        &bundle,
        &our_token,
    );
    // Only the stock agent's node has an entry for this workload.
    server.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/stock-node",
        "-spiffeID",
        "spiffe://example.org/stock-workload",
        "-selector",
        &format!("unix:uid:{}", current_uid()),
    ]);

    let stock_socket = stock_agent.socket.display().to_string();
    let minted = eventually("stock agent JWT-SVID", Duration::from_secs(60), || {
        let out = run(
            &peers.go_client,
            &[
                "jwt",
                "-socket",
                &stock_socket,
                "-audience",
                "interop",
                "-timeout",
                "5s",
            ],
        );
        parse(&out).map_err(|e| format!("{e}\nstock agent log:\n{}", stock_agent.log()))
    });
    assert_eq!(minted["spiffe_id"], "spiffe://example.org/stock-workload");
    let token = minted["token"].as_str().expect("token").to_owned();

    // Our agent's ValidateJWTSVID, through our CLI, for a caller with no entry on our agent.
    let our_socket = our_agent.socket.display().to_string();
    let validated = eventually("our agent validates", Duration::from_secs(60), || {
        let out = run(
            &ours("spire-agent"),
            &[
                "api",
                "validate",
                "jwt",
                "-audience",
                "interop",
                "-svid",
                &token,
                "-socketPath",
                &our_socket,
            ],
        );
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{}\nour agent log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                our_agent.log()
            ))
        }
    });
    assert!(validated.starts_with("SVID is valid.\n"), "{validated}");
    assert!(
        validated.contains("SPIFFE ID : spiffe://example.org/stock-workload"),
        "{validated}"
    );

    // The stock agent's CLI against our agent prints the same.
    let stock_cli = run(
        &peers.stock_agent,
        &[
            "api",
            "validate",
            "jwt",
            "-audience",
            "interop",
            "-svid",
            &token,
            "-socketPath",
            &our_socket,
        ],
    );
    assert!(stock_cli.status.success(), "{stock_cli:?}");
    assert_eq!(String::from_utf8_lossy(&stock_cli.stdout), validated);

    // The JWT bundle our agent serves validates it too (go-spiffe). Bundles are only served to
    // registered workloads (as SPIRE without `allow_unauthenticated_verifiers`), so the
    // verifier now gets an entry under our agent.
    server.ok(&[
        "entry",
        "create",
        "-parentID",
        "spiffe://example.org/our-node",
        "-spiffeID",
        "spiffe://example.org/verifier",
        "-selector",
        &format!("unix:uid:{}", current_uid()),
    ]);
    let go = eventually("go-spiffe validates", Duration::from_secs(60), || {
        let out = run(
            &peers.go_client,
            &[
                "jwt-validate",
                "-socket",
                &our_socket,
                "-audience",
                "interop",
                "-token",
                &token,
                "-timeout",
                "5s",
            ],
        );
        parse(&out).map_err(|e| format!("{e}\nour agent log:\n{}", our_agent.log()))
    });
    assert_eq!(go["spiffe_id"], "spiffe://example.org/stock-workload");

    // A wrong audience is refused by our agent.
    let wrong = run(
        &ours("spire-agent"),
        &[
            "api",
            "validate",
            "jwt",
            "-audience",
            "other",
            "-svid",
            &token,
            "-socketPath",
            &our_socket,
        ],
    );
    assert!(!wrong.status.success(), "wrong audience must be refused");

    // py-spiffe: our agent's ValidateJWTSVID and our JWT bundle both accept it.
    let python = py_spiffe(module_path!());
    let py = py_client(&python, &our_agent.socket, &["jwt-validate", &token]);
    assert_eq!(py["agent_validated"], "spiffe://example.org/stock-workload");
    assert_eq!(py["spiffe_id"], "spiffe://example.org/stock-workload");
    assert_eq!(py["audience"], serde_json::json!(["interop"]));
}
