//! The status file: the host's latest health report as JSON, replaced atomically after each
//! round so `spire-edge status` (another process) always reads a whole report.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::plugin::Health;

/// The health of every running plugin at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Seconds since the Unix epoch when the round ran.
    pub updated_unix: u64,
    pub health_interval_secs: u64,
    pub host_pid: u32,
    pub plugins: Vec<PluginStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginStatus {
    pub name: String,
    pub healthy: bool,
    pub health: Health,
}

impl StatusReport {
    pub fn new(health_interval_secs: u64, plugins: Vec<PluginStatus>) -> Self {
        let updated_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            updated_unix,
            health_interval_secs,
            host_pid: std::process::id(),
            plugins,
        }
    }

    pub fn healthy(&self) -> bool {
        self.plugins.iter().all(|p| p.healthy)
    }

    /// Replaces `path` crash-safely (`spire-atomic-file`). 0644: `spire-edge status` may run
    /// as another user, and the file holds no secret.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(spire_atomic_file::parent_dir(path))?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        Ok(spire_atomic_file::replace(path, &json, 0o644)?)
    }

    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }

    /// Text for `spire-edge status`: one line per plugin, one per check.
    pub fn render(&self, now_unix: u64) -> String {
        let age = now_unix.saturating_sub(self.updated_unix);
        let stale = age > 3 * self.health_interval_secs.max(1);
        let mut out = format!(
            "spire-edge (pid {}): {}; checked {age}s ago{}\n",
            self.host_pid,
            if self.healthy() {
                "healthy"
            } else {
                "UNHEALTHY"
            },
            if stale {
                " (STALE: is spire-edge running?)"
            } else {
                ""
            }
        );
        for p in &self.plugins {
            let state = if p.healthy { "healthy" } else { "UNHEALTHY" };
            out.push_str(&format!("{}: {state}\n", p.name));
            for c in &p.health.checks {
                let mark = if c.ok { "ok  " } else { "FAIL" };
                out.push_str(&format!("  {mark} {:<13} {}\n", c.name, c.detail));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file_and_renders_each_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("status.json");
        let mut health = Health::default();
        health.check("process", true, "pid 7");
        health.check("socket", false, "missing");
        let report = StatusReport::new(
            30,
            vec![PluginStatus {
                name: "spire".into(),
                healthy: health.healthy(),
                health,
            }],
        );
        report.write(&path).expect("write");
        let back = StatusReport::read(&path).expect("read");
        assert_eq!(back, report);
        let text = back.render(back.updated_unix + 100);
        assert!(
            text.contains("UNHEALTHY; checked 100s ago (STALE"),
            "{text}"
        );
        assert!(text.contains("  ok   process       pid 7"), "{text}");
        assert!(text.contains("  FAIL socket        missing"), "{text}");
    }
}
