//! `spire-edge-tests` has no library: its tests (tests/it) start real Mosquitto, spire-server,
//! spire-agent and spire-mqtt-demo processes from target/<profile>.
