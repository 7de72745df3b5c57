//! SPIRE's server gRPC APIs (`spire.api.server.{entry,agent,bundle,svid}.v1`) as thin
//! adapters over [`ServerContext`]: wire types are converted and validated once in
//! [`convert`], errors become statuses in [`status`], and [`authz`] decides who may call.
//!
//! These services hold no state of their own and make no policy beyond SPIRE's validation
//! and authorization rules; persistence is the DataStore's, signing the CA's.

pub mod agent;
pub mod authz;
pub mod bundle;
pub mod convert;
pub mod entry;
pub mod paging;
pub mod ratelimit;
pub mod status;
pub mod svid;

#[cfg(test)]
mod testing;

use spire_proto::spire::api::server::agent::v1::agent_server::AgentServer;
use spire_proto::spire::api::server::bundle::v1::bundle_server::BundleServer;
use spire_proto::spire::api::server::entry::v1::entry_server::EntryServer;
use spire_proto::spire::api::server::svid::v1::svid_server::SvidServer;

pub use agent::AgentApi;
pub use bundle::BundleApi;
pub use entry::EntryApi;
pub use svid::SvidApi;

use crate::context::ServerContext;

/// The four admin-facing services, ready to add to a tonic router.
#[derive(Debug, Clone)]
pub struct ServerApis {
    pub entry: EntryServer<EntryApi>,
    pub agent: AgentServer<AgentApi>,
    pub bundle: BundleServer<BundleApi>,
    pub svid: SvidServer<SvidApi>,
}

impl ServerApis {
    /// Adds all four services to `router`.
    pub fn add_to<L>(
        self,
        router: tonic::transport::server::Router<L>,
    ) -> tonic::transport::server::Router<L> {
        router
            .add_service(self.entry)
            .add_service(self.agent)
            .add_service(self.bundle)
            .add_service(self.svid)
    }
}

/// Builds the Entry, Agent, Bundle and SVID services over `ctx`.
pub fn server_apis(ctx: &ServerContext) -> ServerApis {
    ServerApis {
        entry: entry_service(ctx),
        agent: agent_service(ctx),
        bundle: bundle_service(ctx),
        svid: svid_service(ctx),
    }
}

/// `spire.api.server.entry.v1.Entry`.
pub fn entry_service(ctx: &ServerContext) -> EntryServer<EntryApi> {
    EntryServer::new(EntryApi::new(ctx.clone(), ctx.trust_domain.clone()))
}

/// `spire.api.server.agent.v1.Agent`.
pub fn agent_service(ctx: &ServerContext) -> AgentServer<AgentApi> {
    AgentServer::new(AgentApi::new(ctx.clone(), ctx.trust_domain.clone()))
}

/// `spire.api.server.bundle.v1.Bundle`.
pub fn bundle_service(ctx: &ServerContext) -> BundleServer<BundleApi> {
    BundleServer::new(BundleApi::new(ctx.clone(), ctx.trust_domain.clone()))
}

/// `spire.api.server.svid.v1.SVID`.
pub fn svid_service(ctx: &ServerContext) -> SvidServer<SvidApi> {
    SvidServer::new(SvidApi::new(ctx.clone(), ctx.trust_domain.clone()))
}
