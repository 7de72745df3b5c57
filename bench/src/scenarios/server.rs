//! Scenario 2 (server RSS with many entries) and 6 (entry create throughput through the API).

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use crate::plan::Plan;
use crate::procs::{self, Impl, Server};
use crate::results::Results;
use crate::scenarios::agent::sample_rss;
use crate::{entries, grpc};

/// Entries per BatchCreateEntry call.
const BATCH: usize = 250;

pub async fn run(imp: &Impl, root: &Path, plan: &Plan, round: usize, results: &mut Results) -> Result<()> {
    let server = Server::start(imp, root, &format!("server-r{round}")).await?;
    let admin = grpc::uds(&server.socket).await?;
    let pid = server.pid()?;
    let sampler = sample_rss(pid);
    let mut have = 0;
    for (step, n) in plan.server_entries.into_iter().enumerate() {
        let list = (have..n)
            .map(|i| entries::entry(&format!("/load/{i}"), &format!("/node/{}", i % 100), 1000 + (i % 5000) as u32))
            .collect();
        let (_, rate) = entries::create(&admin, list, BATCH).await?;
        if step == 0 {
            results.record(6, &format!("entry create through the API ({BATCH} per call)"), "entries/s", None, imp.name, rate);
        }
        have = n;
        // Both servers rebuild their entry caches every 5 s; read RSS after one rebuild.
        tokio::time::sleep(Duration::from_secs(plan.settle_secs)).await;
        let (rss, _) = procs::rss_mib(pid)?;
        results.record(2, &format!("server RSS with {n} entries"), "MiB", None, imp.name, rss);
    }
    let points = sampler.stop().await;
    if round == 0 {
        Results::series(&mut results.timelines, "server RSS while creating entries", imp.name).points = points;
    }
    Ok(())
}
