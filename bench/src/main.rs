//! spire-bench: runs the issue-7 scenarios against spire-rs and stock SPIRE, alternating, and
//! writes results.json, BENCHMARKS.md and PNG plots. Driven by `bench/run`, which builds the
//! binaries and passes their directories.
//!
//! Usage: spire-bench --crypto (raw limits only), or
//!        spire-bench --ours DIR --stock DIR --stripped DIR --out DIR [--smoke] [--analysis FILE]
//!                    [--only agent,signing,server]
//! `--only` runs just those scenario groups (for a quick look at one number while working);
//! a full report needs all of them.

mod crypto;
mod entries;
mod grpc;
mod plan;
mod plot;
mod procs;
mod report;
mod results;
mod scenarios;
mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::plan::Plan;
use crate::procs::Impl;
use crate::results::Results;

#[derive(Debug)]
struct Args {
    ours: PathBuf,
    stock: PathBuf,
    stripped: PathBuf,
    out: PathBuf,
    analysis: Option<PathBuf>,
    smoke: bool,
    /// Scenario groups to run; empty means all.
    only: Vec<String>,
}

impl Args {
    fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--crypto") {
        let l = crypto::measure(Duration::from_secs(2))?;
        println!("raw P-256 per core (aws-lc-rs): {:.0} sign/s, {:.0} verify/s", l.sign_per_s, l.verify_per_s);
        return Ok(());
    }
    let args = parse_args()?;
    let plan = if args.smoke { Plan::smoke() } else { Plan::full() };
    let started = Instant::now();
    std::fs::create_dir_all(args.out.join("bench"))?;
    let work = args.out.join("bench").join("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let uid = current_uid()?;
    let impls = [
        Impl { name: "spire-rs", bin_dir: args.ours.clone() },
        Impl { name: "stock", bin_dir: args.stock.clone() },
    ];
    let mut results = Results { smoke: args.smoke, ..Default::default() };

    let window = if args.smoke { Duration::from_millis(200) } else { Duration::from_secs(2) };
    let limits = crypto::measure(window)?;
    println!(
        "raw P-256 per core (aws-lc-rs): {:.0} sign/s, {:.0} verify/s, {:.0} sign+verify/s",
        limits.sign_per_s, limits.verify_per_s, limits.sign_plus_verify_per_s
    );
    results.crypto = Some(limits);

    for imp in &impls {
        scenarios::sizes::run(&args.stripped, imp.name, &mut results)?;
    }
    for round in 0..plan.rounds {
        let order: Vec<&Impl> = if round % 2 == 0 { impls.iter().collect() } else { impls.iter().rev().collect() };
        for imp in order.iter().filter(|_| args.runs("agent")) {
            let r = scenarios::agent::run(imp, &work, &plan, round, uid, &mut results).await;
            note(&mut results, "agent", imp.name, round, r);
        }
        for imp in order.iter().filter(|_| args.runs("signing")) {
            let r = scenarios::signing::run(imp, &work, &plan, round, &mut results).await;
            note(&mut results, "signing", imp.name, round, r);
        }
    }
    for imp in impls.iter().filter(|_| args.runs("server")) {
        let r = scenarios::server::run(imp, &work, &plan, 0, &mut results).await;
        note(&mut results, "server", imp.name, 0, r);
    }

    write_outputs(&args, &results, started.elapsed())?;
    if !args.smoke {
        let _ = std::fs::remove_dir_all(&work);
    }
    if !results.notes.is_empty() {
        bail!("{} scenario(s) failed; see {}", results.notes.len(), args.out.join("BENCHMARKS.md").display());
    }
    Ok(())
}

/// Records a failed scenario and carries on, so one failure doesn't lose a long run.
fn note(results: &mut Results, scenario: &str, imp: &str, round: usize, r: Result<()>) {
    match r {
        Ok(()) => println!("{scenario} scenario, {imp}, round {round}: done"),
        Err(e) => {
            eprintln!("{scenario} scenario, {imp}, round {round}: FAILED: {e:#}");
            results.notes.push(format!("{scenario} scenario on {imp}, round {round}: {e:#}"));
        }
    }
}

fn write_outputs(args: &Args, results: &Results, took: Duration) -> Result<()> {
    let dir = args.out.join("bench");
    std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(results)?)?;
    let mut plots = Vec::new();
    match plot::init_font() {
        Ok(()) => plots = write_plots(&dir, results)?,
        Err(e) => eprintln!("plots skipped: {e:#}"),
    }
    let analysis = match &args.analysis {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?,
        None => String::new(),
    };
    let command = if args.smoke { "bench/run --smoke" } else { "bench/run" };
    let machine = format!("{}, {} cores; full run took {:.0} s", cpu_model(), cores(), took.as_secs_f64());
    let md = report::markdown(results, &machine, command, &plots, &analysis);
    std::fs::write(args.out.join("BENCHMARKS.md"), md)?;
    println!("wrote {} and {}", args.out.join("BENCHMARKS.md").display(), dir.display());
    Ok(())
}

fn write_plots(dir: &Path, results: &Results) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for (call, conn) in [("FetchX509SVID", "new connection"), ("FetchX509SVID", "reused connection"), ("FetchJWTSVID", "new connection"), ("FetchJWTSVID", "reused connection")] {
        let prefix = format!("{call} {conn}, ");
        let series: Vec<_> = results.latency.iter().filter(|s| s.name.starts_with(&prefix)).collect();
        if series.is_empty() {
            continue;
        }
        let file = format!("latency-{}-{}.png", call.to_lowercase(), conn.replace(' ', "-"));
        plot::latency_cdf(&dir.join(&file), &format!("{call}, {conn}: latency CDF"), &series)?;
        files.push(file);
    }
    for (name, file) in [("agent RSS while caching SVIDs", "memory-agent.png"), ("server RSS while creating entries", "memory-server.png")] {
        let series: Vec<_> = results.timelines.iter().filter(|s| s.name == name).collect();
        if series.is_empty() {
            continue;
        }
        plot::timeline(&dir.join(file), name, &series)?;
        files.push(file.to_owned());
    }
    Ok(files)
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let (mut ours, mut stock, mut stripped, mut out, mut analysis, mut smoke) = (None, None, None, None, None, false);
    let mut only = Vec::new();
    while let Some(a) = it.next() {
        let mut val = || it.next().map(PathBuf::from).with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--ours" => ours = Some(val()?),
            "--stock" => stock = Some(val()?),
            "--stripped" => stripped = Some(val()?),
            "--out" => out = Some(val()?),
            "--analysis" => analysis = Some(val()?),
            "--smoke" => smoke = true,
            "--only" => {
                let list = it.next().context("--only needs a value")?;
                for group in list.split(',') {
                    if !["agent", "signing", "server"].contains(&group) {
                        bail!("--only: unknown scenario group {group:?} (expected agent, signing or server)");
                    }
                    only.push(group.to_owned());
                }
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(Args {
        ours: ours.context("--ours DIR")?,
        stock: stock.context("--stock DIR")?,
        stripped: stripped.context("--stripped DIR")?,
        out: out.context("--out DIR")?,
        analysis,
        smoke,
        only,
    })
}

fn current_uid() -> Result<u32> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("Uid:")).context("no Uid")?;
    Ok(line.split_whitespace().nth(1).context("no uid")?.parse()?)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
