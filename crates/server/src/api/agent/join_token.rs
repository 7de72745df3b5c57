//! `CreateJoinToken`: a one-shot token an agent attests with, optionally with an alias
//! entry so the attested agent also gets `agent_id`.
//!
//! The alias entry has SPIRE's exact shape: parent ID is the join-token agent ID
//! `spiffe://<td>/spire/agent/join_token/<token>`, SPIFFE ID is `agent_id`, and its single
//! selector is `spiffe_id:<that agent ID>`. The datastore matches this shape to delete the
//! alias when the join-token agent is pruned.

use std::time::Duration;

use spire_datastore::{JoinToken, RegistrationEntry};
use spire_proto::spire::api::server::agent::v1::CreateJoinTokenRequest;
use spire_proto::spire::api::types::JoinToken as ProtoJoinToken;
use spire_spiffe::{Selector, SpiffeId};
use tonic::{Code, Status};

use super::AgentApi;
use crate::api::convert::ids::workload_id;
use crate::api::status::{self, invalid_argument, with_cause};

/// The path under which join-token agents are named.
pub const JOIN_TOKEN_AGENT_PATH: &str = "/spire/agent/join_token/";

impl AgentApi {
    pub(super) async fn create_token(
        &self,
        req: CreateJoinTokenRequest,
    ) -> Result<ProtoJoinToken, Status> {
        if req.ttl < 1 {
            return Err(Status::invalid_argument(
                "ttl is required, you must provide one",
            ));
        }
        // The agent ID is checked before anything is written so a bad one fails early.
        let alias_id = match &req.agent_id {
            Some(proto) => Some(
                workload_id(&self.td, Some(proto))
                    .map_err(|e| invalid_argument("invalid agent ID", e))?,
            ),
            None => None,
        };
        let token = if req.token.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            req.token
        };
        // A token that cannot name an agent could never be used to attest; refuse it now
        // rather than after it is stored.
        let token_agent_id = self.join_token_agent_id(&token)?;
        let ttl = Duration::from_secs(u64::from(req.ttl.unsigned_abs()));
        let expires_at = crate::context::unix_seconds(self.ctx.clock.now() + ttl);
        self.ctx
            .datastore
            .create_join_token(&JoinToken {
                token: token.clone(),
                expires_at,
            })
            .await
            .map_err(|e| status::datastore("failed to create token", &e))?;
        if let Some(alias_id) = alias_id {
            self.create_alias_entry(&token_agent_id, &alias_id).await?;
        }
        Ok(ProtoJoinToken {
            value: token,
            expires_at,
        })
    }

    fn join_token_agent_id(&self, token: &str) -> Result<SpiffeId, Status> {
        SpiffeId::from_parts(&self.td, &format!("{JOIN_TOKEN_AGENT_PATH}{token}"))
            .map_err(|e| invalid_argument("invalid token", e))
    }

    async fn create_alias_entry(
        &self,
        token_agent_id: &SpiffeId,
        alias_id: &SpiffeId,
    ) -> Result<(), Status> {
        let failed = |e: &dyn std::fmt::Display| {
            with_cause(
                Code::Internal,
                "failed to create join token registration entry",
                e,
            )
        };
        let selector =
            Selector::new("spiffe_id", token_agent_id.as_str()).map_err(|e| failed(&e))?;
        let entry = RegistrationEntry {
            parent_id: token_agent_id.to_string(),
            spiffe_id: alias_id.to_string(),
            selectors: vec![selector],
            ..RegistrationEntry::default()
        };
        self.ctx
            .datastore
            .create_registration_entry(&entry)
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }
}
