//! The scenarios, each run against one implementation at a time.

pub mod agent;
pub mod latency;
pub mod server;
pub mod signing;
pub mod sizes;
