//! `bench/scale [--smoke]` (issue 5): the datastore and authorized-entry cache at scale.
//! Seeds SQLite through the DataStore API, measures in-process (see measure.rs), then starts
//! the real spire-server on the seeded file for RSS (server.rs). Writes markdown to `--out`.
//! Numbers are printed and written, never asserted.

mod counting;
mod measure;
mod report;
mod seed;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use spire_datastore::{DataStore, SqlConfig, SqlDataStore};

use counting::Counting;
use seed::Shape;

#[derive(Debug)]
struct Args {
    smoke: bool,
    out: Option<PathBuf>,
    bin: PathBuf,
    work: PathBuf,
}

fn args() -> Result<Args> {
    let mut a = Args { smoke: false, out: None, bin: "target/debug".into(), work: std::env::temp_dir() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--smoke" => a.smoke = true,
            "--out" => a.out = Some(it.next().context("--out FILE")?.into()),
            "--bin" => a.bin = it.next().context("--bin DIR")?.into(),
            "--work" => a.work = it.next().context("--work DIR")?.into(),
            other => anyhow::bail!("usage: scale [--smoke] [--out FILE] [--bin DIR] [--work DIR]: {other}"),
        }
    }
    Ok(a)
}

async fn open_sqlite(dir: &std::path::Path) -> Result<Arc<dyn DataStore>> {
    std::fs::create_dir_all(dir.join("data"))?;
    let config = SqlConfig {
        database_type: "sqlite3".into(),
        connection_string: dir.join("data/datastore.sqlite3").display().to_string(),
        ..SqlConfig::default()
    };
    Ok(Arc::new(SqlDataStore::open(&config).await?))
}

async fn seeded(dir: &std::path::Path, shape: Shape) -> Result<(Arc<dyn DataStore>, f64)> {
    let _ = std::fs::remove_dir_all(dir);
    let ds = open_sqlite(dir).await?;
    let t = Instant::now();
    let n = seed::seed(ds.clone(), shape).await?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!("seeded {n} entries, {} agents in {secs:.1} s", shape.agents);
    Ok((ds, secs))
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = args()?;
    let (big, small, reps) = if a.smoke {
        (Shape { entries: 2_000, agents: 200, big: 100 }, Shape { entries: 500, agents: 50, big: 20 }, 2)
    } else {
        (Shape { entries: 100_000, agents: 10_000, big: 1_000 }, Shape { entries: 10_000, agents: 1_000, big: 100 }, 5)
    };
    let work = a.work.join(format!("spire-scale-{}", std::process::id()));
    let mut r = report::Report { smoke: a.smoke, shape: big, reps, ..Default::default() };

    let (ds, seed_secs) = seeded(&work.join("big"), big).await?;
    r.seed_secs = seed_secs;
    let ds = Arc::new(Counting::new(ds));
    (r.build, r.cache_len) = measure::full_build(&ds, reps).await?;
    eprintln!("full build: {:?}", r.build);
    let (cache, clock) = measure::warm_cache(&ds).await?;
    (r.big_cached, r.big_seen) = measure::one_agent(&ds, &cache, &clock, 0, reps, false).await?;
    (r.big_polled, _) = measure::one_agent(&ds, &cache, &clock, 0, reps, true).await?;
    (r.small_polled, r.small_seen) = measure::one_agent(&ds, &cache, &clock, 1, reps, true).await?;
    (r.storm, r.storm_entries) = measure::storm(&ds, Arc::new(cache), &clock, big.agents, 16).await?;
    eprintln!("syncs: {:?} {:?} storm {:?}", r.big_cached, r.big_polled, r.storm);
    drop(ds);

    let (small_ds, _) = seeded(&work.join("small"), small).await?;
    drop(small_ds);
    for (shape, dir) in [(small, work.join("small")), (big, work.join("big"))] {
        let rss = server::measure(&a.bin, &dir).await?;
        eprintln!("RSS with {} entries: {rss:?}", shape.entries);
        r.rss.push((shape.entries, rss));
    }
    r.bin = a.bin.display().to_string();
    let md = r.markdown();
    println!("{md}");
    if let Some(out) = a.out {
        std::fs::write(&out, md)?;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
