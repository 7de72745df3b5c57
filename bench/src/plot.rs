//! PNG plots (plotters, bitmap backend): latency distributions as CDFs and memory over time.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::results::Series;

const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// Registers a system TTF for labels; plots need one (Debian: fonts-dejavu-core).
pub fn init_font() -> Result<()> {
    let path = FONT_PATHS.iter().find(|p| Path::new(p).exists()).context("no DejaVuSans.ttf for plot labels")?;
    let bytes: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    register_font("sans-serif", FontStyle::Normal, bytes).map_err(|_| anyhow!("bad font {path}"))
}

/// One CDF plot of every series whose name starts with `prefix`, latency on a log axis.
pub fn latency_cdf(path: &Path, title: &str, series: &[&Series]) -> Result<()> {
    let max = series.iter().flat_map(|s| s.values.iter()).fold(0.01f64, |a, &b| a.max(b));
    let min = series.iter().flat_map(|s| s.values.iter()).fold(f64::MAX, |a, &b| a.min(b)).max(0.001);
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((min * 0.9..max * 1.1).log_scale(), 0.0..100.0)
        .map_err(err)?;
    chart.configure_mesh().x_desc("latency (ms, log)").y_desc("percentile").draw().map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let mut v = s.values.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len().max(1) as f64;
        let color = color_for(&s.implementation, i);
        let points = v.iter().enumerate().map(|(k, &x)| (x, (k + 1) as f64 / n * 100.0));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(err)?
            .label(format!("{} {}", s.implementation, s.name))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// RSS (MiB) over time (s) for each series.
pub fn timeline(path: &Path, title: &str, series: &[&Series]) -> Result<()> {
    let tmax = series.iter().flat_map(|s| s.points.iter()).fold(1.0f64, |a, p| a.max(p.0));
    let ymax = series.iter().flat_map(|s| s.points.iter()).fold(1.0f64, |a, p| a.max(p.1));
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..tmax, 0.0..ymax * 1.1)
        .map_err(err)?;
    chart.configure_mesh().x_desc("seconds").y_desc("RSS (MiB)").draw().map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let color = color_for(&s.implementation, i);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(s.implementation.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Blues for spire-rs, reds for stock, darker for later series.
fn color_for(imp: &str, i: usize) -> RGBColor {
    let shade = [0u8, 70, 140][(i / 2) % 3];
    if imp == "spire-rs" { RGBColor(shade / 2, shade, 200) } else { RGBColor(210, shade, shade / 2) }
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}
