//! Selectors: `type:value` facts about a node or a workload.

use std::fmt;
use std::str::FromStr;

/// Longest selector type accepted.
pub const MAX_SELECTOR_TYPE_LEN: usize = 255;
/// Longest selector value accepted.
pub const MAX_SELECTOR_VALUE_LEN: usize = 1024;

/// A selector such as `unix:uid:1000` (type `unix`, value `uid:1000`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Selector {
    kind: String,
    value: String,
}

/// Why a selector was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("selector {0:?} must be formatted as type:value")]
    MissingSeparator(String),
    #[error("selector type must not be empty")]
    EmptyType,
    #[error("selector value must not be empty")]
    EmptyValue,
    #[error("selector type is longer than {MAX_SELECTOR_TYPE_LEN} bytes")]
    TypeTooLong,
    #[error("selector value is longer than {MAX_SELECTOR_VALUE_LEN} bytes")]
    ValueTooLong,
}

impl Selector {
    /// Builds a selector from its two parts.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Result<Self, SelectorError> {
        let (kind, value) = (kind.into(), value.into());
        if kind.is_empty() {
            return Err(SelectorError::EmptyType);
        }
        if value.is_empty() {
            return Err(SelectorError::EmptyValue);
        }
        if kind.len() > MAX_SELECTOR_TYPE_LEN {
            return Err(SelectorError::TypeTooLong);
        }
        if value.len() > MAX_SELECTOR_VALUE_LEN {
            return Err(SelectorError::ValueTooLong);
        }
        Ok(Self { kind, value })
    }

    /// The selector type (`unix`), named `type` on the wire.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

impl FromStr for Selector {
    type Err = SelectorError;

    /// Parses `type:value`, splitting at the first `:`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, value) = s
            .split_once(':')
            .ok_or_else(|| SelectorError::MissingSeparator(s.to_owned()))?;
        Self::new(kind, value)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

#[cfg(test)]
#[path = "selector_tests.rs"]
mod tests;
