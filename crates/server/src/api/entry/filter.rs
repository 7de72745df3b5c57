//! The filters of CountEntries and ListEntries (two wire types with the same fields) as one
//! datastore [`EntryFilter`], validated as SPIRE does.

use spire_datastore::{EntryFilter, FederatesWithMatch, SelectorMatch};
use spire_proto::spire::api::server::entry::v1::{count_entries_request, list_entries_request};
use spire_proto::spire::api::types::{
    FederatesWithMatch as ProtoFederatesWith, SelectorMatch as ProtoSelectorMatch, Spiffeid,
};
use spire_spiffe::TrustDomain;
use tonic::Status;

use crate::api::convert::ids::{member_id, workload_id};
use crate::api::convert::selectors::{match_behavior, selectors_from_proto};
use crate::api::status::invalid_argument;

/// The fields both wire filters share, borrowed.
#[derive(Debug, Default)]
pub struct FilterParts<'a> {
    pub by_spiffe_id: Option<&'a Spiffeid>,
    pub by_parent_id: Option<&'a Spiffeid>,
    pub by_selectors: Option<&'a ProtoSelectorMatch>,
    pub by_federates_with: Option<&'a ProtoFederatesWith>,
    pub by_hint: Option<&'a str>,
    pub by_downstream: Option<bool>,
}

impl<'a> From<&'a count_entries_request::Filter> for FilterParts<'a> {
    fn from(f: &'a count_entries_request::Filter) -> Self {
        FilterParts {
            by_spiffe_id: f.by_spiffe_id.as_ref(),
            by_parent_id: f.by_parent_id.as_ref(),
            by_selectors: f.by_selectors.as_ref(),
            by_federates_with: f.by_federates_with.as_ref(),
            by_hint: f.by_hint.as_deref(),
            by_downstream: f.by_downstream,
        }
    }
}

impl<'a> From<&'a list_entries_request::Filter> for FilterParts<'a> {
    fn from(f: &'a list_entries_request::Filter) -> Self {
        FilterParts {
            by_spiffe_id: f.by_spiffe_id.as_ref(),
            by_parent_id: f.by_parent_id.as_ref(),
            by_selectors: f.by_selectors.as_ref(),
            by_federates_with: f.by_federates_with.as_ref(),
            by_hint: f.by_hint.as_deref(),
            by_downstream: f.by_downstream,
        }
    }
}

/// Validates the filter and builds the datastore query.
pub fn entry_filter(td: &TrustDomain, parts: FilterParts<'_>) -> Result<EntryFilter, Status> {
    let mut filter = EntryFilter {
        by_hint: parts.by_hint.map(str::to_owned),
        // SPIRE's SQL store narrows to downstream entries only for `by_downstream: true`;
        // `false` (which SPIRE's `entry show` always sends) lists every entry.
        by_downstream: parts.by_downstream.filter(|downstream| *downstream),
        ..EntryFilter::default()
    };
    if let Some(parent) = parts.by_parent_id {
        let id = member_id(td, Some(parent))
            .map_err(|e| invalid_argument("malformed parent ID filter", e))?;
        filter.by_parent_id = Some(id.to_string());
    }
    if let Some(spiffe_id) = parts.by_spiffe_id {
        let id = workload_id(td, Some(spiffe_id))
            .map_err(|e| invalid_argument("malformed SPIFFE ID filter", e))?;
        filter.by_spiffe_id = Some(id.to_string());
    }
    if let Some(by) = parts.by_selectors {
        let malformed =
            |e: &dyn std::fmt::Display| invalid_argument("malformed selectors filter", e);
        let selectors = selectors_from_proto(&by.selectors).map_err(|e| malformed(&e))?;
        if selectors.is_empty() {
            return Err(malformed(&"empty selector set"));
        }
        let behavior = match_behavior(by.r#match).map_err(|e| malformed(&e))?;
        filter.by_selectors = Some(SelectorMatch {
            selectors,
            behavior,
        });
    }
    if let Some(by) = parts.by_federates_with {
        let malformed =
            |e: &dyn std::fmt::Display| invalid_argument("malformed federates with filter", e);
        let trust_domains = by
            .trust_domains
            .iter()
            .map(|name| {
                TrustDomain::from_id_or_name(name)
                    .map(|td| td.as_str().to_owned())
                    .map_err(|e| malformed(&e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trust_domains.is_empty() {
            return Err(malformed(&"empty trust domain set"));
        }
        let behavior = match_behavior(by.r#match).map_err(|e| malformed(&e))?;
        filter.by_federates_with = Some(FederatesWithMatch {
            trust_domains,
            behavior,
        });
    }
    Ok(filter)
}
