//! MQTT over mutual TLS with the workload's own X509-SVID, for robots talking to a Mosquitto
//! broker. The client fetches its certificate, key and chain from the SPIFFE Workload API at
//! every (re)connect, verifies the broker against a configured CA file, presents the SVID, and
//! reconnects at the SVID's half life so the broker never sees an expired certificate.
//!
//! Security decision: the robot link ([`link`], [`robot`]) has no plaintext mode at all. A TLS
//! or Workload API failure is an error that is retried with backoff on the same TLS port; the
//! type that opens robot connections cannot express a non-TLS transport. The only plaintext
//! client here is [`fleet::subscribe_plain`], named for what it is: the fleet server reading
//! from the broker's loopback-only listener.
//!
//! This crate is a leaf: it is the only one depending on rumqttc (which pulls a second webpki
//! and ring), and nothing in the agent or server depends on it. It does not verify the broker
//! with SPIFFE (the broker's certificate is not an SVID), and it does not watch the Workload
//! API stream: half-life reconnects bound the staleness instead.

mod backoff;
mod error;
pub mod fleet;
pub mod link;
pub mod renewal;
pub mod robot;
pub mod tls;
pub mod workload;

pub use backoff::Backoff;
pub use error::LinkError;
pub use link::{LinkConfig, Session};
pub use workload::WorkloadSvid;
