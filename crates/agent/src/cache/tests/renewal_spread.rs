//! The property behind renewal jitter: a burst of SVIDs minted together (agent start, mass
//! deploy) renews spread evenly over the jitter window, not in a herd at its start.
//!
//! The cache is driven the way the manager drives it: one `x509_svids_due` call per tick of a
//! fake clock, a renewed SVID stored for every entry found due. The tick at which each entry
//! first comes due is binned over the window and the bins are checked against the uniform
//! distribution with a chi-square bound. A rule that draws a fresh renewal point on every tick
//! fails this by orders of magnitude (most entries come due in the first few ticks).

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{cache_with, entry, t0};
use crate::cache::CachedX509Svid;

/// Bins over the jitter window; the chi-square test has `BINS - 1` degrees of freedom.
const BINS: u64 = 12;
/// SVIDs in the burst: 100 expected per bin.
const SVIDS: u64 = 1200;
/// Chi-square with 11 degrees of freedom exceeds 60 with probability below 1e-8, so a correct
/// rule fails a run about once in a hundred million cases.
const CHI_SQUARE_BOUND: f64 = 60.0;

fn burst_svid(not_before: SystemTime, lifetime: Duration) -> CachedX509Svid {
    CachedX509Svid {
        cert_chain: vec![vec![1]],
        private_key_pkcs8: vec![2, 2].into(),
        not_before,
        not_after: not_before + lifetime,
        entry_revision: 1,
    }
}

/// Offsets from the burst at which each SVID was found due, ticking every `tick` until the
/// end of the jitter window.
fn renewal_offsets(tick: Duration, lifetime: Duration, seed: u64) -> Vec<Duration> {
    let ids: Vec<String> = (0..SVIDS).map(|i| format!("e{i:05}")).collect();
    let entries = ids.iter().map(|id| entry(id, &["u:1"])).collect();
    let mut cache = cache_with(usize::try_from(SVIDS).expect("small"), entries);
    let mut rng = StdRng::seed_from_u64(seed);
    for id in &ids {
        cache.store_x509_svid(id, burst_svid(t0(), lifetime), &mut rng);
    }
    let window_end = lifetime / 2 + lifetime / 20;
    let mut offsets = Vec::new();
    let mut elapsed = Duration::ZERO;
    while elapsed <= window_end {
        let now = t0() + elapsed;
        for id in cache.x509_svids_due(now) {
            offsets.push(elapsed);
            cache.store_x509_svid(&id, burst_svid(now, lifetime), &mut rng);
        }
        elapsed += tick;
    }
    offsets
}

fn chi_square(counts: &[u64], expected: f64) -> f64 {
    counts
        .iter()
        .map(|&n| (n as f64 - expected).powi(2) / expected)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// Lifetimes are chosen so the window (a fifth of the half life) is a whole number of
    /// ticks per bin: then each bin covers the same number of ticks and uniform renewal
    /// points give equal expected counts.
    #[test]
    fn a_burst_of_svids_renews_uniformly_over_the_jitter_window(
        tick_secs in 1u64..=30,
        ticks_per_bin in 1u64..=8,
        seed in any::<u64>(),
    ) {
        let tick = Duration::from_secs(tick_secs);
        let bin = tick * u32::try_from(ticks_per_bin).expect("small");
        let window = bin * u32::try_from(BINS).expect("small");
        let lifetime = window * 10;
        let window_start = lifetime / 2 - window / 2;

        let offsets = renewal_offsets(tick, lifetime, seed);
        prop_assert_eq!(offsets.len() as u64, SVIDS, "every SVID renews once in the window");
        let mut counts = vec![0u64; BINS as usize];
        for offset in offsets {
            prop_assert!(offset >= window_start, "renewed at {offset:?}, before the window");
            // A renewal point in (start + k·bin, start + (k+1)·bin] is seen at a tick in the
            // same interval, so that tick's bin is k.
            let into = offset - window_start;
            let k = into.as_nanos().div_ceil(bin.as_nanos()).saturating_sub(1);
            counts[usize::try_from(k).expect("small").min(BINS as usize - 1)] += 1;
        }
        let statistic = chi_square(&counts, SVIDS as f64 / BINS as f64);
        prop_assert!(
            statistic < CHI_SQUARE_BOUND,
            "renewals per bin {counts:?} (chi-square {statistic:.1}) are not uniform over the {window:?} window"
        );
    }
}
