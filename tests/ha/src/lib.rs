//! Support for the HA tests: a fresh PostgreSQL database per test (from
//! `SPIRE_RS_TEST_POSTGRES`, exported by `scripts/ci-databases start`), real `spire-server`
//! and `spire-agent` processes from `target/<profile>/`, and a TCP forwarder standing in for
//! a load balancer in front of the servers. Test support only: panics say what is missing.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod lb;
mod postgres;
mod process;

pub use lb::TcpLoadBalancer;
pub use postgres::{TestDatabase, block_on, postgres_url};
pub use process::{Agent, Server, bin, create_args, entry_id_of, free_port, my_uid, tail};
