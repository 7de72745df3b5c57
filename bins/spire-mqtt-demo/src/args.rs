//! `--name value` flags, the few this demo needs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};

pub const USAGE: &str = "usage:
  spire-mqtt-demo robot --robot-id ID --broker-ca FILE [--socket PATH] [--host localhost]
                        [--port 8883] [--topic robots/ID/heartbeat] [--interval-ms 2000]
                        [--spiffe-id ID] [--client-id ID]
      (--socket defaults to $SPIFFE_ENDPOINT_SOCKET)
  spire-mqtt-demo fleet [--host 127.0.0.1] [--port 1883] [--filter robots/+/heartbeat]
                        [--client-id fleet-demo]";

#[derive(Debug)]
pub struct Args(BTreeMap<String, String>);

impl Args {
    pub fn parse(mut argv: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut flags = BTreeMap::new();
        while let Some(flag) = argv.next() {
            let Some(name) = flag.strip_prefix("--") else {
                bail!("unexpected argument {flag:?}");
            };
            let value = argv
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            flags.insert(name.to_owned(), value);
        }
        Ok(Self(flags))
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    pub fn required(&self, name: &str) -> anyhow::Result<String> {
        self.optional(name)
            .with_context(|| format!("--{name} is required"))
    }

    pub fn number(&self, name: &str, default: u64) -> anyhow::Result<u64> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} {v:?}: not a number")),
        }
    }

    /// `--socket`, else `SPIFFE_ENDPOINT_SOCKET` (`unix:///path` or `unix:/path`).
    pub fn workload_socket(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = self.optional("socket") {
            return Ok(path.into());
        }
        let endpoint = std::env::var("SPIFFE_ENDPOINT_SOCKET")
            .context("--socket is required when SPIFFE_ENDPOINT_SOCKET is not set")?;
        let path = endpoint
            .strip_prefix("unix://")
            .or_else(|| endpoint.strip_prefix("unix:"))
            .with_context(|| format!("SPIFFE_ENDPOINT_SOCKET {endpoint:?}: not a unix: address"))?;
        Ok(path.into())
    }
}
