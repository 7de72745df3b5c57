//! Scenario 4: server X.509-SVID signing throughput on the agent path. The harness attests
//! as an agent (join_token over AttestAgent), then calls BatchNewX509SVID over mTLS with its
//! agent SVID from several workers, as many agents would. Rate limits are off on both.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256};
use spire_proto::spire::api::server::agent::v1::agent_client::AgentClient;
use spire_proto::spire::api::server::agent::v1::{AgentX509svidParams, AttestAgentRequest, attest_agent_request, attest_agent_response};
use spire_proto::spire::api::server::svid::v1::svid_client::SvidClient;
use spire_proto::spire::api::server::svid::v1::{BatchNewX509svidRequest, NewX509svidParams};
use spire_proto::spire::api::types::AttestationData;
use tonic::transport::Channel;

use crate::plan::Plan;
use crate::procs::{self, Impl, Server};
use crate::results::{Results, Target};
use crate::{entries, grpc};

pub async fn run(imp: &Impl, root: &Path, plan: &Plan, round: usize, results: &mut Results) -> Result<()> {
    let server = Server::start(imp, root, &format!("sign-r{round}")).await?;
    let admin = grpc::uds(&server.socket).await?;
    let alias = "/bench/signer";
    let token = server.token(&format!("spiffe://example.org{alias}")).await?;
    let (chain, key) = attest(server.port, &token).await?;

    let list = (0..plan.sign_entries).map(|i| entries::entry(&format!("/s/{i}"), alias, 4_000_000_000)).collect();
    let (ids, _) = entries::create(&admin, list, 500).await?;
    let ids = Arc::new(ids);
    let csr = Arc::new(csr()?);

    let mut channels = Vec::new();
    for _ in 0..plan.sign_workers {
        channels.push(grpc::tls(server.port, Some((chain.clone(), key.clone()))).await?);
    }
    // The server authorizes from its entry cache, rebuilt every 5 s: wait until it knows ours.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sign(&channels[0], &ids[..1], &csr).await.is_err() {
        if Instant::now() > deadline {
            bail!("{}: BatchNewX509SVID never succeeded", imp.name);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let pid = server.pid()?;
    let cpu0 = procs::cpu_seconds(pid)?;
    let start = Instant::now();
    let issued = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (w, channel) in channels.into_iter().enumerate() {
        let (ids, csr, issued) = (ids.clone(), csr.clone(), issued.clone());
        let (total, batch) = (plan.sign_total, plan.sign_batch);
        tasks.push(tokio::spawn(async move {
            let batches = ids.len() / batch;
            let mut k = w;
            while issued.load(Ordering::Relaxed) < total {
                let from = (k % batches) * batch;
                sign(&channel, &ids[from..from + batch], &csr).await?;
                issued.fetch_add(batch, Ordering::Relaxed);
                k += 1;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = procs::cpu_seconds(pid)? - cpu0;
    let n = issued.load(Ordering::Relaxed) as f64;
    results.record(4, "X.509-SVIDs signed per second (wall clock, whole machine)", "SVIDs/s", None, imp.name, n / wall);
    results.record(4, "X.509-SVIDs signed per server CPU-second (per core)", "SVIDs/s", Some(Target::AtLeast(2.0)), imp.name, n / cpu);
    if let Some(limit) = results.crypto {
        let share = n / cpu / limit.sign_plus_verify_per_s;
        results.record(4, "share of the raw P-256 sign+verify limit per core", "fraction", Some(Target::OursAtLeast(0.6)), imp.name, share);
    }
    Ok(())
}

/// Attests with a join token; returns the agent SVID chain (DER) and its PKCS#8 key.
async fn attest(port: u16, token: &str) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let csr = CertificateParams::default().serialize_request(&key)?.der().to_vec();
    let req = AttestAgentRequest {
        step: Some(attest_agent_request::Step::Params(attest_agent_request::Params {
            data: Some(AttestationData { r#type: "join_token".into(), payload: token.as_bytes().to_vec() }),
            params: Some(AgentX509svidParams { csr }),
        })),
    };
    let mut client = AgentClient::new(grpc::tls(port, None).await?);
    let mut stream = client
        .attest_agent(tonic::codegen::tokio_stream::iter(vec![req]))
        .await?
        .into_inner();
    while let Some(resp) = stream.message().await? {
        if let Some(attest_agent_response::Step::Result(r)) = resp.step {
            let svid = r.svid.context("attest result without SVID")?;
            return Ok((svid.cert_chain, key.serialize_der()));
        }
    }
    bail!("attestation ended without a result")
}

fn csr() -> Result<Vec<u8>> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    Ok(CertificateParams::default().serialize_request(&key)?.der().to_vec())
}

async fn sign(channel: &Channel, ids: &[String], csr: &[u8]) -> Result<()> {
    let params = ids.iter().map(|id| NewX509svidParams { entry_id: id.clone(), csr: csr.to_vec() }).collect();
    let resp = SvidClient::new(channel.clone())
        .batch_new_x509svid(BatchNewX509svidRequest { params })
        .await?
        .into_inner();
    for r in resp.results {
        if r.status.as_ref().map_or(0, |s| s.code) != 0 || r.svid.is_none() {
            bail!("BatchNewX509SVID: {:?}", r.status);
        }
    }
    Ok(())
}
