//! How big each scenario is: the full run (docs/BENCHMARKS.md) or the smoke run (CI).

#[derive(Debug, Clone)]
pub struct Plan {
    /// Rounds of the agent and signing scenarios; implementations alternate within a round
    /// and the order flips each round.
    pub rounds: usize,
    /// Agent starts timed per implementation per round (scenario 5).
    pub start_trials: usize,
    /// Entries an agent syncs (scenario 6), parented to it with selectors no workload has.
    pub sync_sizes: [usize; 2],
    /// SVIDs the agent caches for the RSS readings (scenario 2).
    pub cached: [usize; 2],
    /// Entries in the server for its RSS readings (scenario 2) and create throughput (6).
    pub server_entries: [usize; 2],
    /// Concurrent Workload API clients (scenario 3) and requests per cell.
    pub clients: Vec<usize>,
    pub requests: usize,
    /// BatchNewX509SVID load (scenario 4): SVIDs in total, entries, CSRs per call, workers.
    pub sign_total: usize,
    pub sign_entries: usize,
    pub sign_batch: usize,
    pub sign_workers: usize,
    /// Wait before an RSS reading (the servers rebuild their entry caches every 5 s).
    pub settle_secs: u64,
}

impl Plan {
    pub fn full() -> Plan {
        Plan {
            rounds: 2,
            start_trials: 3,
            sync_sizes: [1_000, 10_000],
            cached: [100, 1_000],
            server_entries: [10_000, 100_000],
            clients: vec![1, 50, 200],
            requests: 1_000,
            sign_total: 20_000,
            sign_entries: 500,
            sign_batch: 50,
            sign_workers: 4,
            settle_secs: 7,
        }
    }

    pub fn smoke() -> Plan {
        Plan {
            rounds: 1,
            start_trials: 1,
            sync_sizes: [10, 30],
            cached: [3, 6],
            server_entries: [50, 150],
            clients: vec![1, 4],
            requests: 8,
            sign_total: 100,
            sign_entries: 20,
            sign_batch: 10,
            sign_workers: 2,
            settle_secs: 1,
        }
    }
}
