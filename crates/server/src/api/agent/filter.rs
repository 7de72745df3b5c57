//! The filters of CountAgents and ListAgents (two wire types with the same fields) as one
//! datastore [`AttestedNodeFilter`].

use spire_datastore::{AttestedNodeFilter, SelectorMatch};
use spire_proto::spire::api::server::agent::v1::{count_agents_request, list_agents_request};
use spire_proto::spire::api::types::SelectorMatch as ProtoSelectorMatch;
use time::OffsetDateTime;
use time::macros::format_description;
use tonic::Status;

use crate::api::convert::selectors::{match_behavior, selectors_from_proto};
use crate::api::status::invalid_argument;

/// The fields both wire filters share, borrowed.
#[derive(Debug, Default)]
pub struct FilterParts<'a> {
    pub by_attestation_type: &'a str,
    pub by_selector_match: Option<&'a ProtoSelectorMatch>,
    pub by_banned: Option<bool>,
    pub by_can_reattest: Option<bool>,
    pub by_expires_before: &'a str,
}

impl<'a> From<&'a count_agents_request::Filter> for FilterParts<'a> {
    fn from(f: &'a count_agents_request::Filter) -> Self {
        FilterParts {
            by_attestation_type: &f.by_attestation_type,
            by_selector_match: f.by_selector_match.as_ref(),
            by_banned: f.by_banned,
            by_can_reattest: f.by_can_reattest,
            by_expires_before: &f.by_expires_before,
        }
    }
}

impl<'a> From<&'a list_agents_request::Filter> for FilterParts<'a> {
    fn from(f: &'a list_agents_request::Filter) -> Self {
        FilterParts {
            by_attestation_type: &f.by_attestation_type,
            by_selector_match: f.by_selector_match.as_ref(),
            by_banned: f.by_banned,
            by_can_reattest: f.by_can_reattest,
            by_expires_before: &f.by_expires_before,
        }
    }
}

/// Validates the filter and builds the datastore query.
pub fn agent_filter(parts: FilterParts<'_>) -> Result<AttestedNodeFilter, Status> {
    let mut filter = AttestedNodeFilter {
        by_banned: parts.by_banned,
        by_can_reattest: parts.by_can_reattest,
        ..AttestedNodeFilter::default()
    };
    if !parts.by_attestation_type.is_empty() {
        filter.by_attestation_type = Some(parts.by_attestation_type.to_owned());
    }
    if !parts.by_expires_before.is_empty() {
        filter.by_expires_before = Some(parse_expires_before(parts.by_expires_before)?);
    }
    if let Some(by) = parts.by_selector_match {
        let selectors = selectors_from_proto(&by.selectors)
            .map_err(|e| invalid_argument("failed to parse selectors", e))?;
        let behavior = match_behavior(by.r#match)
            .map_err(|e| invalid_argument("failed to parse selectors", e))?;
        filter.by_selector_match = Some(SelectorMatch {
            selectors,
            behavior,
        });
    }
    Ok(filter)
}

/// Parses Go's `time.Time.String()` layout the CLI sends (`2006-01-02 15:04:05 -0700 -07`;
/// the trailing zone abbreviation is optional) into Unix seconds. SPIRE ignores a value it
/// cannot parse, which silently lists every agent; here it is an error.
pub fn parse_expires_before(text: &str) -> Result<i64, Status> {
    let malformed = || {
        invalid_argument(
            "malformed by_expires_before filter",
            format!("{text:?} is not in the layout \"2006-01-02 15:04:05 -0700 -07\""),
        )
    };
    let mut fields = text.split_whitespace();
    let (Some(date), Some(clock), Some(offset)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed());
    };
    let layout = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(&format!("{date} {clock} {offset}"), layout)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_before_reads_go_time_layout() {
        assert_eq!(
            parse_expires_before("2024-01-02 03:04:05 +0000 UTC").ok(),
            Some(1_704_164_645)
        );
        assert_eq!(
            parse_expires_before("2024-01-02 05:04:05 +0200 +02").ok(),
            Some(1_704_164_645)
        );
    }

    #[test]
    fn expires_before_rejects_other_layouts() {
        let err = parse_expires_before("yesterday").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(
            err.message()
                .starts_with("malformed by_expires_before filter")
        );
    }
}
