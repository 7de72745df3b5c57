//! Scenario 3: Workload API latency, FetchX509SVID and FetchJWTSVID, each on a new
//! connection per call and on a connection reused by the client, at 1..N concurrent clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::plan::Plan;
use crate::results::{Results, Target, percentile};
use crate::workload::{self, Call};
use crate::grpc;

pub async fn run(socket: &Path, plan: &Plan, round: usize, imp: &str, results: &mut Results) -> Result<()> {
    let socket: Arc<PathBuf> = Arc::new(socket.to_owned());
    for (call, call_name) in [(Call::X509, "FetchX509SVID"), (Call::Jwt, "FetchJWTSVID")] {
        // Warm-up: the agent's first JWT-SVID for an audience comes from the server.
        for _ in 0..3 {
            workload::timed_call(&socket, None, call).await?;
        }
        for reuse in [false, true] {
            let conn = if reuse { "reused connection" } else { "new connection" };
            for &clients in &plan.clients {
                let per_client = plan.requests.div_ceil(clients);
                let mut tasks = Vec::new();
                for _ in 0..clients {
                    let socket = socket.clone();
                    tasks.push(tokio::spawn(async move {
                        let channel = if reuse { Some(grpc::uds(&socket).await?) } else { None };
                        let mut samples = Vec::with_capacity(per_client);
                        for _ in 0..per_client {
                            samples.push(workload::timed_call(&socket, channel.as_ref(), call).await?);
                        }
                        Ok::<_, anyhow::Error>(samples)
                    }));
                }
                let mut samples = Vec::new();
                for t in tasks {
                    samples.extend(t.await??);
                }
                let label = format!("{call_name} {conn}, {clients} clients");
                let p99 = percentile(&samples, 99.0);
                results.record(3, &format!("{label} p50"), "ms", None, imp, percentile(&samples, 50.0));
                results.record(3, &format!("{label} p99"), "ms", Some(Target::AtMost(0.5)), imp, p99);
                if round == 0 {
                    Results::series(&mut results.latency, &label, imp).values = samples;
                }
            }
        }
    }
    Ok(())
}
