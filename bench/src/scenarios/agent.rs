//! Scenarios 5, 6 (sync), 2 (agent RSS) and 3 (via latency.rs) on one server and its agents.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::entries;
use crate::plan::Plan;
use crate::procs::{self, Impl, Server};
use crate::results::{Results, Target, median};
use crate::scenarios::latency;
use crate::{grpc, workload};

/// A uid no workload here runs as: entries with it sync but never match.
const NOBODY_UID: u32 = 4_000_000_000;

pub async fn run(imp: &Impl, root: &Path, plan: &Plan, round: usize, uid: u32, results: &mut Results) -> Result<()> {
    let server = Server::start(imp, root, &format!("agent-r{round}")).await?;
    let admin = grpc::uds(&server.socket).await?;
    let name = imp.name;

    // Registrations and tokens for every timed start are made first, then one settle wait:
    // both servers authorize from an entry cache rebuilt every 5 s, and a start timed right
    // after its alias was created would measure that rebuild, not the agent.
    let mut tokens = Vec::new();
    for t in 0..plan.start_trials {
        let alias = format!("/bench/start-{t}");
        entries::create(&admin, vec![entries::entry(&format!("/w/start-{t}"), &alias, uid)], 1).await?;
        tokens.push(server.token(&format!("spiffe://example.org{alias}")).await?);
    }
    let mut sync_tokens = Vec::new();
    for n in plan.sync_sizes {
        let alias = format!("/bench/sync-{n}");
        let mut list = vec![entries::entry(&format!("/w/sync-{n}"), &alias, uid)];
        list.extend((0..n).map(|i| entries::entry(&format!("/w/sync-{n}/{i}"), &alias, NOBODY_UID)));
        entries::create(&admin, list, 500).await?;
        sync_tokens.push((n, server.token(&format!("spiffe://example.org{alias}")).await?));
    }
    let alias = "/bench/main";
    entries::create(&admin, vec![entries::entry("/w/main", alias, uid)], 1).await?;
    let token = server.token(&format!("spiffe://example.org{alias}")).await?;
    tokio::time::sleep(Duration::from_secs(plan.settle_secs)).await;

    // Scenario 5: agent start -> first SVID served to a workload that is already polling.
    let mut starts = Vec::new();
    for (t, token) in tokens.iter().enumerate() {
        starts.push(time_agent_start(&server, &format!("start-{t}"), token).await?);
    }
    results.record(5, "agent start to first SVID", "ms", Some(Target::AtMost(0.5)), name, median(&starts));

    // Scenario 6: the same with N more entries parented to the agent (selectors nobody has).
    for (n, token) in sync_tokens {
        let elapsed = time_agent_start(&server, &format!("sync-{n}"), &token).await?;
        let target = (n == plan.sync_sizes[1]).then_some(Target::AtMost(0.2));
        results.record(6, &format!("agent start to first SVID with {n} entries"), "ms", target, name, elapsed);
    }

    // Scenario 2 (agent) and 3: one agent, one entry for us; idle RSS, latency, then cache N.
    let agent = server.spawn_agent("main", &token).await?;
    let t0 = Instant::now();
    workload::first_svid(&agent.socket, t0, Duration::from_secs(60)).await?;
    let pid = agent.pid()?;
    tokio::time::sleep(Duration::from_secs(plan.settle_secs.min(3))).await;
    let (rss, _) = procs::rss_mib(pid)?;
    results.record(2, "agent RSS idle (1 SVID)", "MiB", Some(Target::AtMost(0.2)), name, rss);

    latency::run(&agent.socket, plan, round, name, results).await?;

    let mut have = 1;
    let sampler = sample_rss(pid);
    for n in plan.cached {
        let list = (have..n).map(|i| entries::entry(&format!("/w/main/{i}"), alias, uid)).collect();
        entries::create(&admin, list, 500).await?;
        have = n;
        workload::wait_for_svids(&agent.socket, n, Duration::from_secs(180)).await?;
        tokio::time::sleep(Duration::from_secs(plan.settle_secs.min(2))).await;
        let (rss, _) = procs::rss_mib(pid)?;
        results.record(2, &format!("agent RSS with {n} cached SVIDs"), "MiB", Some(Target::AtMost(0.2)), name, rss);
    }
    let points = sampler.stop().await;
    if round == 0 {
        Results::series(&mut results.timelines, "agent RSS while caching SVIDs", name).points = points;
    }
    drop(agent);
    drop(server);
    Ok(())
}

/// Joins a fresh agent with `token` and times its start until it serves an X.509-SVID.
async fn time_agent_start(server: &Server, tag: &str, token: &str) -> Result<f64> {
    let start = Instant::now();
    let agent = server.spawn_agent(tag, token).await?;
    let elapsed = workload::first_svid(&agent.socket, start, Duration::from_secs(120)).await?;
    drop(agent);
    Ok(elapsed.as_secs_f64() * 1e3)
}

/// Samples a process's RSS every 100 ms until stopped.
pub struct RssSampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<(f64, f64)>>,
}

pub fn sample_rss(pid: u32) -> RssSampler {
    let (stop, mut rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let start = Instant::now();
        let mut points = Vec::new();
        loop {
            if let Ok((rss, _)) = procs::rss_mib(pid) {
                points.push((start.elapsed().as_secs_f64(), rss));
            }
            tokio::select! {
                _ = &mut rx => return points,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    });
    RssSampler { stop, task }
}

impl RssSampler {
    pub async fn stop(self) -> Vec<(f64, f64)> {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}
