//! The NodeAttestor plugin traits, both halves of SPIRE's node attestation handshake.
//!
//! The agent half produces an attestation payload and answers challenges; the server half checks
//! the payload, may issue challenges, and finally names the agent (its SPIFFE ID) and the node
//! selectors. Both are sans-IO: the gRPC `AttestAgent` stream (server) and the
//! `AttestAgent` client loop (agent) move the bytes, the plugins only decide.
//!
//! A server-side attestation is a small state machine: [`ServerNodeAttestor::begin`] returns a
//! [`ServerStep`]; a `Challenge` carries the [`PendingAttestation`] that must receive the agent's
//! response, and consuming it (`self: Box<Self>`) makes a challenge impossible to answer twice.

use std::fmt;

use spire_spiffe::Selector;

/// The server half of a node attestor (`x509pop`, `join_token`, ...).
pub trait ServerNodeAttestor: Send + Sync + fmt::Debug {
    /// The plugin name, which is also the attestation data type on the wire (`x509pop`) and
    /// the type of the selectors it returns.
    fn name(&self) -> &str;
    /// Starts attesting an agent of `trust_domain` (e.g. `example.org`) from the payload the
    /// agent sent in its first `AttestAgent` message.
    fn begin(&self, trust_domain: &str, payload: &[u8]) -> Result<ServerStep, NodeAttestorError>;
}

/// What the server does next in an attestation.
#[derive(Debug)]
pub enum ServerStep {
    /// Send `challenge` to the agent; hand its response to `pending`.
    Challenge {
        challenge: Vec<u8>,
        pending: Box<dyn PendingAttestation>,
    },
    /// The agent is attested.
    Attested(AttestationResult),
}

/// An attestation waiting for the agent's answer to a challenge.
pub trait PendingAttestation: Send + fmt::Debug {
    /// Checks the agent's `response` to the challenge this attestation issued.
    fn respond(self: Box<Self>, response: &[u8]) -> Result<ServerStep, NodeAttestorError>;
}

/// The outcome of a successful attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationResult {
    /// The agent's SPIFFE ID, `spiffe://<td>/spire/agent/<plugin>/...`.
    pub agent_id: String,
    /// Node selectors, all of type [`ServerNodeAttestor::name`].
    pub selectors: Vec<Selector>,
    /// Whether the agent may re-attest with the same plugin to renew its SVID (SPIRE's
    /// `CanReattest`), rather than renewing with its current SVID.
    pub can_reattest: bool,
}

/// The agent half of a node attestor.
pub trait AgentNodeAttestor: Send + Sync + fmt::Debug {
    /// The plugin name, sent as the attestation data type (`x509pop`).
    fn name(&self) -> &str;
    /// The attestation payload for the first `AttestAgent` message.
    fn payload(&self) -> Result<Vec<u8>, NodeAttestorError>;
    /// The answer to a server challenge.
    fn respond(&self, challenge: &[u8]) -> Result<Vec<u8>, NodeAttestorError>;
}

/// Why an attestation failed. Each variant maps to one gRPC status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeAttestorError {
    /// The peer sent bytes that do not parse (malformed payload, challenge or response):
    /// `InvalidArgument`.
    #[error("node attestor {plugin}: invalid {what}: {message}")]
    InvalidArgument {
        plugin: String,
        what: &'static str,
        message: String,
    },
    /// The evidence parsed but does not prove the node's identity (untrusted chain, expired
    /// certificate, bad signature): `PermissionDenied`.
    #[error("node attestor {plugin}: {message}")]
    PermissionDenied { plugin: String, message: String },
    /// The plugin itself is misconfigured or failed (unreadable key, bad config): `Internal`.
    #[error("node attestor {plugin}: {message}")]
    Internal { plugin: String, message: String },
}

/// The gRPC status code a [`NodeAttestorError`] maps to, without depending on tonic here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAttestorErrorCode {
    InvalidArgument,
    PermissionDenied,
    Internal,
}

impl NodeAttestorError {
    /// The gRPC status code to answer with.
    pub fn code(&self) -> NodeAttestorErrorCode {
        match self {
            Self::InvalidArgument { .. } => NodeAttestorErrorCode::InvalidArgument,
            Self::PermissionDenied { .. } => NodeAttestorErrorCode::PermissionDenied,
            Self::Internal { .. } => NodeAttestorErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_variants_map_to_their_grpc_codes() {
        let invalid = NodeAttestorError::InvalidArgument {
            plugin: "x509pop".into(),
            what: "payload",
            message: "not JSON".into(),
        };
        assert_eq!(invalid.code(), NodeAttestorErrorCode::InvalidArgument);
        assert_eq!(
            invalid.to_string(),
            "node attestor x509pop: invalid payload: not JSON"
        );
        let denied = NodeAttestorError::PermissionDenied {
            plugin: "x509pop".into(),
            message: "bad signature".into(),
        };
        assert_eq!(denied.code(), NodeAttestorErrorCode::PermissionDenied);
        let internal = NodeAttestorError::Internal {
            plugin: "x509pop".into(),
            message: "key unreadable".into(),
        };
        assert_eq!(internal.code(), NodeAttestorErrorCode::Internal);
    }
}
