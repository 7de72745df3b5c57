//! Where the server's gRPC services are reachable: the admin Unix socket and the TCP port
//! with TLS. Each listener tags every request with who is calling ([`Caller`]).

mod caller;
mod tcp;
mod uds;

pub use caller::{Caller, TlsConnectInfo};
pub use tcp::{TlsConn, TlsIncoming, bind_tcp, tls_incoming};
pub use uds::bind_uds;
