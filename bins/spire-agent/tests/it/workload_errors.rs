//! SPIRE's status codes on the real agent: PermissionDenied "no identity issued" for a
//! workload no entry matches, InvalidArgument for a call without the security header.

use std::time::Duration;

use spire_proto::workload::{JwtsvidRequest, X509svidRequest};
use tokio_stream::StreamExt;
use tonic::{Code, Request};

use crate::support::{Env, my_uid, runtime, with_header, workload_client};

const WORKLOAD_ID: &str = "spiffe://example.org/workload";

#[test]
fn caller_whose_uid_no_entry_matches_gets_permission_denied_no_identity_issued() {
    // The only entry selects another uid than ours.
    let env = Env::joined(WORKLOAD_ID, my_uid() + 1, &[]);
    // Once the agent has synced, the refusal is immediate: no wait for SVIDs that will never
    // come (SPIRE answers at once; `api fetch -timeout 3s` must see PermissionDenied, not
    // DeadlineExceeded). The first call may come before the first sync; the second is timed.
    let out = env.agent_cli(&["api", "fetch", "x509"]);
    assert!(!out.status.success(), "no SVID for a uid without an entry");
    runtime().block_on(async {
        let mut client = workload_client(&env.agent_socket).await;
        let asked = std::time::Instant::now();
        let first = match client.fetch_x509svid(with_header(X509svidRequest {})).await {
            Ok(response) => {
                tokio::time::timeout(Duration::from_secs(30), response.into_inner().next())
                    .await
                    .expect("the stream answers within 30 s")
                    .expect("the stream yields a status before it ends")
                    .expect_err("no X509-SVID for a uid without an entry")
            }
            Err(status) => status,
        };
        let waited = asked.elapsed();
        eprintln!("PermissionDenied for a caller without entries after {waited:?}");
        assert_eq!(first.code(), Code::PermissionDenied, "{first:?}");
        assert_eq!(first.message(), "no identity issued");
        assert!(
            waited < Duration::from_secs(1),
            "refused only after {waited:?} (the first-identity wait is 5 s)"
        );

        let jwt = client
            .fetch_jwtsvid(with_header(JwtsvidRequest {
                audience: vec!["X".into()],
                spiffe_id: String::new(),
            }))
            .await
            .expect_err("no JWT-SVID for a uid without an entry");
        assert_eq!(jwt.code(), Code::PermissionDenied, "{jwt:?}");
        assert_eq!(jwt.message(), "no identity issued");
    });
}

#[test]
fn call_without_the_security_header_gets_invalid_argument() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    runtime().block_on(async {
        let mut client = workload_client(&env.agent_socket).await;
        let status = match client
            .fetch_x509svid(Request::new(X509svidRequest {}))
            .await
        {
            Ok(response) => response
                .into_inner()
                .next()
                .await
                .expect("the stream yields a status before it ends")
                .expect_err("no X509-SVID without the header"),
            Err(status) => status,
        };
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), "security header missing from request");

        // The same caller with the header is served: only the header made the difference.
        let served = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("stream opens with the header")
            .into_inner()
            .next()
            .await
            .expect("a first response")
            .expect("an X509-SVID with the header");
        assert_eq!(served.svids[0].spiffe_id, WORKLOAD_ID);
    });
}

#[test]
fn open_streams_end_with_unavailable_when_the_agent_stops() {
    // java-spiffe treats a stream that ends with OK as final and never reconnects; SPIRE's
    // agent ends them with Unavailable, so clients retry against the restarted agent.
    let mut env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let pid = env.agent_pid();
    let end = runtime().block_on(async {
        let mut client = workload_client(&env.agent_socket).await;
        let mut stream = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("stream opens")
            .into_inner();
        stream
            .next()
            .await
            .expect("a first response")
            .expect("an X509-SVID");
        let term = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(term.success());
        tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .expect("the stream ends within 30 s of SIGTERM")
    });
    match end {
        Some(Err(status)) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
        other => panic!("the stream ended with {other:?}, not Unavailable"),
    }
    assert!(
        env.wait_agent_exit(Duration::from_secs(30))
            .is_some_and(|s| s.success()),
        "the agent stops gracefully:\n{}",
        env.agent_log()
    );
}

#[test]
fn agent_refuses_a_socket_directory_writable_by_others() {
    // Anyone could swap the Workload API socket in such a directory and serve workloads
    // identities of their own making.
    let mut env = Env::start_server();
    let token = env.join_token(crate::support::NODE_ID);
    let shared = env.dir.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .expect("chmod");
    env.agent_socket = shared.join("public").join("api.sock");
    env.start_agent(Some(&token));
    let status = env.wait_agent_exit(Duration::from_secs(60));
    assert!(
        status.is_some_and(|s| !s.success()),
        "the agent must refuse to start ({status:?}):\n{}",
        env.agent_log()
    );
    let log = env.agent_log();
    assert!(
        log.contains(&format!("{} is writable by others", shared.display())),
        "{log}"
    );
    assert!(!env.agent_socket.exists());
}
