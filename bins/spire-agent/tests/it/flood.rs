//! Resource bounds of the real agent's Workload API under a hostile local client (issue 10,
//! items 2 and 3): a flood of HTTP/2 streams on one connection, oversized JWT audiences, and a
//! burst of callers whose attestation is slow. The agent must stay healthy with its memory and
//! threads bounded.

use std::time::{Duration, Instant};

use spire_proto::workload::JwtsvidRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::support::{Env, my_uid, runtime, with_header, workload_client};

const WORKLOAD_ID: &str = "spiffe://example.org/workload";
const MIB: u64 = 1024 * 1024;

/// VmRSS of `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    status_field(pid, "VmRSS:") * 1024
}

/// Threads of `pid`.
fn threads(pid: u32) -> u64 {
    status_field(pid, "Threads:")
}

fn status_field(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("agent status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
}

/// One HTTP/2 frame.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("small frame");
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend((stream & 0x7fff_ffff).to_be_bytes());
    out.extend(payload);
    out
}

/// An HPACK header block of literals without indexing (names and values under 127 bytes).
fn header_block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.push(0);
        out.push(u8::try_from(name.len()).expect("short name"));
        out.extend(name.as_bytes());
        out.push(u8::try_from(value.len()).expect("short value"));
        out.extend(value.as_bytes());
    }
    out
}

/// Opens `count` FetchX509Bundles streams on one connection with raw frames, ignoring the
/// server's SETTINGS_MAX_CONCURRENT_STREAMS as an attacker would, while draining what the
/// agent sends; returns once all are written and the agent had a moment to take them.
async fn open_raw_streams(socket: &std::path::Path, count: u32) {
    let stream = UnixStream::connect(socket).await.expect("connect");
    let (mut rx, mut tx) = stream.into_split();
    let drain = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while matches!(rx.read(&mut buf).await, Ok(n) if n > 0) {}
    });
    tx.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    tx.write_all(&frame(0x4, 0, 0, &[]))
        .await
        .expect("settings");
    let headers = header_block(&[
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/SpiffeWorkloadAPI/FetchX509Bundles"),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
        ("workload.spiffe.io", "true"),
    ]);
    let mut batch = Vec::new();
    for i in 0..count {
        let id = 2 * i + 1;
        batch.extend(frame(0x1, 0x4, id, &headers));
        batch.extend(frame(0x0, 0x1, id, &[0, 0, 0, 0, 0]));
        if batch.len() > 256 * 1024 || i + 1 == count {
            if tx.write_all(&batch).await.is_err() {
                // The agent closed the connection on us: also a bound.
                break;
            }
            batch.clear();
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(tx);
    drain.abort();
}

fn assert_healthy(env: &Env) {
    let out = env.agent_cli(&["healthcheck"]);
    assert!(
        out.status.success(),
        "agent unhealthy after the flood: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        env.agent_log()
    );
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(30));
}

#[test]
fn thirty_thousand_streams_on_one_connection_leave_memory_bounded() {
    let mut env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let pid = env.agent_pid();
    let before = rss(pid);
    runtime().block_on(open_raw_streams(&env.agent_socket, 30_000));
    let during = rss(pid);
    std::thread::sleep(Duration::from_secs(1));
    let after = rss(pid);
    eprintln!(
        "agent RSS: {} MiB before, {} MiB with 30,000 streams requested, {} MiB after",
        before / MIB,
        during / MIB,
        after / MIB
    );
    assert!(env.agent_alive(), "the agent died:\n{}", env.agent_log());
    assert!(
        during.max(after) < before + 64 * MIB,
        "agent RSS grew from {before} to {during} / {after} bytes"
    );
    assert_healthy(&env);
}

#[test]
fn two_megabyte_audiences_are_refused_and_leave_memory_bounded() {
    let mut env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let pid = env.agent_pid();
    let before = rss(pid);
    let codes = runtime().block_on(async {
        let mut codes = Vec::new();
        let mut client = workload_client(&env.agent_socket).await;
        for _ in 0..200 {
            let call = client.fetch_jwtsvid(with_header(JwtsvidRequest {
                audience: vec!["a".repeat(2 * 1024 * 1024)],
                spiffe_id: String::new(),
            }));
            codes.push(call.await.map(|_| ()).map_err(|s| s.code()));
        }
        codes
    });
    let after = rss(pid);
    eprintln!(
        "agent RSS: {} MiB before, {} MiB after 200 FetchJWTSVID calls with a 2 MB audience",
        before / MIB,
        after / MIB
    );
    assert!(codes.iter().all(Result::is_err), "{codes:?}");
    assert!(env.agent_alive(), "the agent died:\n{}", env.agent_log());
    assert!(
        after < before + 64 * MIB,
        "agent RSS grew from {before} to {after} bytes"
    );
    assert_healthy(&env);
}

#[test]
fn burst_of_slow_attestations_runs_on_a_bounded_number_of_threads() {
    // Hashing the caller's executable (this test binary, tens of MB) makes each attestation
    // slow; 200 callers at once would each get a blocking thread without the bound.
    let mut env = Env::start_server();
    let token = env.join_token(crate::support::NODE_ID);
    env.create_entry(crate::support::NODE_ID, WORKLOAD_ID, my_uid(), &[]);
    env.unix_attestor_plugin_data = "discover_workload_path = true".to_owned();
    env.start_agent(Some(&token));
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let pid = env.agent_pid();
    let idle = threads(pid);
    let socket = env.agent_socket.clone();
    let (most, served) = runtime().block_on(async move {
        let calls: Vec<_> = (0..200)
            .map(|_| {
                let socket = socket.clone();
                tokio::spawn(async move {
                    let mut client = workload_client(&socket).await;
                    client
                        .fetch_jwtsvid(with_header(JwtsvidRequest {
                            audience: vec!["burst".into()],
                            spiffe_id: String::new(),
                        }))
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut most = 0;
        let deadline = Instant::now() + Duration::from_secs(120);
        while !calls.iter().all(tokio::task::JoinHandle::is_finished) && Instant::now() < deadline {
            most = most.max(threads(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut served = 0;
        for call in calls {
            served += usize::from(call.await.expect("call task"));
        }
        (most, served)
    });
    eprintln!("agent threads: {idle} idle, at most {most} during a burst of 200 callers");
    assert_eq!(served, 200, "every caller is served in the end");
    // 8 attestation permits, plus the runtime's workers and a few helpers.
    assert!(
        most <= idle + 16,
        "the agent went from {idle} to {most} threads"
    );
}
