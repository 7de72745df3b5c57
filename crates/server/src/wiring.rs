//! Which services each listener serves.

use tonic::transport::Server;
use tonic::transport::server::Router;

use crate::api::server_apis;
use crate::context::ServerContext;
use crate::endpoints::MAX_MESSAGE_SIZE;

/// The SPIRE server APIs shared by the admin socket and the TCP listener, each refusing
/// request messages over [`MAX_MESSAGE_SIZE`] (tonic's default too, stated so it stays).
pub fn add_services(mut builder: Server, ctx: &ServerContext) -> Router {
    let apis = server_apis(ctx);
    builder
        .add_service(apis.entry.max_decoding_message_size(MAX_MESSAGE_SIZE))
        .add_service(apis.agent.max_decoding_message_size(MAX_MESSAGE_SIZE))
        .add_service(apis.bundle.max_decoding_message_size(MAX_MESSAGE_SIZE))
        .add_service(apis.svid.max_decoding_message_size(MAX_MESSAGE_SIZE))
}
