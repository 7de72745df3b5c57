//! The markdown written to docs/BENCHMARKS-scale.md.

use std::fmt::Write;

use crate::measure::{Sample, SyncSeen};
use crate::seed::{ALIAS_CHILDREN, GROUPS, Shape};
use crate::server::Rss;

#[derive(Debug)]
pub struct Report {
    pub smoke: bool,
    pub shape: Shape,
    pub reps: usize,
    pub bin: String,
    pub seed_secs: f64,
    pub cache_len: usize,
    pub build: Vec<Sample>,
    pub big_cached: Vec<Sample>,
    pub big_polled: Vec<Sample>,
    pub big_seen: SyncSeen,
    pub small_polled: Vec<Sample>,
    pub small_seen: SyncSeen,
    pub storm: Sample,
    pub storm_entries: usize,
    pub rss: Vec<(usize, Rss)>,
}

impl Default for Report {
    fn default() -> Self {
        let zero = Sample { ms: 0.0, queries: 0 };
        Self {
            smoke: false,
            shape: Shape { entries: 0, agents: 0, big: 0 },
            reps: 0,
            bin: String::new(),
            seed_secs: 0.0,
            cache_len: 0,
            build: Vec::new(),
            big_cached: Vec::new(),
            big_polled: Vec::new(),
            big_seen: SyncSeen::default(),
            small_polled: Vec::new(),
            small_seen: SyncSeen::default(),
            storm: zero,
            storm_entries: 0,
            rss: Vec::new(),
        }
    }
}

fn median(samples: &[Sample]) -> (f64, u64) {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    let mut q: Vec<u64> = samples.iter().map(|s| s.queries).collect();
    q.sort_unstable();
    (ms.get(ms.len() / 2).copied().unwrap_or(0.0), q.get(q.len() / 2).copied().unwrap_or(0))
}

impl Report {
    pub fn markdown(&self) -> String {
        let s = self.shape;
        let mut m = String::new();
        let _ = writeln!(m, "## Results{}\n", if self.smoke { " (smoke size, not for comparison)" } else { "" });
        let _ = writeln!(
            m,
            "SQLite, {} entries ({} node aliases with {} children each, {} entries on the one \"big\" agent, the rest spread over the other agents), {} agents with 3 node selectors each; seeded through the DataStore API in {:.0} s. Medians of {} runs; \"DB queries\" = DataStore calls (see above).\n",
            self.cache_len, GROUPS, ALIAS_CHILDREN, s.big, s.agents, self.seed_secs, self.reps
        );
        let _ = writeln!(m, "| measurement | median | DB queries |\n|---|---:|---:|");
        let (ms, q) = median(&self.build);
        let _ = writeln!(m, "| (a) full authorized-entry cache build ({} entries) | {ms:.0} ms | {q} |", self.cache_len);
        let (ms, q) = median(&self.big_cached);
        let _ = writeln!(m, "| (b) sync of the big agent ({} entries, {} messages), warm cache, poll not due | {ms:.1} ms | {q} |", self.big_seen.entries, self.big_seen.messages);
        let (ms, q) = median(&self.big_polled);
        let _ = writeln!(m, "| (b) same, event-log poll due (steady state) | {ms:.1} ms | {q} |");
        let (ms, q) = median(&self.small_polled);
        let _ = writeln!(m, "| (b) sync of a typical agent ({} entries), poll due | {ms:.2} ms | {q} |", self.small_seen.entries);
        let st = self.storm;
        let _ = writeln!(
            m,
            "| (c) every agent syncs once ({} syncs, 16 at a time, {} entries delivered) | {:.0} ms total, {:.3} ms/sync | {} total, {:.3}/sync |",
            s.agents, self.storm_entries, st.ms, st.ms / s.agents as f64, st.queries, st.queries as f64 / s.agents as f64
        );
        let _ = writeln!(m, "\n(d) spire-server RSS (`{}`), one run each:\n", self.bin);
        let _ = writeln!(m, "| entries in DB | VmRSS started, healthy | VmRSS after one agent's sync (cache warm) |\n|---:|---:|---:|");
        for (n, r) in &self.rss {
            let _ = writeln!(m, "| {n} | {:.1} MiB | {:.1} MiB |", r.cold_mib, r.warm_mib);
        }
        m
    }
}
