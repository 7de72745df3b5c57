//! Load on the real agent's Workload API: many held streams, and many refused calls that must
//! not leak file descriptors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use spire_proto::workload::{JwtsvidRequest, X509svidRequest};
use tokio::sync::{Barrier, watch};
use tokio_stream::StreamExt;
use tonic::{Code, Request};

use crate::support::{Env, fd_count, my_uid, runtime, with_header, workload_client};

const WORKLOAD_ID: &str = "spiffe://example.org/busy-workload";
const STREAMS: usize = 200;
const FAILED_CALLS: usize = 1_000;
/// Descriptors the agent may legitimately open meanwhile (log files, a server connection).
const FD_TOLERANCE: usize = 10;

#[test]
fn two_hundred_concurrent_x509_streams_are_all_served_and_held() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let socket = env.agent_socket.clone();
    runtime().block_on(async move {
        let all_served = Arc::new(Barrier::new(STREAMS + 1));
        let (release, released) = watch::channel(false);
        let tasks: Vec<_> = (0..STREAMS)
            .map(|i| {
                let socket = socket.clone();
                let all_served = Arc::clone(&all_served);
                let mut released = released.clone();
                tokio::spawn(async move {
                    // One connection per caller, as separate workloads would have.
                    let mut client = workload_client(&socket).await;
                    let mut stream = client
                        .fetch_x509svid(with_header(X509svidRequest {}))
                        .await
                        .unwrap_or_else(|s| panic!("stream {i} refused: {s:?}"))
                        .into_inner();
                    let first = stream
                        .next()
                        .await
                        .unwrap_or_else(|| panic!("stream {i} ended before a response"))
                        .unwrap_or_else(|s| panic!("stream {i} failed: {s:?}"));
                    assert_eq!(first.svids[0].spiffe_id, WORKLOAD_ID, "stream {i}");
                    all_served.wait().await;
                    let _ = released.wait_for(|r| *r).await;
                    // Still open and healthy: nothing pending, or a further update.
                    if let Ok(next) =
                        tokio::time::timeout(Duration::from_millis(200), stream.next()).await
                    {
                        let update = next
                            .unwrap_or_else(|| panic!("stream {i} closed while held"))
                            .unwrap_or_else(|s| panic!("stream {i} failed while held: {s:?}"));
                        assert_eq!(update.svids[0].spiffe_id, WORKLOAD_ID, "stream {i}");
                    }
                })
            })
            .collect();
        tokio::time::timeout(Duration::from_secs(60), all_served.wait())
            .await
            .expect("all 200 streams got their first X509-SVID within 60 s");
        // Hold them all for a moment while another caller is served too.
        let mut extra = workload_client(&socket).await;
        let served = extra
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("a 201st stream opens")
            .into_inner()
            .next()
            .await
            .expect("a first response")
            .expect("an X509-SVID for the 201st caller");
        assert_eq!(served.svids[0].spiffe_id, WORKLOAD_ID);
        release.send(true).expect("streams are listening");
        for task in tasks {
            task.await.expect("stream task succeeded");
        }
    });
}

#[test]
fn a_thousand_refused_calls_leave_no_file_descriptors_behind() {
    // The only entry selects another uid: our calls are attested and refused.
    let env = Env::joined(WORKLOAD_ID, my_uid() + 1, &[]);
    let pid = env.agent_pid();
    let socket = env.agent_socket.clone();
    runtime().block_on(async move {
        // Warm up: whatever the agent opens lazily on its first calls is not a leak.
        refused_call(&socket, 0).await;
        refused_call(&socket, 1).await;
        let before = fd_count(pid);

        let mut calls = tokio::task::JoinSet::new();
        let gate = Arc::new(tokio::sync::Semaphore::new(16));
        for i in 0..FAILED_CALLS {
            let socket = socket.clone();
            let gate = Arc::clone(&gate);
            calls.spawn(async move {
                let _permit = gate.acquire().await.expect("semaphore open");
                refused_call(&socket, i).await;
            });
        }
        while let Some(done) = calls.join_next().await {
            done.expect("refused call task");
        }

        // Connections close asynchronously on the agent side: wait for the count to settle.
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut after = fd_count(pid);
        while after > before + FD_TOLERANCE && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            after = fd_count(pid);
        }
        assert!(
            after <= before + FD_TOLERANCE,
            "agent fds grew from {before} to {after} after {FAILED_CALLS} refused calls"
        );
    });
}

/// On a fresh connection: even `i` is FetchJWTSVID from a uid no entry matches
/// (PermissionDenied after workload attestation), odd `i` is FetchX509SVID without the
/// security header (InvalidArgument).
async fn refused_call(socket: &std::path::Path, i: usize) {
    let mut client = workload_client(socket).await;
    if i.is_multiple_of(2) {
        let status = client
            .fetch_jwtsvid(with_header(JwtsvidRequest {
                audience: vec!["X".into()],
                spiffe_id: String::new(),
            }))
            .await
            .expect_err("no JWT-SVID for a uid without an entry");
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "call {i}: {status:?}"
        );
    } else {
        let status = match client
            .fetch_x509svid(Request::new(X509svidRequest {}))
            .await
        {
            Ok(response) => response
                .into_inner()
                .next()
                .await
                .expect("a status before the stream ends")
                .expect_err("no X509-SVID without the header"),
            Err(status) => status,
        };
        assert_eq!(status.code(), Code::InvalidArgument, "call {i}: {status:?}");
    }
}
