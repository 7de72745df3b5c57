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
    #[error("selector {part} contains control character U+{code:04X} at byte {at}")]
    ControlCharacter {
        /// `type` or `value`.
        part: &'static str,
        code: u32,
        at: usize,
    },
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

    /// Builds a selector that arrived from outside the process (an API request): the rules of
    /// [`Selector::new`], and neither part may hold a control character (Unicode `Cc`:
    /// U+0000..U+001F, U+007F..U+009F).
    ///
    /// Security: selectors are written to logs and shown by the CLI verbatim; a newline or an
    /// escape sequence in one forges log lines or rewrites a terminal. SPIRE accepts them;
    /// refusing them at the edge costs nothing legitimate (no attestor emits one). Stored
    /// selectors are read back with [`Selector::new`], so a database written by SPIRE that
    /// holds such a value still loads.
    pub fn from_untrusted(
        kind: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, SelectorError> {
        let selector = Self::new(kind, value)?;
        for (part, text) in [("type", &selector.kind), ("value", &selector.value)] {
            if let Some((at, c)) = text.char_indices().find(|(_, c)| c.is_control()) {
                return Err(SelectorError::ControlCharacter {
                    part,
                    code: u32::from(c),
                    at,
                });
            }
        }
        Ok(selector)
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
