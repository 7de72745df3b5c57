//! HA, scale and fault tests with real `spire-server`/`spire-agent` processes on PostgreSQL
//! (`SPIRE_RS_TEST_POSTGRES`). Every test is `#[ignore]`d (a missing database fails it, it
//! never passes by skipping): scripts/test runs them in CI, where .ci/run starts PostgreSQL,
//! with `--ignored --skip _as_root`. Build the binaries first: `cargo build --workspace --bins`.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod failover;
mod postgres_restart;
mod sync_20k;

/// The node entry every agent here is attested under (`token generate -spiffeID`).
pub const NODE_ID: &str = "spiffe://example.org/ha-node";

/// One test at a time: `postgres_restart` takes the shared PostgreSQL down, which would fail
/// the others mid-run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
