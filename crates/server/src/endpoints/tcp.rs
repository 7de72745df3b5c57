//! The TCP API: each connection takes a slot of the TCP [`ConnectionBudget`] before it is
//! accepted, TLS handshakes run in their own tasks (bounded by a timeout) so a slow client
//! cannot stall accepts, and each finished connection carries a [`TlsConnectInfo`].

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use super::TlsConnectInfo;
use super::budget::{ConnectionBudget, Tracked};

/// Finished handshakes waiting for the gRPC server to pick them up.
const PENDING_CONNECTIONS: usize = 128;

/// Binds the TCP API listener.
pub async fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// A stream of TLS connections for `tonic`'s `serve_with_incoming`.
pub type TlsIncoming = ReceiverStream<Result<TlsConn, std::io::Error>>;

/// Accepts connections on `listener` within `budget`, handshakes each with `config` (giving up
/// after `handshake_timeout`), and yields them.
pub fn tls_incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    budget: ConnectionBudget,
    handshake_timeout: Duration,
) -> TlsIncoming {
    let (tx, rx) = mpsc::channel(PENDING_CONNECTIONS);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let slot = tokio::select! {
                slot = budget.acquire() => slot,
                () = tx.closed() => return,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "Failed to accept TCP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Without TCP_NODELAY, Nagle's algorithm holds small HTTP/2 frames until the
            // peer's delayed ACK (~40 ms on Linux): every unary call would pay it.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(peer = %peer, error = %e, "Failed to set TCP_NODELAY");
            }
            let stream = budget.track(stream, slot);
            let acceptor = acceptor.clone();
            let conn_tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        let _ = conn_tx.send(Ok(TlsConn::new(tls, peer))).await;
                    }
                    Ok(Err(e)) => tracing::debug!(peer = %peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                }
            });
            if tx.is_closed() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// One TLS connection, with what the handshake proved about the client.
#[derive(Debug)]
pub struct TlsConn {
    stream: TlsStream<Tracked<TcpStream>>,
    info: TlsConnectInfo,
}

impl TlsConn {
    fn new(stream: TlsStream<Tracked<TcpStream>>, peer: SocketAddr) -> Self {
        let leaf = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|c| c.as_ref().to_vec());
        let peer_spiffe_id = leaf
            .as_deref()
            .and_then(|der| spire_tls::peer_spiffe_id(der).ok());
        Self {
            stream,
            info: TlsConnectInfo {
                peer_addr: Some(peer),
                peer_spiffe_id,
                peer_leaf_der: leaf,
            },
        }
    }
}

impl Connected for TlsConn {
    type ConnectInfo = TlsConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    fn server_config() -> (
        Arc<rustls::ServerConfig>,
        rustls_pki_types::CertificateDer<'static>,
    ) {
        let key = rcgen::KeyPair::generate().expect("P-256 keygen");
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("valid DNS name")
            .self_signed(&key)
            .expect("self-signed");
        let der = cert.der().clone();
        let key =
            rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("PKCS#8 key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .expect("server config");
        (Arc::new(config), der)
    }

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let (config, cert) = server_config();
        let listener = bind_tcp("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let budget = ConnectionBudget::new("test", 4, Duration::from_secs(60));
        let mut incoming = tls_incoming(listener, config, budget, Duration::from_secs(10));

        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).expect("root");
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
        let _client = connector.connect(name, tcp).await.expect("handshake");

        let conn = incoming
            .next()
            .await
            .expect("a connection")
            .expect("handshake ok");
        assert_eq!(conn.info.peer_addr.map(|a| a.ip()), Some(addr.ip()));
        assert!(
            conn.stream
                .get_ref()
                .0
                .get_ref()
                .nodelay()
                .expect("getsockopt"),
            "TCP_NODELAY must be set on accepted API connections"
        );
    }
}
