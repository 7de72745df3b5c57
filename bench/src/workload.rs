//! Workload API calls as a workload of this process's uid: first SVID, waiting for N SVIDs,
//! and latency of single calls.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient;
use spire_proto::workload::{JwtsvidRequest, X509svidRequest};
use tonic::transport::Channel;

use crate::grpc;

/// Which Workload API call a latency sample times.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    X509,
    Jwt,
}

/// Polls `socket` until the agent serves an X.509-SVID; returns the elapsed time since `start`.
pub async fn first_svid(socket: &Path, start: Instant, timeout: Duration) -> Result<Duration> {
    loop {
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), x509_count(socket)).await {
            if n > 0 {
                return Ok(start.elapsed());
            }
        }
        if start.elapsed() > timeout {
            bail!("no SVID from {} after {timeout:?}", socket.display());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Opens a FetchX509SVID stream and waits until a response carries at least `n` SVIDs.
pub async fn wait_for_svids(socket: &Path, n: usize, timeout: Duration) -> Result<Duration> {
    let start = Instant::now();
    loop {
        let attempt = async {
            let mut client = client(grpc::uds(socket).await?);
            let mut stream = client.fetch_x509svid(grpc::workload_request(X509svidRequest {})).await?.into_inner();
            while let Some(resp) = stream.message().await? {
                if resp.svids.len() >= n {
                    return Ok::<bool, anyhow::Error>(true);
                }
            }
            Ok(false)
        };
        let left = timeout.saturating_sub(start.elapsed());
        if let Ok(Ok(true)) = tokio::time::timeout(left, attempt).await {
            return Ok(start.elapsed());
        }
        if start.elapsed() >= timeout {
            bail!("agent did not serve {n} SVIDs within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One call on `channel` (or on a new connection when `channel` is None), timed in ms.
pub async fn timed_call(socket: &Path, channel: Option<&Channel>, call: Call) -> Result<f64> {
    let start = Instant::now();
    let channel = match channel {
        Some(c) => c.clone(),
        None => grpc::uds(socket).await?,
    };
    let mut client = client(channel);
    match call {
        Call::X509 => {
            let mut stream = client.fetch_x509svid(grpc::workload_request(X509svidRequest {})).await?.into_inner();
            let resp = stream.message().await?.context("stream ended")?;
            if resp.svids.is_empty() {
                bail!("no SVIDs");
            }
        }
        Call::Jwt => {
            let req = JwtsvidRequest { audience: vec!["bench".into()], spiffe_id: String::new() };
            let resp = client.fetch_jwtsvid(grpc::workload_request(req)).await?.into_inner();
            if resp.svids.is_empty() {
                bail!("no JWT-SVIDs");
            }
        }
    }
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

async fn x509_count(socket: &Path) -> Result<usize> {
    let mut client = client(grpc::uds(socket).await?);
    let mut stream = client.fetch_x509svid(grpc::workload_request(X509svidRequest {})).await?.into_inner();
    Ok(stream.message().await?.map_or(0, |r| r.svids.len()))
}

fn client(channel: Channel) -> SpiffeWorkloadApiClient<Channel> {
    SpiffeWorkloadApiClient::new(channel).max_decoding_message_size(256 << 20)
}
