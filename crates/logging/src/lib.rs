//! Logs as SPIRE writes them: `log_level` (DEBUG, INFO, WARN, ERROR; TRACE too), `log_format`
//! `text` or `json`, to stderr or `log_file`. Shared by `spire-server run` and `spire-agent run`.

use std::fs::OpenOptions;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

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

/// What to log, as read from the config file.
#[derive(Debug, Clone, Copy)]
pub struct LogSettings<'a> {
    /// `log_level`; empty means INFO.
    pub level: &'a str,
    /// `log_format`: `text` (or empty) or `json`.
    pub format: &'a str,
    /// `log_file`; `None` logs to stderr.
    pub file: Option<&'a Path>,
    /// Crates (tracing targets) logged at `level`; every other crate stays at WARN so DEBUG
    /// shows the program's own story, not its libraries'.
    pub own_crates: &'a [&'a str],
}

/// `log_level` as a tracing directive.
pub fn level_directive(level: &str) -> Result<&'static str, LoggingError> {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => Ok("trace"),
        "DEBUG" => Ok("debug"),
        "" | "INFO" => Ok("info"),
        "WARN" | "WARNING" => Ok("warn"),
        "ERROR" | "FATAL" | "PANIC" => Ok("error"),
        _ => Err(LoggingError::Level(level.to_owned())),
    }
}

/// Whether `log_format` asks for JSON.
pub fn is_json(format: &str) -> Result<bool, LoggingError> {
    match format.to_ascii_lowercase().as_str() {
        "" | "text" => Ok(false),
        "json" => Ok(true),
        _ => Err(LoggingError::Format(format.to_owned())),
    }
}

/// The filter: WARN for everything, `level` for `own_crates`.
pub fn filter_directives(level: &str, own_crates: &[&str]) -> Result<String, LoggingError> {
    let directive = level_directive(level)?;
    let mut out = String::from("warn");
    for krate in own_crates {
        out.push_str(&format!(",{krate}={directive}"));
    }
    Ok(out)
}

/// Installs the global subscriber. Settings are checked first, so a bad value is an error even
/// when a subscriber is already installed; that case (tests running in-process) is otherwise
/// ignored.
pub fn init(settings: LogSettings<'_>) -> Result<(), LoggingError> {
    let filter = EnvFilter::new(filter_directives(settings.level, settings.own_crates)?);
    let json = is_json(settings.format)?;
    let writer = match settings.file {
        Some(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| LoggingError::File {
                    path: path.display().to_string(),
                    source,
                })?;
            BoxMakeWriter::new(std::sync::Mutex::new(file))
        }
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .with_writer(writer);
    // try_init fails only when a subscriber is already installed.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_spire_names_case_insensitively() {
        assert_eq!(level_directive("DEBUG").ok(), Some("debug"));
        assert_eq!(level_directive("warn").ok(), Some("warn"));
        assert_eq!(level_directive("").ok(), Some("info"));
        assert_eq!(level_directive("fatal").ok(), Some("error"));
        let err = level_directive("LOUD").expect_err("unknown level");
        assert!(err.to_string().contains("\"LOUD\""), "{err}");
    }

    #[test]
    fn formats_are_text_or_json() {
        assert_eq!(is_json("JSON").ok(), Some(true));
        assert_eq!(is_json("").ok(), Some(false));
        assert!(is_json("xml").expect_err("xml").to_string().contains("xml"));
    }

    #[test]
    fn own_crates_get_the_level_and_the_rest_warn() {
        let f = filter_directives("DEBUG", &["spire_agent", "spire_ca"]).expect("valid");
        assert_eq!(f, "warn,spire_agent=debug,spire_ca=debug");
    }

    #[test]
    fn unwritable_log_file_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("agent.log");
        let err = init(LogSettings {
            level: "INFO",
            format: "text",
            file: Some(&path),
            own_crates: &[],
        })
        .expect_err("parent dir does not exist");
        assert!(err.to_string().contains("missing/agent.log"), "{err}");
    }
}
