//! What the server's refusal of the agent means, read as SPIRE's agent reads it: the
//! `PermissionDeniedDetails` reason in a `PermissionDenied` status.
//!
//! SPIRE (`pkg/common/nodeutil`) shuts the agent down on `AGENT_BANNED`, and re-attests on
//! `AGENT_EXPIRED`, `AGENT_NOT_ACTIVE` and `AGENT_NOT_ATTESTED` (an evicted agent) when its
//! node attestor allows it, shutting down otherwise. Any other refusal (no details, or
//! `AGENT_MUST_REATTEST`, which answers a RenewAgent that should have been an attestation)
//! is an ordinary error: logged and retried.
//!
//! Security: the reason is only a hint from a server the agent already trusts (the TLS peer
//! is the pinned server ID). Misreading it can at worst make the agent stop, or attest again
//! with the same evidence; it never widens what the agent may do.

use prost::Message;
use spire_proto::spire::api::types::PermissionDeniedDetails;
use spire_proto::spire::api::types::permission_denied_details::Reason;
use tonic::{Code, Status};

/// A refusal of the agent itself that changes what the agent does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `AGENT_BANNED`: remove the SVID and stop.
    Banned(String),
    /// `AGENT_EXPIRED`, `AGENT_NOT_ACTIVE` or `AGENT_NOT_ATTESTED`: attest again if the node
    /// attestor allows it, otherwise remove the SVID and stop.
    MustReattest(String),
}

impl Refusal {
    /// The server's words, for logs.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Banned(m) | Refusal::MustReattest(m) => m,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// The refusal `status` carries, if it is one the agent acts on.
pub fn refusal_of(status: &Status) -> Option<Refusal> {
    if status.code() != Code::PermissionDenied {
        return None;
    }
    let message = status.message().to_owned();
    match reason_of(status)? {
        Reason::AgentBanned => Some(Refusal::Banned(message)),
        Reason::AgentExpired | Reason::AgentNotActive | Reason::AgentNotAttested => {
            Some(Refusal::MustReattest(message))
        }
        Reason::Unknown | Reason::AgentMustReattest => None,
    }
}

/// The `PermissionDeniedDetails` reason among the status details, as Go's
/// `status.WithDetails` sends them (a `google.rpc.Status` holding `Any` messages).
fn reason_of(status: &Status) -> Option<Reason> {
    let rpc = RpcStatus::decode(status.details()).ok()?;
    rpc.details
        .iter()
        .filter(|any| {
            any.type_url
                .ends_with("/spire.api.types.PermissionDeniedDetails")
        })
        .find_map(|any| PermissionDeniedDetails::decode(any.value.as_slice()).ok())
        .and_then(|details| Reason::try_from(details.reason).ok())
}

/// `google.rpc.Status`, the envelope gRPC status details travel in.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<spire_proto::prost_types::Any>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(reason: Reason, message: &str) -> Status {
        let details = RpcStatus {
            code: Code::PermissionDenied as i32,
            message: message.into(),
            details: vec![spire_proto::prost_types::Any {
                type_url: "type.googleapis.com/spire.api.types.PermissionDeniedDetails".into(),
                value: PermissionDeniedDetails {
                    reason: reason as i32,
                }
                .encode_to_vec(),
            }],
        };
        Status::with_details(
            Code::PermissionDenied,
            message,
            details.encode_to_vec().into(),
        )
    }

    #[test]
    fn banned_means_stop() {
        assert_eq!(
            refusal_of(&denied(Reason::AgentBanned, "agent is banned")),
            Some(Refusal::Banned("agent is banned".into()))
        );
    }

    #[test]
    fn expired_not_active_and_not_attested_mean_reattest() {
        for reason in [
            Reason::AgentExpired,
            Reason::AgentNotActive,
            Reason::AgentNotAttested,
        ] {
            assert_eq!(
                refusal_of(&denied(reason, "m")),
                Some(Refusal::MustReattest("m".into())),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn other_refusals_are_ordinary_errors() {
        assert_eq!(
            refusal_of(&denied(Reason::AgentMustReattest, "renew refused")),
            None
        );
        assert_eq!(refusal_of(&denied(Reason::Unknown, "m")), None);
        assert_eq!(
            refusal_of(&Status::permission_denied(
                "failed to attest: agent is banned"
            )),
            None,
            "no details: SPIRE neither stops nor re-attests on it"
        );
        assert_eq!(
            refusal_of(&Status::unavailable("agent is banned")),
            None,
            "only PermissionDenied counts"
        );
        let garbage = Status::with_details(
            Code::PermissionDenied,
            "m",
            b"\xff\xff not protobuf".to_vec().into(),
        );
        assert_eq!(refusal_of(&garbage), None);
    }
}
