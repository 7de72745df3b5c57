//! Reading a configuration file into a `serde_json::Value`: HCL1, or JSON when the text
//! starts with `{` (HCL1 accepts JSON too).

use std::path::Path;

use serde_json::Value;

use crate::error::ConfigError;
use crate::expand::expand_env;
use crate::hcl;

/// Reads `path`, applies `-expandEnv` substitution when asked, and parses the text.
pub fn load_file(path: &Path, expand_env_vars: bool) -> Result<Value, ConfigError> {
    let text = read(path)?;
    let text = if expand_env_vars {
        expand_env(&text)
    } else {
        text
    };
    parse_str(&text, &path.display().to_string())
}

/// Parses configuration text; `source` names it in errors. Never panics, whatever the input.
pub fn parse_str(text: &str, source: &str) -> Result<Value, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json {
            file: source.to_string(),
            message: e.to_string(),
        })?;
        return match value {
            Value::Object(_) => Ok(value),
            _ => Err(ConfigError::Json {
                file: source.to_string(),
                message: "the top level must be an object".into(),
            }),
        };
    }
    hcl::parse(text).map_err(|e| ConfigError::Syntax {
        file: source.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

fn read(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::NotFound {
            path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        }),
        Err(reason) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            reason,
        }),
    }
}
