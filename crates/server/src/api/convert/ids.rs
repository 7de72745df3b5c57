//! SPIFFE IDs on the wire (`spire.api.types.SPIFFEID`, split into trust domain and path) and
//! the membership rules SPIRE applies to each kind of ID the APIs accept.

use spire_proto::spire::api::types::Spiffeid;
use spire_spiffe::{SpiffeId, SpiffeIdError, TrustDomain};

/// The path prefix under which SPIRE names agents.
pub const AGENT_PATH_PREFIX: &str = "/spire/agent/";

/// Why an ID given to an API was refused. Messages follow SPIRE's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("request must specify SPIFFE ID")]
    Missing,
    #[error("{0}")]
    Malformed(#[from] SpiffeIdError),
    #[error("{id:?} is not a member of trust domain {td:?}")]
    NotMember { id: String, td: String },
    #[error("{id:?} is not a member of trust domain {td:?}; path is empty")]
    EmptyMemberPath { id: String, td: String },
    #[error("{id:?} is not a workload in trust domain {td:?}; path is empty")]
    EmptyWorkloadPath { id: String, td: String },
    #[error("{id:?} is not a workload in trust domain {td:?}; path is in the reserved namespace")]
    Reserved { id: String, td: String },
    #[error("{id:?} is not an agent in trust domain {td:?}; path is empty")]
    EmptyAgentPath { id: String, td: String },
    #[error("{id:?} is not an agent in trust domain {td:?}; path is not in the agent namespace")]
    NotAgent { id: String, td: String },
}

/// Parses a wire ID without any membership rule.
pub fn id_from_proto(proto: Option<&Spiffeid>) -> Result<SpiffeId, IdError> {
    let proto = proto.ok_or(IdError::Missing)?;
    let td = TrustDomain::new(&proto.trust_domain)?;
    Ok(SpiffeId::from_parts(&td, &proto.path)?)
}

/// An ID with a non-empty path in `td` (parent IDs, filters on parents).
pub fn member_id(td: &TrustDomain, proto: Option<&Spiffeid>) -> Result<SpiffeId, IdError> {
    let id = id_from_proto(proto)?;
    verify_member_id(td, &id)?;
    Ok(id)
}

/// A workload ID of `td`: member with a path outside SPIRE's reserved `/spire` namespace.
pub fn workload_id(td: &TrustDomain, proto: Option<&Spiffeid>) -> Result<SpiffeId, IdError> {
    let id = id_from_proto(proto)?;
    verify_workload_id(td, &id)?;
    Ok(id)
}

/// An agent ID of `td`: member with a path under `/spire/agent/`.
pub fn agent_id(td: &TrustDomain, proto: Option<&Spiffeid>) -> Result<SpiffeId, IdError> {
    let id = id_from_proto(proto)?;
    let (id_s, td_s) = names(td, &id);
    if !id.is_member_of(td) {
        return Err(IdError::NotMember { id: id_s, td: td_s });
    }
    if id.path().is_empty() {
        return Err(IdError::EmptyAgentPath { id: id_s, td: td_s });
    }
    if !id.path().starts_with(AGENT_PATH_PREFIX) {
        return Err(IdError::NotAgent { id: id_s, td: td_s });
    }
    Ok(id)
}

/// Checks that `id` is in `td` with a non-empty path.
pub fn verify_member_id(td: &TrustDomain, id: &SpiffeId) -> Result<(), IdError> {
    let (id_s, td_s) = names(td, id);
    if !id.is_member_of(td) {
        return Err(IdError::NotMember { id: id_s, td: td_s });
    }
    if id.path().is_empty() {
        return Err(IdError::EmptyMemberPath { id: id_s, td: td_s });
    }
    Ok(())
}

/// Checks that `id` may name a workload of `td`.
pub fn verify_workload_id(td: &TrustDomain, id: &SpiffeId) -> Result<(), IdError> {
    let (id_s, td_s) = names(td, id);
    if !id.is_member_of(td) {
        return Err(IdError::NotMember { id: id_s, td: td_s });
    }
    if id.path().is_empty() {
        return Err(IdError::EmptyWorkloadPath { id: id_s, td: td_s });
    }
    if id.is_reserved() {
        return Err(IdError::Reserved { id: id_s, td: td_s });
    }
    Ok(())
}

/// The wire form of a parsed ID.
pub fn proto_from_id(id: &SpiffeId) -> Spiffeid {
    Spiffeid {
        trust_domain: id.trust_domain().as_str().to_owned(),
        path: id.path().to_owned(),
    }
}

/// The wire form of an ID read back from the datastore.
pub fn proto_from_stored_id(id: &str) -> Result<Spiffeid, IdError> {
    Ok(proto_from_id(&SpiffeId::new(id)?))
}

fn names(td: &TrustDomain, id: &SpiffeId) -> (String, String) {
    (id.as_str().to_owned(), td.as_str().to_owned())
}
