//! Scenario 1: stripped binary sizes.

use std::path::Path;

use anyhow::{Context, Result};

use crate::results::{Results, Target};

/// `stripped` holds `<impl>/spire-{agent,server}` copies made by `strip`.
pub fn run(stripped: &Path, imp: &str, results: &mut Results) -> Result<()> {
    for bin in ["spire-agent", "spire-server"] {
        let path = stripped.join(imp).join(bin);
        let len = std::fs::metadata(&path).with_context(|| format!("{}", path.display()))?.len();
        let name = format!("{bin} stripped size");
        results.record(1, &name, "MiB", Some(Target::AtMost(0.35)), imp, len as f64 / (1 << 20) as f64);
    }
    Ok(())
}
