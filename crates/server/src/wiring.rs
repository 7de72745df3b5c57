//! Which services each listener serves.

use tonic::transport::Server;
use tonic::transport::server::Router;

use crate::api::{ApiSetupError, server_apis};
use crate::context::ServerContext;

/// The SPIRE server APIs shared by the admin socket and the TCP listener.
pub fn add_services(mut builder: Server, ctx: &ServerContext) -> Result<Router, ApiSetupError> {
    let apis = server_apis(ctx)?;
    Ok(builder
        .add_service(apis.entry)
        .add_service(apis.agent)
        .add_service(apis.bundle)
        .add_service(apis.svid))
}
