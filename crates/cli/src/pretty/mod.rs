//! SPIRE's pretty (default) output, one file per kind of record. Functions
//! return the text so tests can compare it byte for byte.

pub mod agent;
pub mod bundle;
pub mod entry;
pub mod pem;
pub mod time;

/// SPIRE's `Pluralizer`: `msg` + `singular` when `n == 1`, else `plural`.
pub fn pluralize(msg: &str, singular: &str, plural: &str, n: i64) -> String {
    format!("{msg}{}", if n == 1 { singular } else { plural })
}
