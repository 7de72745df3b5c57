//! The errors of loading and decoding a configuration file. Every message names the file
//! (`source`) and, where there is one, the key path (`server.ca_ttl`).

use std::path::PathBuf;

/// Why a configuration file could not be loaded or is not a valid SPIRE configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file does not exist (SPIRE's wording, so scripts matching it keep working).
    #[error("could not find config file {}: please use the -config flag", path.display())]
    NotFound {
        /// The path as given (made absolute when possible).
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("unable to read configuration at {:?}: {reason}", path.display().to_string())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        reason: std::io::Error,
    },
    /// HCL syntax error.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What went wrong.
        message: String,
    },
    /// JSON syntax error (files starting with `{`).
    #[error("{file}: invalid JSON configuration: {message}")]
    Json {
        /// The file name.
        file: String,
        /// serde_json's description, with line and column.
        message: String,
    },
    /// Keys no SPIRE version knows, collected over the whole file.
    #[error("{file}: unknown configuration {}", describe_keys(keys))]
    UnknownKeys {
        /// The file name.
        file: String,
        /// Full key paths, e.g. `server.bogus_key`, sorted.
        keys: Vec<String>,
    },
    /// A key holds a value of the wrong type.
    #[error("{file}: {key:?} must be {expected}, found {found}")]
    WrongType {
        /// The file name.
        file: String,
        /// Full key path.
        key: String,
        /// What the key takes, e.g. "a string".
        expected: &'static str,
        /// What the file holds, e.g. "a list".
        found: &'static str,
    },
    /// A key's value has the right type but is not acceptable (bad duration, out of range...).
    #[error("{file}: invalid value for {key:?}: {reason}")]
    InvalidValue {
        /// The file name.
        file: String,
        /// Full key path.
        key: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A rule across keys failed (missing section, exclusive options, plugin cardinality).
    #[error("{file}: {reason}")]
    Invalid {
        /// The file name.
        file: String,
        /// SPIRE's wording where it has one, e.g. "trust_domain must be configured".
        reason: String,
    },
}

/// Why a Go duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Empty or not of the form `<number><unit>...`.
    #[error("invalid duration {0:?}")]
    Invalid(String),
    /// A unit other than ns, us, µs, ms, s, m, h.
    #[error("unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit {
        /// The offending unit.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// A number without a unit (only "0" may omit it).
    #[error("missing unit in duration {0:?}")]
    MissingUnit(String),
    /// Negative durations make no sense for TTLs and intervals.
    #[error("negative duration {0:?} is not allowed")]
    Negative(String),
    /// Larger than Go's time.Duration can hold (about 292 years).
    #[error("duration {0:?} is out of range")]
    OutOfRange(String),
}

fn describe_keys(keys: &[String]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    match quoted.as_slice() {
        [one] => format!("key {one}"),
        _ => format!("keys {}", quoted.join(", ")),
    }
}
