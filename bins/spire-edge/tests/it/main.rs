//! spire-edge against real processes: spire-server, spire-edge and the spire-agent it runs.

mod edge;
mod support;
