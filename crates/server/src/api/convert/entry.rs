//! Registration entries on the wire (`spire.api.types.Entry`) and their masks.

use spire_datastore::{EntryMask, RegistrationEntry};
use spire_proto::spire::api::types::{Entry as ProtoEntry, EntryMask as ProtoEntryMask, entry};
use spire_spiffe::{SpiffeIdError, TrustDomain};

use super::dns::{DnsNameError, validate_dns_name};
use super::ids::{IdError, member_id, proto_from_stored_id, workload_id};
use super::selectors::{SelectorProtoError, proto_from_selectors, selectors_from_proto};

/// Longest entry hint accepted, in bytes.
pub const MAX_HINT_LEN: usize = 1024;

/// Why a wire entry was refused (SPIRE's wording where it has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("invalid parent ID: {0}")]
    ParentId(IdError),
    #[error("invalid spiffe ID: {0}")]
    SpiffeId(IdError),
    #[error("invalid DNS name: {0}")]
    DnsName(#[from] DnsNameError),
    #[error("invalid federated trust domain: {0}")]
    FederatedTrustDomain(SpiffeIdError),
    #[error("selector list is empty")]
    NoSelectors,
    #[error("{0}")]
    Selector(#[from] SelectorProtoError),
    #[error("hint is too long, max length is {MAX_HINT_LEN} characters")]
    HintTooLong,
    #[error("invalid registration entry: x509_svid_ttl {0} is negative")]
    NegativeX509Ttl(i32),
    #[error("invalid registration entry: jwt_svid_ttl {0} is negative")]
    NegativeJwtTtl(i32),
}

/// A mask with every field set: what a missing input or output mask means.
pub fn full_entry_mask() -> ProtoEntryMask {
    ProtoEntryMask {
        spiffe_id: true,
        parent_id: true,
        selectors: true,
        x509_svid_ttl: true,
        federates_with: true,
        admin: true,
        downstream: true,
        expires_at: true,
        dns_names: true,
        revision_number: true,
        store_svid: true,
        jwt_svid_ttl: true,
        hint: true,
        created_at: true,
        additional_attributes: true,
    }
}

/// Converts and validates a wire entry for `td`. Only the fields set in `mask` are read
/// (and validated); the others are left at their defaults, as SPIRE does for updates.
pub fn entry_from_proto(
    td: &TrustDomain,
    proto: &ProtoEntry,
    mask: &ProtoEntryMask,
) -> Result<RegistrationEntry, EntryError> {
    let mut entry = RegistrationEntry {
        entry_id: proto.id.clone(),
        ..RegistrationEntry::default()
    };
    if mask.parent_id {
        entry.parent_id = member_id(td, proto.parent_id.as_ref())
            .map_err(EntryError::ParentId)?
            .to_string();
    }
    if mask.spiffe_id {
        entry.spiffe_id = workload_id(td, proto.spiffe_id.as_ref())
            .map_err(EntryError::SpiffeId)?
            .to_string();
    }
    if mask.admin {
        entry.admin = proto.admin;
    }
    if mask.dns_names {
        for name in &proto.dns_names {
            validate_dns_name(name)?;
        }
        entry.dns_names = proto.dns_names.clone();
    }
    if mask.downstream {
        entry.downstream = proto.downstream;
    }
    if mask.expires_at {
        entry.expires_at = proto.expires_at;
    }
    if mask.federates_with {
        entry.federates_with = proto
            .federates_with
            .iter()
            .map(|name| {
                TrustDomain::from_id_or_name(name)
                    .map(|td| td.as_str().to_owned())
                    .map_err(EntryError::FederatedTrustDomain)
            })
            .collect::<Result<_, _>>()?;
    }
    if mask.selectors {
        if proto.selectors.is_empty() {
            return Err(EntryError::NoSelectors);
        }
        entry.selectors = selectors_from_proto(&proto.selectors)?;
    }
    if mask.revision_number {
        entry.revision_number = proto.revision_number;
    }
    if mask.store_svid {
        entry.store_svid = proto.store_svid;
    }
    if mask.x509_svid_ttl {
        if proto.x509_svid_ttl < 0 {
            return Err(EntryError::NegativeX509Ttl(proto.x509_svid_ttl));
        }
        entry.x509_svid_ttl = proto.x509_svid_ttl;
    }
    if mask.jwt_svid_ttl {
        if proto.jwt_svid_ttl < 0 {
            return Err(EntryError::NegativeJwtTtl(proto.jwt_svid_ttl));
        }
        entry.jwt_svid_ttl = proto.jwt_svid_ttl;
    }
    if mask.hint {
        if proto.hint.len() > MAX_HINT_LEN {
            return Err(EntryError::HintTooLong);
        }
        entry.hint = proto.hint.clone();
    }
    if mask.additional_attributes
        && let Some(attrs) = &proto.additional_attributes
    {
        entry.disable_x509_svid_prefetch = attrs.disable_x509_svid_prefetch;
        entry.jwt_svid_include_jti = attrs.jwt_svid_include_jti;
    }
    Ok(entry)
}

/// The wire form of a stored entry; fails only if the store holds an unparsable ID.
pub fn proto_from_entry(entry: &RegistrationEntry) -> Result<ProtoEntry, IdError> {
    let has_attributes = entry.disable_x509_svid_prefetch || entry.jwt_svid_include_jti;
    Ok(ProtoEntry {
        id: entry.entry_id.clone(),
        spiffe_id: Some(proto_from_stored_id(&entry.spiffe_id)?),
        parent_id: Some(proto_from_stored_id(&entry.parent_id)?),
        selectors: proto_from_selectors(&entry.selectors),
        x509_svid_ttl: entry.x509_svid_ttl,
        federates_with: entry.federates_with.clone(),
        admin: entry.admin,
        downstream: entry.downstream,
        expires_at: entry.expires_at,
        dns_names: entry.dns_names.clone(),
        revision_number: entry.revision_number,
        store_svid: entry.store_svid,
        jwt_svid_ttl: entry.jwt_svid_ttl,
        hint: entry.hint.clone(),
        created_at: entry.created_at,
        additional_attributes: has_attributes.then_some(entry::AdditionalAttributes {
            disable_x509_svid_prefetch: entry.disable_x509_svid_prefetch,
            jwt_svid_include_jti: entry.jwt_svid_include_jti,
        }),
    })
}

/// Clears the fields `mask` does not ask for (the ID is always kept). `None` keeps all.
pub fn apply_entry_mask(entry: &mut ProtoEntry, mask: Option<&ProtoEntryMask>) {
    let Some(mask) = mask else {
        return;
    };
    if !mask.spiffe_id {
        entry.spiffe_id = None;
    }
    if !mask.parent_id {
        entry.parent_id = None;
    }
    if !mask.selectors {
        entry.selectors.clear();
    }
    if !mask.federates_with {
        entry.federates_with.clear();
    }
    if !mask.admin {
        entry.admin = false;
    }
    if !mask.downstream {
        entry.downstream = false;
    }
    if !mask.expires_at {
        entry.expires_at = 0;
    }
    if !mask.dns_names {
        entry.dns_names.clear();
    }
    if !mask.revision_number {
        entry.revision_number = 0;
    }
    if !mask.store_svid {
        entry.store_svid = false;
    }
    if !mask.x509_svid_ttl {
        entry.x509_svid_ttl = 0;
    }
    if !mask.jwt_svid_ttl {
        entry.jwt_svid_ttl = 0;
    }
    if !mask.hint {
        entry.hint.clear();
    }
    if !mask.additional_attributes {
        entry.additional_attributes = None;
    }
    if !mask.created_at {
        entry.created_at = 0;
    }
}

/// The datastore mask for an update's input mask.
pub fn store_entry_mask(mask: &ProtoEntryMask) -> EntryMask {
    EntryMask {
        spiffe_id: mask.spiffe_id,
        parent_id: mask.parent_id,
        selectors: mask.selectors,
        x509_svid_ttl: mask.x509_svid_ttl,
        jwt_svid_ttl: mask.jwt_svid_ttl,
        federates_with: mask.federates_with,
        admin: mask.admin,
        downstream: mask.downstream,
        expires_at: mask.expires_at,
        dns_names: mask.dns_names,
        store_svid: mask.store_svid,
        hint: mask.hint,
        additional_attributes: mask.additional_attributes,
    }
}
