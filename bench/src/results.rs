//! What a run measured: scalar metrics per implementation (one value per round), latency
//! samples and memory timelines for the plots, and the machine's crypto limits.

use serde::Serialize;

use crate::crypto::CryptoLimits;

#[derive(Debug, Default, Serialize)]
pub struct Results {
    pub smoke: bool,
    pub crypto: Option<CryptoLimits>,
    pub metrics: Vec<Metric>,
    pub latency: Vec<Series>,
    pub timelines: Vec<Series>,
    pub notes: Vec<String>,
}

/// One number measured on both implementations; `ours`/`stock` hold one value per round.
#[derive(Debug, Serialize)]
pub struct Metric {
    pub scenario: u8,
    pub name: String,
    pub unit: String,
    pub ours: Vec<f64>,
    pub stock: Vec<f64>,
    pub target: Option<Target>,
}

/// A goal on the ratio spire-rs / stock.
#[derive(Debug, Clone, Serialize)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
    /// A goal on spire-rs's own value (not a ratio).
    OursAtLeast(f64),
}

/// Samples for a plot: latencies in ms, or (seconds, MiB) points.
#[derive(Debug, Serialize)]
pub struct Series {
    pub name: String,
    pub implementation: String,
    pub values: Vec<f64>,
    pub points: Vec<(f64, f64)>,
}

impl Results {
    pub fn record(&mut self, scenario: u8, name: &str, unit: &str, target: Option<Target>, imp: &str, value: f64) {
        let idx = match self.metrics.iter().position(|m| m.name == name) {
            Some(i) => i,
            None => {
                self.metrics.push(Metric {
                    scenario,
                    name: name.to_owned(),
                    unit: unit.to_owned(),
                    ours: Vec::new(),
                    stock: Vec::new(),
                    target,
                });
                self.metrics.len() - 1
            }
        };
        let m = &mut self.metrics[idx];
        if imp == "spire-rs" { m.ours.push(value) } else { m.stock.push(value) }
    }

    pub fn series<'a>(list: &'a mut Vec<Series>, name: &str, imp: &str) -> &'a mut Series {
        let idx = match list.iter().position(|s| s.name == name && s.implementation == imp) {
            Some(i) => i,
            None => {
                list.push(Series { name: name.into(), implementation: imp.into(), values: vec![], points: vec![] });
                list.len() - 1
            }
        };
        &mut list[idx]
    }
}

/// Median of `v` (mean of the middle two when even); NaN when empty.
pub fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Nearest-rank-with-interpolation percentile of `v`; NaN when empty.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = p / 100.0 * (s.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (rank - lo as f64)
}
