//! `plugin_data` of `BundlePublisher "disk"`.

use std::path::PathBuf;

use serde_json::Value;

use crate::PublishError;

/// The format of the published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFormat {
    /// Concatenated PEM `CERTIFICATE` blocks of the X.509 authorities.
    Pem,
    /// The SPIFFE bundle document (JWKS with `spiffe_sequence`).
    Spiffe,
}

/// The parsed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskPublisherConfig {
    pub path: PathBuf,
    pub format: BundleFormat,
}

const KEYS: &[&str] = &["path", "format"];

impl DiskPublisherConfig {
    /// `path` is required; `format` is `pem` (the default) or `spiffe`.
    pub fn from_plugin_data(data: &Value) -> Result<Self, PublishError> {
        let map = match data {
            Value::Object(map) => map,
            Value::Null => return Err(bad("path", "is required")),
            _ => return Err(bad("plugin_data", "expected an object")),
        };
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(key, "unknown configuration key"));
        }
        let path = match map.get("path") {
            Some(Value::String(s)) if !s.is_empty() => PathBuf::from(s),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(bad("path", "is required"));
            }
            Some(_) => return Err(bad("path", "expected a string")),
        };
        let format = match map.get("format") {
            None | Some(Value::Null) => BundleFormat::Pem,
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "pem" => BundleFormat::Pem,
                "spiffe" => BundleFormat::Spiffe,
                other => {
                    return Err(bad(
                        "format",
                        format!("{other:?} is not one of \"pem\", \"spiffe\""),
                    ));
                }
            },
            Some(_) => return Err(bad("format", "expected a string")),
        };
        Ok(Self { path, format })
    }
}

fn bad(key: &str, message: impl Into<String>) -> PublishError {
    PublishError::Config {
        key: key.to_owned(),
        message: message.into(),
    }
}
