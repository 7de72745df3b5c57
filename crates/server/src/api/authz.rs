//! Who may call what. SPIRE admits a call to an admin method when the caller is on the
//! admin Unix socket (`allow_local`) or presents an X509-SVID whose ID is an admin
//! (`allow_admin`): listed in `admin_ids`, or the SPIFFE ID of a registration entry with
//! `admin = true`. Everyone else gets `PERMISSION_DENIED` naming the method.
//!
//! Security: the admin check reads the entry table on every call rather than caching, so
//! revoking an admin entry takes effect at once. Anonymous TCP callers never pass.
//!
//! Agent-facing methods admit an attested agent (`allow_agent`, [`require_agent`]): a TCP
//! caller whose X509-SVID is unexpired, whose attested-node row exists and is not banned, and
//! whose certificate serial is the row's current serial, or its new serial (a renewed SVID in
//! first use, which then becomes current). Denials carry SPIRE's `PermissionDeniedDetails`
//! reason so agents know whether to re-attest or shut down.

use prost::Message;
use spire_datastore::{AttestedNode, AttestedNodeMask, EntryFilter, Page, Pagination};
use spire_proto::spire::api::types::PermissionDeniedDetails;
use spire_proto::spire::api::types::permission_denied_details::Reason;
use spire_spiffe::SpiffeId;
use tonic::{Code, Request, Status};

use crate::context::ServerContext;
use crate::endpoints::{Caller, TlsConnectInfo};

/// An agent admitted by [`require_agent`].
#[derive(Debug, Clone)]
pub struct AuthorizedAgent {
    /// The agent's SPIFFE ID (`spiffe://example.org/spire/agent/...`).
    pub spiffe_id: SpiffeId,
    /// Its attested-node row as checked (after any new-to-current promotion).
    pub node: AttestedNode,
}

/// Admits only attested, active agents; `method` is the full gRPC method name.
pub async fn require_agent<T>(
    ctx: &ServerContext,
    request: &Request<T>,
    method: &str,
) -> Result<AuthorizedAgent, Status> {
    if Caller::of(request) == Caller::Local {
        // SPIRE never treats the admin socket as an agent: there is no SVID to check.
        return Err(denied(method));
    }
    authorize_agent(ctx, request).await
}

/// Admits local callers, admins and attested agents (`GetFederatedBundle`).
pub async fn require_local_admin_or_agent<T>(
    ctx: &ServerContext,
    request: &Request<T>,
    method: &str,
) -> Result<(), Status> {
    match Caller::of(request) {
        Caller::Local => Ok(()),
        Caller::Svid { spiffe_id } if is_admin(ctx, &spiffe_id).await? => Ok(()),
        Caller::Svid { .. } => authorize_agent(ctx, request).await.map(|_| ()),
        Caller::Anonymous => Err(denied(method)),
    }
}

async fn authorize_agent<T>(
    ctx: &ServerContext,
    request: &Request<T>,
) -> Result<AuthorizedAgent, Status> {
    let info = request.extensions().get::<TlsConnectInfo>();
    let Some(leaf_der) = info.and_then(|i| i.peer_leaf_der.as_deref()) else {
        return Err(Status::permission_denied(
            "caller does not have an X509-SVID",
        ));
    };
    let Some(id) = info.and_then(|i| i.peer_spiffe_id.clone()) else {
        return Err(Status::permission_denied(
            "caller does not have a SPIFFE ID",
        ));
    };
    let svid = LeafFacts::parse(leaf_der)
        .map_err(|e| Status::permission_denied(format!("caller X509-SVID is malformed: {e}")))?;
    if ctx.now_unix() > svid.not_after {
        return Err(agent_denied(
            Reason::AgentExpired,
            format!("agent {:?} SVID is expired", id.as_str()),
        ));
    }
    let node = ctx
        .datastore
        .fetch_attested_node(id.as_str())
        .await
        .map_err(|e| Status::internal(format!("unable to look up agent information: {e}")))?;
    let Some(node) = node else {
        return Err(agent_denied(
            Reason::AgentNotAttested,
            format!("agent {:?} is not attested", id.as_str()),
        ));
    };
    match agent_svid_state(&node, &svid.serial) {
        AgentSvidState::Banned => Err(agent_denied(
            Reason::AgentBanned,
            format!("agent {:?} is banned", id.as_str()),
        )),
        AgentSvidState::Current => Ok(AuthorizedAgent {
            spiffe_id: id,
            node,
        }),
        AgentSvidState::New => {
            let promoted = promote_new_serial(ctx, &node).await?;
            Ok(AuthorizedAgent {
                spiffe_id: id,
                node: promoted,
            })
        }
        AgentSvidState::NotActive => Err(agent_denied(
            Reason::AgentNotActive,
            format!(
                "agent {:?} expected to have serial number {:?}; has {:?}",
                id.as_str(),
                node.serial_number,
                svid.serial
            ),
        )),
    }
}

/// How a presented agent SVID serial relates to the stored node (pure decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSvidState {
    /// The row's serial is empty: the agent was banned.
    Banned,
    /// The SVID is the agent's current one.
    Current,
    /// The SVID is the renewed one, presented for the first time.
    New,
    /// Any other certificate: an old or foreign SVID.
    NotActive,
}

/// Classifies the serial `presented` (decimal, as SPIRE stores it) against `node`.
pub fn agent_svid_state(node: &AttestedNode, presented: &str) -> AgentSvidState {
    if node.is_banned() {
        AgentSvidState::Banned
    } else if node.serial_number == presented {
        AgentSvidState::Current
    } else if !node.new_serial_number.is_empty() && node.new_serial_number == presented {
        AgentSvidState::New
    } else {
        AgentSvidState::NotActive
    }
}

/// A SPIRE-style `PermissionDenied` carrying `PermissionDeniedDetails{reason}` in the status
/// details (a `google.rpc.Status` with one `Any`), as Go's `status.WithDetails` sends it.
pub fn agent_denied(reason: Reason, message: String) -> Status {
    let details = RpcStatus {
        code: Code::PermissionDenied as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
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

/// The reason an agent denial carries, if any.
pub fn denial_reason(status: &Status) -> Option<Reason> {
    let rpc = RpcStatus::decode(status.details()).ok()?;
    let any = rpc.details.first()?;
    let details = PermissionDeniedDetails::decode(any.value.as_slice()).ok()?;
    Reason::try_from(details.reason).ok()
}

/// `google.rpc.Status`, the envelope gRPC status details travel in.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

/// The serial and expiry of a presented leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafFacts {
    /// Decimal string of the serial number, as SPIRE stores `serial_number`.
    pub serial: String,
    /// NotAfter in Unix seconds.
    pub not_after: i64,
}

impl LeafFacts {
    /// Reads a DER certificate; the error names what did not parse.
    pub fn parse(der: &[u8]) -> Result<Self, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
        Ok(Self {
            serial: cert.tbs_certificate.serial.to_string(),
            not_after: cert.validity().not_after.timestamp(),
        })
    }
}

/// Makes the node's new SVID its current one (SPIRE clears the new fields as it does so).
async fn promote_new_serial(
    ctx: &ServerContext,
    node: &AttestedNode,
) -> Result<AttestedNode, Status> {
    let update = AttestedNode {
        spiffe_id: node.spiffe_id.clone(),
        serial_number: node.new_serial_number.clone(),
        expires_at: node.new_expires_at,
        new_serial_number: String::new(),
        new_expires_at: 0,
        can_reattest: node.can_reattest,
        ..AttestedNode::default()
    };
    ctx.datastore
        .update_attested_node(&update, &certificate_mask())
        .await
        .map_err(|e| Status::internal(format!("unable to activate the new agent SVID: {e}")))
}

/// The fields an SVID change writes (SPIRE's `UpdateAttestedNodeCertificateMask`).
pub fn certificate_mask() -> AttestedNodeMask {
    AttestedNodeMask {
        serial_number: true,
        expires_at: true,
        new_serial_number: true,
        new_expires_at: true,
        can_reattest: true,
        ..AttestedNodeMask::default()
    }
}

/// Admits local callers and admins; `method` is the full gRPC method name for the denial.
pub async fn require_local_or_admin<T>(
    ctx: &ServerContext,
    request: &Request<T>,
    method: &str,
) -> Result<(), Status> {
    match Caller::of(request) {
        Caller::Local => Ok(()),
        Caller::Svid { spiffe_id } if is_admin(ctx, &spiffe_id).await? => Ok(()),
        Caller::Svid { .. } | Caller::Anonymous => Err(denied(method)),
    }
}

/// Whether `spiffe_id` holds admin rights.
pub async fn is_admin(ctx: &ServerContext, spiffe_id: &SpiffeId) -> Result<bool, Status> {
    if ctx.settings.admin_ids.contains(spiffe_id) {
        return Ok(true);
    }
    let filter = EntryFilter {
        by_spiffe_id: Some(spiffe_id.to_string()),
        ..EntryFilter::default()
    };
    let mut pagination = Pagination::first(spire_datastore::MAX_PAGE_SIZE);
    loop {
        let Page { items, next_token } = ctx
            .datastore
            .list_registration_entries(&filter, Some(&pagination))
            .await
            .map_err(|e| {
                crate::api::status::with_cause(
                    tonic::Code::Internal,
                    "failed to fetch caller entries",
                    e,
                )
            })?;
        if items.iter().any(|entry| entry.admin) {
            return Ok(true);
        }
        match next_token {
            Some(token) if !items.is_empty() => pagination.token = token,
            _ => return Ok(false),
        }
    }
}

fn denied(method: &str) -> Status {
    Status::permission_denied(format!("authorization denied for method {method}"))
}
