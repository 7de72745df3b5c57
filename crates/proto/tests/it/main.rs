//! Integration tests for spire-proto: the wire encoding matches the SPIRE
//! contract (field numbers, service names) and the serde impls match Go's
//! protojson as the SPIRE CLIs configure it.

mod descriptor;
mod json;
mod wire;
