//! `spire.api.server.agent.v1.Agent`: agent administration and join tokens (local callers and
//! admins), node attestation (anyone), and SVID renewal and status reports (attested agents).

mod attest;
mod filter;
mod join_token;
mod renew;

pub use attest::{ATTEST_TIMEOUT, AttestItem, JOIN_TOKEN};
pub use renew::MAX_AGENT_VERSION_LEN;

use spire_datastore::{AttestedNode, DataStoreError};
use spire_proto::spire::api::server::agent::v1::agent_server::Agent;
use spire_proto::spire::api::server::agent::v1::{
    AttestAgentRequest, AttestAgentResponse, BanAgentRequest, CountAgentsRequest,
    CountAgentsResponse, CreateJoinTokenRequest, DeleteAgentRequest, GetAgentRequest,
    ListAgentsRequest, ListAgentsResponse, PostStatusRequest, PostStatusResponse,
    RenewAgentRequest, RenewAgentResponse,
};
use spire_proto::spire::api::types::{Agent as ProtoAgent, JoinToken as ProtoJoinToken};
use spire_spiffe::TrustDomain;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status, Streaming};

use crate::api::authz::{require_agent, require_local_or_admin};
use crate::api::convert::agent::{apply_agent_mask, proto_from_node};
use crate::api::convert::ids::agent_id;
use crate::api::paging::{count_i32, pagination};
use crate::api::ratelimit::Budget;
use crate::api::status::{self, invalid_argument, with_cause};
use crate::context::ServerContext;
use filter::{FilterParts, agent_filter};

const SERVICE: &str = "/spire.api.server.agent.v1.Agent/";

/// The Agent service over a [`ServerContext`].
#[derive(Debug, Clone)]
pub struct AgentApi {
    ctx: ServerContext,
    td: TrustDomain,
}

impl AgentApi {
    pub fn new(ctx: ServerContext, td: TrustDomain) -> Self {
        Self { ctx, td }
    }

    async fn authorize<T>(&self, request: &Request<T>, method: &str) -> Result<(), Status> {
        require_local_or_admin(&self.ctx, request, &format!("{SERVICE}{method}")).await
    }
}

#[tonic::async_trait]
impl Agent for AgentApi {
    async fn count_agents(
        &self,
        request: Request<CountAgentsRequest>,
    ) -> Result<Response<CountAgentsResponse>, Status> {
        self.authorize(&request, "CountAgents").await?;
        let req = request.into_inner();
        let filter = agent_filter(
            req.filter
                .as_ref()
                .map(FilterParts::from)
                .unwrap_or_default(),
        )?;
        let count = self
            .ctx
            .datastore
            .count_attested_nodes(&filter)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to count agents", e))?;
        Ok(Response::new(CountAgentsResponse {
            count: count_i32(count),
        }))
    }

    async fn list_agents(
        &self,
        request: Request<ListAgentsRequest>,
    ) -> Result<Response<ListAgentsResponse>, Status> {
        self.authorize(&request, "ListAgents").await?;
        let req = request.into_inner();
        let mut filter = agent_filter(
            req.filter
                .as_ref()
                .map(FilterParts::from)
                .unwrap_or_default(),
        )?;
        filter.fetch_selectors = req.output_mask.is_none_or(|m| m.selectors);
        let page = self
            .ctx
            .datastore
            .list_attested_nodes(&filter, Some(&pagination(req.page_size, &req.page_token)))
            .await
            .map_err(|e| status::datastore("failed to list agents", &e))?;
        let mut agents = Vec::with_capacity(page.items.len());
        for node in &page.items {
            let mut agent = node_to_proto(node)?;
            apply_agent_mask(&mut agent, req.output_mask.as_ref());
            agents.push(agent);
        }
        Ok(Response::new(ListAgentsResponse {
            agents,
            next_page_token: page.next_token.unwrap_or_default(),
        }))
    }

    async fn get_agent(
        &self,
        request: Request<GetAgentRequest>,
    ) -> Result<Response<ProtoAgent>, Status> {
        self.authorize(&request, "GetAgent").await?;
        let req = request.into_inner();
        let id = agent_id(&self.td, req.id.as_ref())
            .map_err(|e| invalid_argument("invalid agent ID", e))?;
        let node = self
            .ctx
            .datastore
            .fetch_attested_node(id.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch agent", e))?
            .ok_or_else(|| Status::not_found("agent not found"))?;
        let mut agent = node_to_proto(&node)?;
        apply_agent_mask(&mut agent, req.output_mask.as_ref());
        Ok(Response::new(agent))
    }

    async fn delete_agent(
        &self,
        request: Request<DeleteAgentRequest>,
    ) -> Result<Response<()>, Status> {
        self.authorize(&request, "DeleteAgent").await?;
        let req = request.into_inner();
        let id = agent_id(&self.td, req.id.as_ref())
            .map_err(|e| invalid_argument("invalid agent ID", e))?;
        match self.ctx.datastore.delete_attested_node(id.as_str()).await {
            Ok(_) => {
                tracing::info!(spiffe_id = %id, "Agent deleted");
                Ok(Response::new(()))
            }
            Err(DataStoreError::NotFound(_)) => Err(Status::not_found("agent not found")),
            Err(e) => Err(with_cause(Code::Internal, "failed to remove agent", e)),
        }
    }

    async fn ban_agent(&self, request: Request<BanAgentRequest>) -> Result<Response<()>, Status> {
        self.authorize(&request, "BanAgent").await?;
        let req = request.into_inner();
        let id = agent_id(&self.td, req.id.as_ref())
            .map_err(|e| invalid_argument("invalid agent ID", e))?;
        match self.ctx.datastore.ban_attested_node(id.as_str()).await {
            Ok(_) => {
                tracing::info!(spiffe_id = %id, "Agent banned");
                Ok(Response::new(()))
            }
            Err(DataStoreError::NotFound(_)) => Err(Status::not_found("agent not found")),
            Err(e) => Err(with_cause(Code::Internal, "failed to ban agent", e)),
        }
    }

    type AttestAgentStream = ReceiverStream<Result<AttestAgentResponse, Status>>;

    async fn attest_agent(
        &self,
        request: Request<Streaming<AttestAgentRequest>>,
    ) -> Result<Response<Self::AttestAgentStream>, Status> {
        // Open to any caller, as in SPIRE: this is how an agent gets its first identity.
        // Challenges must reach the agent while the attestation runs, so it runs in a task
        // feeding the response stream; the final result or error ends the stream.
        let (tx, rx) = mpsc::channel(2);
        let api = self.clone();
        let client = crate::api::ratelimit::caller_ip(&request);
        let inbound = request.into_inner();
        tokio::spawn(async move {
            let outcome = match client {
                Some(ip) => {
                    api.ctx
                        .rate_limits
                        .admit_ip(ip, Budget::Attestation, 1, "attest agent")
                        .await
                }
                None => Ok(()),
            };
            let outcome = match outcome {
                Ok(()) => api.attest_within(inbound, &tx, ATTEST_TIMEOUT).await,
                Err(status) => Err(status),
            };
            if let Err(status) = &outcome {
                tracing::warn!(code = ?status.code(), message = status.message(), "Agent attestation failed");
            }
            // The agent may already have gone; nothing is left to tell it then.
            let _ = tx.send(outcome).await;
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn renew_agent(
        &self,
        request: Request<RenewAgentRequest>,
    ) -> Result<Response<RenewAgentResponse>, Status> {
        let agent = require_agent(&self.ctx, &request, &format!("{SERVICE}RenewAgent")).await?;
        self.ctx
            .rate_limits
            .admit(&request, Budget::X509Signing, 1, "renew agent")
            .await?;
        let response = self.renew(agent, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    async fn create_join_token(
        &self,
        request: Request<CreateJoinTokenRequest>,
    ) -> Result<Response<ProtoJoinToken>, Status> {
        self.authorize(&request, "CreateJoinToken").await?;
        let token = self.create_token(request.into_inner()).await?;
        Ok(Response::new(token))
    }

    async fn post_status(
        &self,
        request: Request<PostStatusRequest>,
    ) -> Result<Response<PostStatusResponse>, Status> {
        let agent = require_agent(&self.ctx, &request, &format!("{SERVICE}PostStatus")).await?;
        let response = self.store_status(&agent, request.into_inner()).await?;
        Ok(Response::new(response))
    }
}

fn node_to_proto(node: &AttestedNode) -> Result<ProtoAgent, Status> {
    proto_from_node(node).map_err(|e| {
        with_cause(
            Code::Internal,
            "failed to convert attested node to agent",
            e,
        )
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod attest_tests;
