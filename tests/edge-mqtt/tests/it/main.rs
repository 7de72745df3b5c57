//! End-to-end tests of the robot MQTT link with real processes: Mosquitto (Debian), our
//! spire-server (BundlePublisher "disk" writes Mosquitto's cafile), our spire-agent, and the
//! spire-mqtt-demo robot and fleet clients. Binaries come from target/<profile>, beside this
//! test executable (`cargo build --workspace --bins` first, as scripts/test does).
//!
//! Without Mosquitto the tests print why and pass, unless `CI` is set: then they fail.

mod certs;
mod fleet;
mod mqtt;
mod process;
