//! gRPC over Unix sockets for tonic servers, accepting every gRPC client.
//!
//! gRPC C-core (grpcio, hence py-spiffe; grpcurl) and grpc-java send the socket path as the
//! HTTP/2 `:authority` of requests on a Unix socket, and the HTTP/2 server under tonic
//! refuses such requests as malformed. [`FilteredUnixStream`] sits between an accepted
//! socket and tonic and rewrites each request header block, replacing an invalid
//! `:authority` with `localhost` (what Go clients send); everything else reaches tonic byte
//! for byte.
//!
//! [`prepare_socket_dir`] refuses a socket directory another user could swap the socket in.
//!
//! It does not touch the server→client direction, does not terminate HTTP/2 and does not
//! authenticate anyone: peer credentials are passed on for the server to decide.

pub mod frame;
pub mod header_block;
pub mod socket_dir;
mod stream;

pub use frame::{FrameFilterError, RequestHeaderFilter};
pub use header_block::{HeaderBlockError, HeaderBlockRewriter, REPLACEMENT_AUTHORITY};
pub use socket_dir::{SocketDirError, check_socket_dir, prepare_socket_dir};
pub use stream::FilteredUnixStream;
