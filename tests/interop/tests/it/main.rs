//! Interop: spire-rs against software nobody here wrote — stock SPIRE v1.13.3 (server, agent,
//! CLI) and go-spiffe v2.9.0 — with real processes on temp dirs, loopback ports and sockets.
//! Peers come from tests/interop/build-peers; docs/INTEROP.md has the matrix. Every test is
//! `#[ignore]`d (a missing peer fails it, it never passes by skipping): scripts/test runs them
//! in CI, where .ci/run installs the peers, with `--ignored --skip _as_root`.

mod support;

mod admin_cli;
mod cli_output;
mod jwt;
mod our_agent;
mod stock_agent;
mod upgrade;
