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
use spire_spiffe::{SpiffeIdError, TrustDomain};

pub use agent::AgentApi;
pub use bundle::BundleApi;
pub use entry::EntryApi;
pub use svid::SvidApi;

use crate::context::ServerContext;

/// Why the API services could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ApiSetupError {
    #[error("server trust domain {name:?} is not valid: {source}")]
    TrustDomain {
        name: String,
        #[source]
        source: SpiffeIdError,
    },
}

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
pub fn server_apis(ctx: &ServerContext) -> Result<ServerApis, ApiSetupError> {
    Ok(ServerApis {
        entry: entry_service(ctx)?,
        agent: agent_service(ctx)?,
        bundle: bundle_service(ctx)?,
        svid: svid_service(ctx)?,
    })
}

/// `spire.api.server.entry.v1.Entry`.
pub fn entry_service(ctx: &ServerContext) -> Result<EntryServer<EntryApi>, ApiSetupError> {
    Ok(EntryServer::new(EntryApi::new(
        ctx.clone(),
        trust_domain(ctx)?,
    )))
}

/// `spire.api.server.agent.v1.Agent`.
pub fn agent_service(ctx: &ServerContext) -> Result<AgentServer<AgentApi>, ApiSetupError> {
    Ok(AgentServer::new(AgentApi::new(
        ctx.clone(),
        trust_domain(ctx)?,
    )))
}

/// `spire.api.server.bundle.v1.Bundle`.
pub fn bundle_service(ctx: &ServerContext) -> Result<BundleServer<BundleApi>, ApiSetupError> {
    Ok(BundleServer::new(BundleApi::new(
        ctx.clone(),
        trust_domain(ctx)?,
    )))
}

/// `spire.api.server.svid.v1.SVID`.
pub fn svid_service(ctx: &ServerContext) -> Result<SvidServer<SvidApi>, ApiSetupError> {
    Ok(SvidServer::new(SvidApi::new(
        ctx.clone(),
        trust_domain(ctx)?,
    )))
}

fn trust_domain(ctx: &ServerContext) -> Result<TrustDomain, ApiSetupError> {
    TrustDomain::new(&ctx.trust_domain).map_err(|source| ApiSetupError::TrustDomain {
        name: ctx.trust_domain.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::fixture;

    #[tokio::test]
    async fn services_build_for_a_valid_trust_domain() {
        let fx = fixture().await;
        assert!(server_apis(&fx.ctx).is_ok());
    }

    #[tokio::test]
    async fn an_invalid_server_trust_domain_is_named_in_the_error() {
        let fx = fixture().await;
        let mut ctx = fx.ctx.clone();
        ctx.trust_domain = "Example.ORG".into();
        let err = server_apis(&ctx).expect_err("uppercase trust domain refused");
        assert!(
            err.to_string()
                .starts_with("server trust domain \"Example.ORG\" is not valid: "),
            "{err}"
        );
    }
}
