//! `RenewAgent` and `PostStatus`: calls an attested agent makes with its own SVID.

use spire_datastore::{AttestedNode, AttestedNodeMask, DataStoreError};
use spire_proto::spire::api::server::agent::v1::{
    PostStatusRequest, PostStatusResponse, RenewAgentRequest, RenewAgentResponse,
};
use spire_proto::spire::api::types::X509svid;
use spire_proto::spire::api::types::permission_denied_details::Reason;
use tonic::{Code, Status};

use super::AgentApi;
use super::attest::leaf_facts;
use crate::api::authz::{AuthorizedAgent, agent_denied};
use crate::api::convert::ids::proto_from_id;
use crate::api::status::with_cause;

/// Longest `agent_version` stored (SPIRE's limit).
pub const MAX_AGENT_VERSION_LEN: usize = 255;

impl AgentApi {
    /// Signs a new SVID for `agent` from the CSR and records it as the agent's *new* SVID; it
    /// becomes current the first time the agent authenticates with it.
    pub(super) async fn renew(
        &self,
        agent: AuthorizedAgent,
        req: RenewAgentRequest,
    ) -> Result<RenewAgentResponse, Status> {
        // Re-attestable agents renew by attesting again, so the attestor re-checks the node.
        if agent.node.can_reattest {
            return Err(agent_denied(
                Reason::AgentMustReattest,
                "agent must reattest instead of renew".into(),
            ));
        }
        let params = req
            .params
            .ok_or_else(|| Status::invalid_argument("params cannot be nil"))?;
        if params.csr.is_empty() {
            return Err(Status::invalid_argument("missing CSR"));
        }
        let id = agent.spiffe_id;
        tracing::info!(agent_id = %id, "Renewing agent SVID");
        let minted = self.sign_agent_svid(&id, &params.csr)?;
        let leaf = leaf_facts(&minted)?;
        let update = AttestedNode {
            spiffe_id: id.to_string(),
            new_serial_number: leaf.serial,
            new_expires_at: leaf.not_after,
            ..AttestedNode::default()
        };
        let mask = AttestedNodeMask {
            new_serial_number: true,
            new_expires_at: true,
            ..AttestedNodeMask::default()
        };
        self.update_node(&update, &mask).await?;
        Ok(RenewAgentResponse {
            svid: Some(X509svid {
                id: Some(proto_from_id(&id)),
                cert_chain: minted.cert_chain,
                expires_at: minted.expires_at,
                hint: String::new(),
            }),
        })
    }

    /// Stores the agent's version when it sent one.
    pub(super) async fn store_status(
        &self,
        agent: &AuthorizedAgent,
        req: PostStatusRequest,
    ) -> Result<PostStatusResponse, Status> {
        if req.agent_version.is_empty() {
            return Ok(PostStatusResponse {});
        }
        if req.agent_version.len() > MAX_AGENT_VERSION_LEN {
            return Err(Status::invalid_argument(
                "agent version is too long (max 255 characters)",
            ));
        }
        let update = AttestedNode {
            spiffe_id: agent.spiffe_id.to_string(),
            agent_version: req.agent_version,
            ..AttestedNode::default()
        };
        let mask = AttestedNodeMask {
            agent_version: true,
            ..AttestedNodeMask::default()
        };
        self.update_node(&update, &mask).await?;
        Ok(PostStatusResponse {})
    }

    async fn update_node(
        &self,
        node: &AttestedNode,
        mask: &AttestedNodeMask,
    ) -> Result<(), Status> {
        match self.ctx.datastore.update_attested_node(node, mask).await {
            Ok(_) => Ok(()),
            Err(e @ DataStoreError::NotFound(_)) => {
                Err(with_cause(Code::NotFound, "agent not found", e))
            }
            Err(e) => Err(with_cause(Code::Internal, "failed to update agent", e)),
        }
    }
}
