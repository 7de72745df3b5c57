//! Who is calling: derived from the transport a request arrived on.

use spire_spiffe::SpiffeId;
use tonic::transport::server::UdsConnectInfo;

/// Connection facts of a TLS connection on the TCP API.
#[derive(Debug, Clone)]
pub struct TlsConnectInfo {
    pub peer_addr: Option<std::net::SocketAddr>,
    /// The SPIFFE ID of the verified client certificate; `None` when the client sent none.
    pub peer_spiffe_id: Option<SpiffeId>,
    /// The verified client leaf certificate (DER), kept for agent serial checks.
    pub peer_leaf_der: Option<Vec<u8>>,
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// On the admin Unix socket: trusted as a local operator (SPIRE's `allow_local`).
    Local,
    /// On TCP with a verified X509-SVID.
    Svid { spiffe_id: SpiffeId },
    /// On TCP without a client certificate.
    Anonymous,
}

impl Caller {
    /// Reads the caller from the connection info the listener attached to the request.
    pub fn of<T>(request: &tonic::Request<T>) -> Caller {
        if request.extensions().get::<UdsConnectInfo>().is_some() {
            return Caller::Local;
        }
        match request.extensions().get::<TlsConnectInfo>() {
            Some(TlsConnectInfo {
                peer_spiffe_id: Some(id),
                ..
            }) => Caller::Svid {
                spiffe_id: id.clone(),
            },
            _ => Caller::Anonymous,
        }
    }
}
