//! Which services each listener serves.

use tonic::transport::Server;
use tonic::transport::server::Router;

use crate::context::ServerContext;

/// The SPIRE server APIs shared by the admin socket and the TCP listener.
pub fn add_services(builder: Server, ctx: ServerContext) -> Router {
    // Placeholder until the API services land: health only.
    let _ = ctx;
    let (_, health) = tonic_health::server::health_reporter();
    let mut builder = builder;
    builder.add_service(health)
}
