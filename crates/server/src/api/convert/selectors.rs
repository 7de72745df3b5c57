//! Selectors and match modes on the wire.

use spire_datastore::MatchBehavior;
use spire_proto::spire::api::types::{Selector as ProtoSelector, selector_match};
use spire_spiffe::{Selector, SelectorError};

/// Why a wire selector was refused (SPIRE's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorProtoError {
    #[error("missing selector type")]
    MissingType,
    #[error("selector type contains ':'")]
    TypeContainsColon,
    #[error("missing selector value")]
    MissingValue,
    #[error("{0}")]
    Invalid(#[from] SelectorError),
    #[error("unknown match behavior {0}")]
    UnknownMatch(i32),
}

/// Parses wire selectors; an empty list is returned as such (callers decide if that is fine).
/// SPIRE's rules (non-empty type without `:`, non-empty value, same messages) plus no control
/// characters (see [`Selector::from_untrusted`]).
pub fn selectors_from_proto(proto: &[ProtoSelector]) -> Result<Vec<Selector>, SelectorProtoError> {
    proto
        .iter()
        .map(|s| {
            if s.r#type.is_empty() {
                Err(SelectorProtoError::MissingType)
            } else if s.r#type.contains(':') {
                Err(SelectorProtoError::TypeContainsColon)
            } else if s.value.is_empty() {
                Err(SelectorProtoError::MissingValue)
            } else {
                Ok(Selector::from_untrusted(
                    s.r#type.as_str(),
                    s.value.as_str(),
                )?)
            }
        })
        .collect()
}

/// The wire form of domain selectors.
pub fn proto_from_selectors(selectors: &[Selector]) -> Vec<ProtoSelector> {
    selectors
        .iter()
        .map(|s| ProtoSelector {
            r#type: s.kind().to_owned(),
            value: s.value().to_owned(),
        })
        .collect()
}

/// The match mode of a `SelectorMatch` / `FederatesWithMatch` (both enums share numbers).
pub fn match_behavior(value: i32) -> Result<MatchBehavior, SelectorProtoError> {
    match selector_match::MatchBehavior::try_from(value) {
        Ok(selector_match::MatchBehavior::MatchExact) => Ok(MatchBehavior::Exact),
        Ok(selector_match::MatchBehavior::MatchSubset) => Ok(MatchBehavior::Subset),
        Ok(selector_match::MatchBehavior::MatchSuperset) => Ok(MatchBehavior::Superset),
        Ok(selector_match::MatchBehavior::MatchAny) => Ok(MatchBehavior::Any),
        Err(_) => Err(SelectorProtoError::UnknownMatch(value)),
    }
}
