//! `AttestAgent`: node attestation over a bidirectional stream, open to any caller.
//!
//! The first message carries `params{data{type, payload}, params{csr}}`. `join_token` is
//! handled here (single use, expiry, agent ID built from the stored token); any other type
//! goes to the configured [`ServerNodeAttestor`] of that name, which may answer with
//! challenges the agent must meet. Then the agent ID is checked (not the server's, not
//! banned, not a replay of trust-on-first-use evidence), the CSR's key is signed as the
//! agent SVID, and the attested-node row and node selectors are written.

use std::time::Duration;

use spire_ca::csr::parse_workload_csr;
use spire_datastore::AttestedNode;
use spire_plugin::nodeattestor::{
    AttestationResult, NodeAttestorError, NodeAttestorErrorCode, ServerNodeAttestor, ServerStep,
};
use spire_proto::spire::api::server::agent::v1::attest_agent_request::{Params, Step as InStep};
use spire_proto::spire::api::server::agent::v1::attest_agent_response::{
    Result as AttestResult, Step as OutStep,
};
use spire_proto::spire::api::server::agent::v1::{AttestAgentRequest, AttestAgentResponse};
use spire_proto::spire::api::types::X509svid;
use spire_spiffe::{Selector, SpiffeId};
use tokio::sync::mpsc;
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Status};

use super::AgentApi;
use crate::api::authz::{LeafFacts, certificate_mask};
use crate::api::convert::ids::proto_from_id;
use crate::api::status::{self, with_cause};
use crate::context::{MintX509Svid, MintedX509Svid};

/// The attestation type SPIRE handles without a plugin.
pub const JOIN_TOKEN: &str = "join_token";

/// Challenge rounds allowed before the server gives up on an attestation; SPIRE's plugins
/// need one, so this only stops a plugin/agent pair from looping forever.
const MAX_CHALLENGES: usize = 8;

/// Longest one attestation may take, from the stream's first read to its result (challenge
/// rounds included).
///
/// Security: `AttestAgent` is open to anyone; without a deadline a client that opens the
/// stream and sends nothing, or stops answering challenges, holds a task and a stream until
/// the connection dies. SPIRE sets no deadline of its own here; 30 s is far beyond what an
/// agent and a plugin need (one challenge round trip).
pub const ATTEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One message of the response stream.
pub type AttestItem = Result<AttestAgentResponse, Status>;

impl AgentApi {
    /// [`AgentApi::attest`], ended with `DeadlineExceeded` when it takes longer than `limit`.
    pub async fn attest_within<S>(
        &self,
        inbound: S,
        out: &mpsc::Sender<AttestItem>,
        limit: Duration,
    ) -> AttestItem
    where
        S: Stream<Item = Result<AttestAgentRequest, Status>> + Unpin + Send,
    {
        tokio::time::timeout(limit, self.attest(inbound, out))
            .await
            .unwrap_or_else(|_| {
                Err(Status::deadline_exceeded(format!(
                    "attestation did not complete within {}s",
                    limit.as_secs()
                )))
            })
    }

    /// Runs one attestation: reads `inbound`, sends challenges on `out`, and returns the
    /// final `result` message (or the status that ends the stream).
    pub async fn attest<S>(&self, mut inbound: S, out: &mpsc::Sender<AttestItem>) -> AttestItem
    where
        S: Stream<Item = Result<AttestAgentRequest, Status>> + Unpin + Send,
    {
        let first = match inbound.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                return Err(with_cause(
                    Code::InvalidArgument,
                    "failed to receive request from stream",
                    e.message(),
                ));
            }
            None => {
                return Err(Status::invalid_argument(
                    "failed to receive request from stream: EOF",
                ));
            }
        };
        let params = match first.step {
            Some(InStep::Params(params)) => Some(params),
            _ => None,
        };
        let (kind, payload, csr) = validate_params(params.as_ref())
            .map_err(|e| with_cause(Code::InvalidArgument, "malformed param", e))?;

        let result = if kind == JOIN_TOKEN {
            self.attest_join_token(payload).await?
        } else {
            let attestor = self.ctx.node_attestors.get(kind).ok_or_else(|| {
                with_cause(
                    Code::FailedPrecondition,
                    "error getting node attestor",
                    format!("could not find node attestor type {kind:?}"),
                )
            })?;
            self.attest_with_plugin(attestor.as_ref(), payload, &mut inbound, out)
                .await?
        };
        let agent_id = self.check_agent_id(&result.agent_id)?;
        let existing = self
            .ctx
            .datastore
            .fetch_attested_node(agent_id.as_str())
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch agent", e))?;
        if let Some(node) = &existing {
            if node.is_banned() {
                return Err(Status::permission_denied(
                    "failed to attest: agent is banned",
                ));
            }
            // Trust on first use: evidence that cannot be re-presented (SPIRE's
            // `AssessTOFU`) must not mint a second SVID for an agent already attested.
            if kind != JOIN_TOKEN && !result.can_reattest {
                return Err(Status::permission_denied(format!(
                    "nodeattestor({kind}): attestation data has already been used to attest an agent"
                )));
            }
        }

        let minted = self.sign_agent_svid(&agent_id, csr)?;
        let leaf = leaf_facts(&minted)?;
        self.store_node(kind, &agent_id, &result, &leaf, existing.is_some())
            .await?;
        tracing::info!(
            agent_id = %agent_id,
            node_attestor_type = kind,
            "Agent attestation request completed"
        );
        Ok(AttestAgentResponse {
            step: Some(OutStep::Result(AttestResult {
                svid: Some(X509svid {
                    id: Some(proto_from_id(&agent_id)),
                    cert_chain: minted.cert_chain,
                    expires_at: minted.expires_at,
                    hint: String::new(),
                }),
                reattestable: result.can_reattest,
            })),
        })
    }

    async fn attest_join_token(&self, payload: &[u8]) -> Result<AttestationResult, Status> {
        const GONE: &str = "failed to attest: join token does not exist or has already been used";
        // A token that is not UTF-8 cannot have been stored.
        let token = std::str::from_utf8(payload).map_err(|_| Status::invalid_argument(GONE))?;
        let stored = self
            .ctx
            .datastore
            .fetch_join_token(token)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to fetch join token", e))?
            .ok_or_else(|| Status::invalid_argument(GONE))?;
        // The lookup found a row; compare the bytes ourselves, in constant time, so neither a
        // lenient collation nor timing decides whether the presented token is the stored one.
        if !constant_time_eq(stored.token.as_bytes(), payload) {
            return Err(Status::invalid_argument(GONE));
        }
        // Single use: the token goes before anything else can fail, expired or not.
        self.ctx
            .datastore
            .delete_join_token(&stored.token)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to delete join token", e))?;
        if stored.expires_at < self.ctx.now_unix() {
            return Err(Status::invalid_argument("join token expired"));
        }
        let agent_id = format!(
            "spiffe://{}/spire/agent/join_token/{}",
            self.td.as_str(),
            stored.token
        );
        SpiffeId::new(&agent_id)
            .map_err(|e| with_cause(Code::Internal, "failed to create join token ID", e))?;
        Ok(AttestationResult {
            agent_id,
            selectors: Vec::new(),
            can_reattest: false,
        })
    }

    async fn attest_with_plugin<S>(
        &self,
        attestor: &dyn ServerNodeAttestor,
        payload: &[u8],
        inbound: &mut S,
        out: &mpsc::Sender<AttestItem>,
    ) -> Result<AttestationResult, Status>
    where
        S: Stream<Item = Result<AttestAgentRequest, Status>> + Unpin + Send,
    {
        let mut step = attestor
            .begin(self.td.as_str(), payload)
            .map_err(|e| plugin_status(&e))?;
        for _ in 0..MAX_CHALLENGES {
            let (challenge, pending) = match step {
                ServerStep::Attested(result) => return Ok(result),
                ServerStep::Challenge { challenge, pending } => (challenge, pending),
            };
            out.send(Ok(AttestAgentResponse {
                step: Some(OutStep::Challenge(challenge)),
            }))
            .await
            .map_err(|_| Status::internal("failed to send challenge to agent: stream closed"))?;
            let response = match inbound.next().await {
                Some(Ok(AttestAgentRequest {
                    step: Some(InStep::ChallengeResponse(bytes)),
                })) => bytes,
                // Like SPIRE's `GetChallengeResponse()`, anything else is an empty answer.
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => {
                    return Err(with_cause(
                        Code::Internal,
                        "failed to receive challenge from agent",
                        e.message(),
                    ));
                }
                None => {
                    return Err(Status::internal(
                        "failed to receive challenge from agent: EOF",
                    ));
                }
            };
            step = pending.respond(&response).map_err(|e| plugin_status(&e))?;
        }
        match step {
            ServerStep::Attested(result) => Ok(result),
            ServerStep::Challenge { .. } => Err(Status::internal(format!(
                "node attestor {}: more than {MAX_CHALLENGES} challenges",
                attestor.name()
            ))),
        }
    }

    fn check_agent_id(&self, raw: &str) -> Result<SpiffeId, Status> {
        let id =
            SpiffeId::new(raw).map_err(|e| with_cause(Code::Internal, "invalid agent ID", e))?;
        if !id.is_member_of(&self.td) {
            return Err(Status::internal(format!(
                "invalid agent ID: {raw:?} is not a member of trust domain {:?}",
                self.td.as_str()
            )));
        }
        if id == self.td.server_id() {
            return Err(Status::internal(
                "agent ID cannot collide with the server ID",
            ));
        }
        Ok(id)
    }

    /// Signs the CSR's key as `agent_id`'s SVID with the agent TTL; shared with RenewAgent.
    pub(super) fn sign_agent_svid(
        &self,
        agent_id: &SpiffeId,
        csr: &[u8],
    ) -> Result<MintedX509Svid, Status> {
        let csr = parse_workload_csr(csr)
            .map_err(|e| with_cause(Code::InvalidArgument, "failed to parse CSR", e))?;
        self.ctx
            .minter
            .mint_x509_svid(MintX509Svid {
                spiffe_id: agent_id.clone(),
                public_key_der: csr.public_key_der,
                dns_names: Vec::new(),
                ttl: Some(self.ctx.settings.agent_ttl),
            })
            .map_err(|e| status::mint("failed to sign X509 SVID", &e))
    }

    async fn store_node(
        &self,
        kind: &str,
        agent_id: &SpiffeId,
        result: &AttestationResult,
        leaf: &LeafFacts,
        exists: bool,
    ) -> Result<(), Status> {
        let mut selectors: Vec<Selector> = result.selectors.clone();
        selectors.sort();
        selectors.dedup();
        let ds = &self.ctx.datastore;
        let node = AttestedNode {
            spiffe_id: agent_id.to_string(),
            attestation_type: kind.to_owned(),
            serial_number: leaf.serial.clone(),
            expires_at: leaf.not_after,
            can_reattest: result.can_reattest,
            ..AttestedNode::default()
        };
        if exists {
            ds.update_attested_node(&node, &certificate_mask())
                .await
                .map_err(|e| with_cause(Code::Internal, "failed to update attested agent", e))?;
        } else {
            ds.create_attested_node(&node)
                .await
                .map_err(|e| with_cause(Code::Internal, "failed to create attested agent", e))?;
        }
        // After the row is written: creating a node stores the (empty) selectors it carries.
        ds.set_node_selectors(agent_id.as_str(), &selectors)
            .await
            .map_err(|e| with_cause(Code::Internal, "failed to update selectors", e))?;
        Ok(())
    }
}

/// The serial and expiry of a freshly minted SVID's leaf.
pub(super) fn leaf_facts(minted: &MintedX509Svid) -> Result<LeafFacts, Status> {
    let leaf = minted
        .cert_chain
        .first()
        .ok_or_else(|| Status::internal("failed to sign X509 SVID: empty certificate chain"))?;
    LeafFacts::parse(leaf)
        .map_err(|e| with_cause(Code::Internal, "failed to parse the signed X509 SVID", e))
}

/// `(type, payload, csr)` of a first message, or what is missing in SPIRE's words.
fn validate_params(params: Option<&Params>) -> Result<(&str, &[u8], &[u8]), &'static str> {
    let params = params.ok_or("missing params")?;
    let data = params.data.as_ref().ok_or("missing attestation data")?;
    let svid = params
        .params
        .as_ref()
        .ok_or("missing X509-SVID parameters")?;
    if svid.csr.is_empty() {
        return Err("missing CSR");
    }
    if data.r#type.is_empty() {
        return Err("missing attestation data type");
    }
    if data.payload.is_empty() {
        return Err("missing attestation data payload");
    }
    Ok((&data.r#type, &data.payload, &svid.csr))
}

fn plugin_status(err: &NodeAttestorError) -> Status {
    let code = match err.code() {
        NodeAttestorErrorCode::InvalidArgument => Code::InvalidArgument,
        NodeAttestorErrorCode::PermissionDenied => Code::PermissionDenied,
        NodeAttestorErrorCode::Internal => Code::Internal,
    };
    Status::new(code, err.to_string())
}

/// Equality whose time depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_bytes_and_lengths() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokeN"));
        assert!(!constant_time_eq(b"token", b"token2"));
    }
}
