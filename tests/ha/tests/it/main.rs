//! HA, scale and fault tests with real `spire-server`/`spire-agent` processes on PostgreSQL
//! (`SPIRE_RS_TEST_POSTGRES`; skipped with a printed reason when unset outside CI). Build
//! the binaries first: `cargo build -p spire-server -p spire-agent`.
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
