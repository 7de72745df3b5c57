//! Where the server's gRPC services are reachable: the admin Unix socket and the TCP port
//! with TLS. Each listener tags every request with who is calling ([`Caller`]) and bounds what
//! clients may hold ([`ConnectionLimits`], [`ConnectionBudget`]).

mod budget;
mod caller;
mod limits;
mod tcp;
mod uds;

pub use budget::{ConnectionBudget, EVICTABLE_AFTER, Slot, Tracked};
pub use caller::{Caller, TlsConnectInfo};
pub use limits::{
    ADMIN_CONNECTIONS, ConnectionLimits, HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, LimitsError,
    MAX_CONCURRENT_STREAMS, MAX_CONNECTION_AGE, MAX_HEADER_LIST_SIZE, MAX_MESSAGE_SIZE,
    RESERVED_FDS, raise_fd_limit,
};
pub use tcp::{TlsConn, TlsIncoming, bind_tcp, tls_incoming};
pub use uds::{UdsIncoming, bind_uds, uds_incoming};
