//! One mTLS session with the broker, opened with a freshly fetched X509-SVID.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, EventLoop, MqttOptions, Packet, TlsConfiguration,
    Transport,
};

use crate::{LinkError, renewal, tls, workload};

/// Where the broker is and how to identify.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The agent's Workload API socket.
    pub workload_socket: PathBuf,
    /// The SVID to present when the workload has several (`None` = the first).
    pub spiffe_id: Option<String>,
    /// The broker's host name or IP; it must match the broker certificate's SAN.
    pub host: String,
    /// The broker's mTLS port (8883 by convention).
    pub port: u16,
    /// PEM CA certificates that sign the broker's server certificate.
    pub broker_ca: PathBuf,
    pub client_id: String,
    pub keep_alive: Duration,
}

/// What the session's SVID is; no key material.
#[derive(Debug, Clone)]
pub struct SvidSummary {
    pub spiffe_id: String,
    pub serial: String,
    pub common_name: Option<String>,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

/// A connected session: the broker has accepted the SVID (CONNACK success).
pub struct Session {
    client: AsyncClient,
    eventloop: EventLoop,
    svid: SvidSummary,
    renew_at: SystemTime,
    broker: String,
}

/// Fetches the SVID, builds the TLS configuration and connects. The transport is always TLS:
/// there is no code path here that opens a plaintext connection.
pub async fn connect(config: &LinkConfig) -> Result<Session, LinkError> {
    let svid =
        workload::fetch_x509_svid(&config.workload_socket, config.spiffe_id.as_deref()).await?;
    let roots = tls::broker_roots(&config.broker_ca)?;
    let tls_config = tls::client_config(&svid, roots)?;
    let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
    options.set_keep_alive(config.keep_alive);
    options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
        tls_config,
    )));
    let (client, mut eventloop) = AsyncClient::new(options, 32);
    let broker = format!("{}:{}", config.host, config.port);
    match eventloop.poll().await {
        Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code == ConnectReturnCode::Success => {}
        Ok(other) => {
            return Err(LinkError::Handshake {
                broker,
                packet: format!("{other:?}"),
            });
        }
        Err(source) => {
            return Err(LinkError::Connection {
                broker,
                source: Box::new(source),
            });
        }
    }
    let now = SystemTime::now();
    Ok(Session {
        client,
        eventloop,
        renew_at: renewal::renew_at(svid.not_before, svid.not_after, now),
        svid: SvidSummary {
            spiffe_id: svid.spiffe_id,
            serial: svid.serial,
            common_name: svid.common_name,
            not_before: svid.not_before,
            not_after: svid.not_after,
        },
        broker,
    })
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("broker", &self.broker)
            .field("svid", &self.svid)
            .field("renew_at", &self.renew_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The handle to publish and subscribe with; requests go out while [`Session::poll`] runs.
    pub fn client(&self) -> &AsyncClient {
        &self.client
    }

    pub fn svid(&self) -> &SvidSummary {
        &self.svid
    }

    /// When to reconnect with a fresh SVID (its half life).
    pub fn renew_at(&self) -> SystemTime {
        self.renew_at
    }

    /// The time left until [`Session::renew_at`].
    pub fn renew_in(&self) -> Duration {
        self.renew_at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }

    /// Drives the connection: the next packet in or out. An error ends the session; the
    /// caller reconnects through [`connect`] (fresh SVID), never through rumqttc's automatic
    /// reconnect, which would reuse the old certificate.
    pub async fn poll(&mut self) -> Result<Event, LinkError> {
        self.eventloop
            .poll()
            .await
            .map_err(|source| LinkError::Connection {
                broker: self.broker.clone(),
                source: Box::new(source),
            })
    }

    /// Sends DISCONNECT and lets the event loop flush it (bounded to two seconds).
    pub async fn close(mut self) {
        if self.client.try_disconnect().is_err() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while self.eventloop.poll().await.is_ok() {}
        })
        .await;
    }
}
