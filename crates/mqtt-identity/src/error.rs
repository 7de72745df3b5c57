//! What can go wrong on the robot link; each variant names the resource at fault.

use std::path::PathBuf;

/// Why a connection attempt or session failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("Workload API at {socket}: {message}")]
    WorkloadApi { socket: PathBuf, message: String },
    #[error("Workload API at {socket} returned no X509-SVID{wanted}")]
    NoSvid { socket: PathBuf, wanted: String },
    #[error("X509-SVID {spiffe_id}: {message}")]
    BadSvid { spiffe_id: String, message: String },
    #[error("broker CA file {path}: {message}")]
    BrokerCa { path: PathBuf, message: String },
    #[error("TLS client configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("MQTT connection to {broker}: {source}")]
    Connection {
        broker: String,
        source: Box<rumqttc::ConnectionError>,
    },
    #[error("MQTT request: {0}")]
    Client(#[from] rumqttc::ClientError),
    #[error("MQTT broker {broker} answered {packet} instead of CONNACK")]
    Handshake { broker: String, packet: String },
}
