//! Bounds and edges of the Workload API (issue 10): attestation concurrency, request sizes,
//! idle connections, the end of streams at shutdown, and callers that match nothing.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncReadExt;

use super::*;

/// An attestor that takes a while and records how many attestations ran at once.
#[derive(Debug, Default)]
struct SlowAttestor {
    running: AtomicUsize,
    most: AtomicUsize,
}

impl WorkloadAttestor for SlowAttestor {
    fn name(&self) -> &str {
        "slow"
    }

    fn attest(&self, caller: &WorkloadProcess) -> Result<Vec<Selector>, WorkloadAttestorError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(vec![
            Selector::new("fake", format!("uid:{}", caller.uid)).expect("valid selector"),
        ])
    }
}

fn options() -> WorkloadApiOptions {
    WorkloadApiOptions {
        first_identity_wait: Duration::from_millis(200),
        ..WorkloadApiOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestations_run_at_most_the_configured_number_at_once() {
    let attestor = Arc::new(SlowAttestor::default());
    let options = WorkloadApiOptions {
        attestation_concurrency: 2,
        ..options()
    };
    let server = start_with(
        FakeIdentityProvider::new(update_with(1)),
        Arc::clone(&attestor) as Arc<dyn WorkloadAttestor>,
        options,
    )
    .await;
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let socket = server.socket.clone();
            tokio::spawn(async move {
                let mut client = client(&socket).await;
                client
                    .fetch_jwtsvid(with_header(JwtsvidRequest {
                        audience: vec!["a".into()],
                        spiffe_id: String::new(),
                    }))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for call in calls {
        call.await.expect("call task").expect("served");
    }
    assert_eq!(attestor.most.load(Ordering::SeqCst), 2);
    server.stop().await;
}

#[tokio::test]
async fn jwt_audiences_are_bounded_in_number_and_length() {
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mut client = client(&server.socket).await;
    let fetch = |audience: Vec<String>| {
        with_header(JwtsvidRequest {
            audience,
            spiffe_id: String::new(),
        })
    };
    let many = (0..=MAX_JWT_AUDIENCES).map(|i| format!("aud{i}")).collect();
    let status = client
        .fetch_jwtsvid(fetch(many))
        .await
        .expect_err("too many");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("too many audiences"),
        "{status:?}"
    );

    let long = vec!["a".repeat(MAX_JWT_AUDIENCE_BYTES + 1)];
    let status = client
        .fetch_jwtsvid(fetch(long))
        .await
        .expect_err("too long");
    assert_eq!(status.code(), Code::InvalidArgument);

    // 2 MB never reaches the handler: refused while decoding.
    let huge = vec!["a".repeat(2 * 1024 * 1024)];
    let status = client
        .fetch_jwtsvid(fetch(huge))
        .await
        .expect_err("too big");
    assert_ne!(status.code(), Code::Ok);

    let fine = client
        .fetch_jwtsvid(fetch(vec!["a".repeat(MAX_JWT_AUDIENCE_BYTES)]))
        .await
        .expect("an audience at the limit is served");
    assert_eq!(fine.into_inner().svids.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn open_streams_end_with_unavailable_when_the_agent_stops() {
    // java-spiffe treats an OK end as final and never reconnects.
    let server = start(FakeIdentityProvider::new(update_with(1)), false).await;
    let mut client = client(&server.socket).await;
    let mut stream = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect("stream opens")
        .into_inner();
    stream
        .message()
        .await
        .expect("first message")
        .expect("not ended");
    let stopping = tokio::spawn(server.stop());
    let end = stream
        .message()
        .await
        .expect_err("the stream ends with a status");
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    stopping.await.expect("server stops");
}

#[tokio::test]
async fn caller_matching_no_entry_is_refused_without_waiting() {
    // The wait for a first identity is long; a caller no entry matches must not sit it out.
    let options = WorkloadApiOptions {
        first_identity_wait: Duration::from_secs(120),
        ..options()
    };
    let server = start_with(
        FakeIdentityProvider::new(WorkloadUpdate::default()),
        Arc::new(FakeAttestor { fail: false }),
        options,
    )
    .await;
    let mut client = client(&server.socket).await;
    let call = client.fetch_x509svid(with_header(X509svidRequest {}));
    let status = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("answered long before the first-identity wait")
        .expect_err("no identity");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "no identity issued");
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_and_streaming_ones_kept() {
    let options = WorkloadApiOptions {
        idle_timeout: Duration::from_millis(300),
        ..options()
    };
    let provider = FakeIdentityProvider::new(update_with(1));
    let server = start_with(
        Arc::clone(&provider),
        Arc::new(FakeAttestor { fail: false }),
        options,
    )
    .await;

    // A connection that never speaks is closed by the agent.
    let mut idle = UnixStream::connect(&server.socket).await.expect("connect");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the idle connection was never closed");

    // A quiet stream outlives many idle timeouts.
    let mut client = client(&server.socket).await;
    let mut stream = client
        .fetch_x509svid(with_header(X509svidRequest {}))
        .await
        .expect("stream opens")
        .into_inner();
    stream.message().await.expect("first").expect("not ended");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    provider.updates.send_replace(Arc::new(update_with(2)));
    let next = stream.message().await.expect("second").expect("not ended");
    assert_eq!(next.svids[0].x509_svid_key, vec![0x30, 0x01, 2]);
    server.stop().await;
}
