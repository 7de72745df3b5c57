//! The gRPC channel to the SPIRE server: TCP to `server_address:server_port`, TLS from
//! `spire_tls::agent_client_config` (server pinned to `spiffe://<td>/spire/server`, the agent
//! SVID presented when there is one), HTTP/2 by tonic.
//!
//! The channel is lazy and reconnects by itself when the server restarts. After the agent SVID
//! rotates, [`ServerConnection::reset`] drops the channel so the next call handshakes again
//! and presents the new SVID, as SPIRE's client releases its connection.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls_pki_types::ServerName;
use spire_tls::{KeyManagerSvidResolver, ServerIdVerifier};
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint};

/// How long establishing a TCP + TLS connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("server address {address:?} is neither an IP address nor a DNS name")]
    ServerName { address: String },
    #[error("TLS client configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// Where and how to reach the server; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerConnection {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    address: String,
    port: u16,
    server_name: ServerName<'static>,
    tls: Arc<rustls::ClientConfig>,
    verifier: Arc<ServerIdVerifier>,
    resolver: Arc<KeyManagerSvidResolver>,
    channel: Mutex<Option<Channel>>,
}

impl ServerConnection {
    pub fn new(
        address: &str,
        port: u16,
        verifier: Arc<ServerIdVerifier>,
        resolver: Arc<KeyManagerSvidResolver>,
    ) -> Result<Self, ConnectError> {
        let server_name =
            ServerName::try_from(address.to_owned()).map_err(|_| ConnectError::ServerName {
                address: address.to_owned(),
            })?;
        let config = spire_tls::agent_client_config(Arc::clone(&verifier), Arc::clone(&resolver))?;
        Ok(Self {
            inner: Arc::new(Inner {
                address: address.to_owned(),
                port,
                server_name,
                tls: Arc::new(config),
                verifier,
                resolver,
                channel: Mutex::new(None),
            }),
        })
    }

    /// The server verifier, whose roots follow the bundle.
    pub fn verifier(&self) -> &Arc<ServerIdVerifier> {
        &self.inner.verifier
    }

    /// The agent SVID presented to the server.
    pub fn resolver(&self) -> &Arc<KeyManagerSvidResolver> {
        &self.inner.resolver
    }

    /// `address:port`, for logs.
    pub fn target(&self) -> String {
        format!("{}:{}", self.inner.address, self.inner.port)
    }

    /// The shared channel, created on first use.
    pub fn channel(&self) -> Channel {
        let mut slot = self
            .inner
            .channel
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| self.new_channel()).clone()
    }

    /// A channel of its own, closed when dropped (node attestation uses one per attempt).
    pub fn dedicated_channel(&self) -> Channel {
        self.new_channel()
    }

    /// Forgets the shared channel: the next call opens a new connection (new SVID, new
    /// bundle roots).
    pub fn reset(&self) {
        self.inner
            .channel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    fn new_channel(&self) -> Channel {
        let inner = Arc::clone(&self.inner);
        // The URI only feeds the :authority header; TCP and TLS are the connector's job.
        let endpoint = Endpoint::from_static("http://spire-server")
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true);
        endpoint.connect_with_connector_lazy(tower::service_fn(move |_| {
            let inner = Arc::clone(&inner);
            async move {
                let tcp = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    tokio::net::TcpStream::connect((inner.address.as_str(), inner.port)),
                )
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
                let _ = tcp.set_nodelay(true);
                let tls = TlsConnector::from(Arc::clone(&inner.tls))
                    .connect(inner.server_name.clone(), tcp)
                    .await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
    }
}
