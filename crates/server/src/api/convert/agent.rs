//! Attested agents on the wire (`spire.api.types.Agent`) and their output mask.

use spire_datastore::AttestedNode;
use spire_proto::spire::api::types::{Agent as ProtoAgent, AgentMask};

use super::ids::{IdError, proto_from_stored_id};
use super::selectors::proto_from_selectors;

/// The wire form of a stored agent; banned is derived from the empty serial (SPIRE's rule).
pub fn proto_from_node(node: &AttestedNode) -> Result<ProtoAgent, IdError> {
    Ok(ProtoAgent {
        id: Some(proto_from_stored_id(&node.spiffe_id)?),
        attestation_type: node.attestation_type.clone(),
        x509svid_serial_number: node.serial_number.clone(),
        x509svid_expires_at: node.expires_at,
        selectors: proto_from_selectors(&node.selectors),
        banned: node.is_banned(),
        can_reattest: node.can_reattest,
        agent_version: node.agent_version.clone(),
    })
}

/// Clears the fields `mask` does not ask for (the ID is always kept). `None` keeps all.
pub fn apply_agent_mask(agent: &mut ProtoAgent, mask: Option<&AgentMask>) {
    let Some(mask) = mask else {
        return;
    };
    if !mask.attestation_type {
        agent.attestation_type.clear();
    }
    if !mask.x509svid_serial_number {
        agent.x509svid_serial_number.clear();
    }
    if !mask.x509svid_expires_at {
        agent.x509svid_expires_at = 0;
    }
    if !mask.selectors {
        agent.selectors.clear();
    }
    if !mask.banned {
        agent.banned = false;
    }
    if !mask.can_reattest {
        agent.can_reattest = false;
    }
    if !mask.agent_version {
        agent.agent_version.clear();
    }
}
