//! In-process measurements on a seeded datastore: the full cache build, one agent's sync
//! (the server's own `sync_authorized_entries` driven by a simulated agent), DataStore calls
//! per sync, and a sync storm of every seeded agent once.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use spire_ca::clock::{Clock, FakeClock};
use spire_proto::spire::api::server::entry::v1::SyncAuthorizedEntriesRequest;
use spire_server_runtime::api::convert::entry::proto_from_entry;
use spire_server_runtime::api::entry::{SYNC_PAGE_SIZE, sync_authorized_entries};
use spire_server_runtime::authorized::{AuthorizedEntriesCache, POLL_INTERVAL};
use tokio::sync::mpsc;
use tonic::codegen::tokio_stream::wrappers::ReceiverStream;

use crate::counting::Counting;
use crate::seed::{TD, agent_id};

/// One timed run and the DataStore calls it made.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub ms: f64,
    pub queries: u64,
}

/// What one simulated agent's sync saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncSeen {
    pub entries: usize,
    pub messages: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Builds a fresh cache `reps` times (each one a full read of the entry table).
pub async fn full_build(ds: &Arc<Counting>, reps: usize) -> Result<(Vec<Sample>, usize)> {
    let mut out = Vec::new();
    let mut size = 0;
    for _ in 0..reps {
        let clock: Arc<dyn Clock> = Arc::new(FakeClock::new(SystemTime::now()));
        let cache = AuthorizedEntriesCache::new(ds.clone(), clock);
        ds.take();
        let t = Instant::now();
        size = cache.snapshot().await?.len();
        out.push(Sample { ms: ms(t.elapsed()), queries: ds.take() });
    }
    Ok((out, size))
}

/// A warm cache on a clock the caller moves (so "poll due" is chosen, not raced).
pub async fn warm_cache(ds: &Arc<Counting>) -> Result<(AuthorizedEntriesCache, FakeClock)> {
    let clock = FakeClock::new(SystemTime::now());
    let cache = AuthorizedEntriesCache::new(ds.clone(), Arc::new(clock.clone()));
    cache.snapshot().await?;
    // The first poll after a full load replays the last few events (the cache's replay
    // window) once; take it here so the samples show the steady state.
    clock.advance(POLL_INTERVAL);
    cache.snapshot().await?;
    Ok((cache, clock))
}

/// One full SyncAuthorizedEntries as a fresh agent does it: first request (mask only), the
/// sparse revision pages, then one request for every ID, the full-entry pages.
pub async fn sync_once(cache: &AuthorizedEntriesCache, agent: &str) -> Result<SyncSeen> {
    let trust_domain: spire_spiffe::TrustDomain = TD.parse().context("trust domain")?;
    let authorized = cache.authorized_for(&trust_domain, agent).await?;
    let protos = authorized
        .iter()
        .map(|e| proto_from_entry(e))
        .collect::<Result<Vec<_>, _>>()
        .context("entry to proto")?;
    let (req_tx, req_rx) = mpsc::channel(4);
    let (out_tx, mut out_rx) = mpsc::channel(4);
    let server = tokio::spawn(async move {
        sync_authorized_entries(ReceiverStream::new(req_rx), &out_tx, &protos, SYNC_PAGE_SIZE)
            .await
    });
    req_tx.send(Ok(SyncAuthorizedEntriesRequest::default())).await?;
    let mut seen = SyncSeen::default();
    let mut ids = Vec::new();
    let mut asked = false;
    while let Some(msg) = out_rx.recv().await {
        let msg = msg?;
        seen.messages += 1;
        seen.entries += msg.entries.len();
        ids.extend(msg.entry_revisions.into_iter().map(|r| r.id));
        if msg.more {
            continue;
        }
        if asked || ids.is_empty() {
            break;
        }
        asked = true;
        let request = SyncAuthorizedEntriesRequest {
            ids: std::mem::take(&mut ids),
            ..SyncAuthorizedEntriesRequest::default()
        };
        req_tx.send(Ok(request)).await?;
    }
    drop(req_tx);
    server.await?.map_err(|s| anyhow::anyhow!("sync: {s}"))?;
    if seen.entries != authorized.len() {
        bail!("agent got {} of {} entries", seen.entries, authorized.len());
    }
    Ok(seen)
}

/// `reps` syncs of agent `index`; `poll_due` moves the clock past the poll interval first so
/// each sync also reads the entry event log (the steady state under load).
pub async fn one_agent(
    ds: &Arc<Counting>,
    cache: &AuthorizedEntriesCache,
    clock: &FakeClock,
    index: usize,
    reps: usize,
    poll_due: bool,
) -> Result<(Vec<Sample>, SyncSeen)> {
    let mut out = Vec::new();
    let mut seen = SyncSeen::default();
    for _ in 0..reps {
        if poll_due {
            clock.advance(POLL_INTERVAL);
        }
        ds.take();
        let t = Instant::now();
        seen = sync_once(cache, &agent_id(index)).await?;
        out.push(Sample { ms: ms(t.elapsed()), queries: ds.take() });
    }
    Ok((out, seen))
}

/// Every agent syncs once, `parallel` at a time, after one poll interval: total wall time,
/// DataStore calls, entries delivered.
pub async fn storm(
    ds: &Arc<Counting>,
    cache: Arc<AuthorizedEntriesCache>,
    clock: &FakeClock,
    agents: usize,
    parallel: usize,
) -> Result<(Sample, usize)> {
    clock.advance(POLL_INTERVAL);
    ds.take();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..parallel {
        let cache = cache.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for i in (w..agents).step_by(parallel) {
                n += sync_once(&cache, &agent_id(i)).await?.entries;
            }
            anyhow::Ok(n)
        }));
    }
    let mut entries = 0;
    for task in tasks {
        entries += task.await??;
    }
    Ok((Sample { ms: ms(t.elapsed()), queries: ds.take() }, entries))
}
