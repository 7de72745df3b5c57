//! Logs as SPIRE writes them: `log_level` (DEBUG, INFO, WARN, ERROR; TRACE too), `log_format`
//! `text` or `json`, to stderr or `log_file`.

use std::fs::OpenOptions;
use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("invalid log_level {0:?}: expected one of TRACE, DEBUG, INFO, WARN, ERROR")]
    Level(String),
    #[error("invalid log_format {0:?}: expected text or json")]
    Format(String),
    #[error("cannot open log_file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// Installs the global subscriber. Later calls (tests) are ignored.
pub fn init(level: &str, format: &str, file: Option<&Path>) -> Result<(), LoggingError> {
    let directive = match level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" | "WARNING" => "warn",
        "ERROR" | "FATAL" | "PANIC" => "error",
        _ => return Err(LoggingError::Level(level.to_owned())),
    };
    // Third-party crates stay at warn so DEBUG shows the server's own story.
    let filter = EnvFilter::new(format!(
        "warn,spire_server_runtime={directive},spire_server={directive},spire_ca={directive},spire_datastore={directive}"
    ));
    let json = match format.to_ascii_lowercase().as_str() {
        "" | "text" => false,
        "json" => true,
        _ => return Err(LoggingError::Format(format.to_owned())),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match (file, json) {
        (Some(path), json) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| LoggingError::File {
                    path: path.display().to_string(),
                    source,
                })?;
            let b = builder
                .with_writer(std::sync::Mutex::new(f))
                .with_ansi(false);
            if json {
                b.json().try_init()
            } else {
                b.try_init()
            }
        }
        (None, true) => builder.with_writer(std::io::stderr).json().try_init(),
        (None, false) => builder
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init(),
    };
    // try_init fails only when a subscriber is already installed (tests running in-process).
    let _ = result;
    Ok(())
}
