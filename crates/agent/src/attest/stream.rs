//! The `AttestAgent` bidi stream, agent side: send the attestation data and CSR, answer the
//! server's challenges through the node attestor, receive the agent SVID.

use spire_plugin::AgentNodeAttestor;
use spire_proto::spire::api::server::agent::v1::agent_client::AgentClient;
use spire_proto::spire::api::server::agent::v1::attest_agent_request::{
    Params as AttestParams, Step as RequestStep,
};
use spire_proto::spire::api::server::agent::v1::attest_agent_response::Step as ResponseStep;
use spire_proto::spire::api::server::agent::v1::{AgentX509svidParams, AttestAgentRequest};
use spire_proto::spire::api::server::bundle::v1::GetBundleRequest;
use spire_proto::spire::api::server::bundle::v1::bundle_client::BundleClient;
use spire_proto::spire::api::types::AttestationData;
use spire_spiffe::Bundle;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use super::AttestError;
use crate::client::convert::bundle_from_proto;

/// More challenge rounds than any attestor needs: a server that keeps challenging is broken.
const MAX_CHALLENGES: usize = 16;

/// What the server hands back after a successful attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedSvid {
    /// DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    pub reattestable: bool,
}

/// Runs one attestation over `channel`.
pub async fn attest_agent(
    channel: Channel,
    attestor: &dyn AgentNodeAttestor,
    csr: Vec<u8>,
) -> Result<AttestedSvid, AttestError> {
    let payload = attestor.payload().map_err(AttestError::Plugin)?;
    let (tx, rx) = mpsc::channel(2);
    let first = AttestAgentRequest {
        step: Some(RequestStep::Params(AttestParams {
            data: Some(AttestationData {
                r#type: attestor.name().to_owned(),
                payload,
            }),
            params: Some(AgentX509svidParams { csr }),
        })),
    };
    tx.send(first)
        .await
        .map_err(|_| AttestError::StreamClosed)?;
    let mut responses = AgentClient::new(channel)
        .attest_agent(ReceiverStream::new(rx))
        .await
        .map_err(|status| AttestError::Rpc {
            what: "could not open attestation stream to SPIRE server",
            status,
        })?
        .into_inner();

    for _ in 0..=MAX_CHALLENGES {
        let response = responses
            .message()
            .await
            .map_err(|status| AttestError::Rpc {
                what: "failed to receive attestation response",
                status,
            })?
            .ok_or(AttestError::StreamClosed)?;
        match response.step {
            Some(ResponseStep::Challenge(challenge)) => {
                let answer = attestor.respond(&challenge).map_err(AttestError::Plugin)?;
                let request = AttestAgentRequest {
                    step: Some(RequestStep::ChallengeResponse(answer)),
                };
                tx.send(request)
                    .await
                    .map_err(|_| AttestError::StreamClosed)?;
            }
            Some(ResponseStep::Result(result)) => {
                let svid = result.svid.ok_or(AttestError::MissingSvid)?;
                if svid.cert_chain.is_empty() {
                    return Err(AttestError::EmptyChain);
                }
                return Ok(AttestedSvid {
                    chain: svid.cert_chain,
                    reattestable: result.reattestable,
                });
            }
            None => return Err(AttestError::MissingSvid),
        }
    }
    Err(AttestError::TooManyChallenges(MAX_CHALLENGES))
}

/// The trust domain bundle (`GetBundle`), reachable without an agent SVID.
pub async fn fetch_bundle(channel: Channel) -> Result<Bundle, AttestError> {
    let bundle = BundleClient::new(channel)
        .get_bundle(GetBundleRequest { output_mask: None })
        .await
        .map_err(|status| AttestError::Rpc {
            what: "failed to get updated bundle",
            status,
        })?
        .into_inner();
    Ok(bundle_from_proto(bundle))
}
