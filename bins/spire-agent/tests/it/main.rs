//! End-to-end tests of the spire-agent binary against a real spire-server, on temp dirs.

mod agent;
mod support;
