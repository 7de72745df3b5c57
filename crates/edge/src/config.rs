//! `plugins.yaml`: one top-level section per plugin (`spire: {...}`) plus `host: {...}` for the
//! host itself. Strings are `${VAR}`-expanded; every error names the file and the dotted key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_norway::{Mapping, Value};

use crate::expand::expand_value;

/// Why `plugins.yaml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not valid YAML: {message}")]
    Yaml { path: String, message: String },
    #[error("{key}: unknown key (expected one of: {expected})")]
    UnknownKey { key: String, expected: String },
    #[error("{key} is required")]
    Missing { key: String },
    #[error("{key}: environment variable ${{{var}}} is not set")]
    UnsetVariable { key: String, var: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("{file}: {source}")]
    InFile {
        file: String,
        #[source]
        source: Box<ConfigError>,
    },
}

/// Settings of the host itself (`host:` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// How often plugins are health-checked (`host.healthInterval`, default 30s).
    pub health_interval: Duration,
    /// Where the latest health report is written (`host.statusFile`, default
    /// `spire-edge-status.json` beside plugins.yaml).
    pub status_file: PathBuf,
}

/// A parsed, expanded `plugins.yaml`.
#[derive(Debug, Clone)]
pub struct PluginsFile {
    pub path: PathBuf,
    pub host: HostConfig,
    /// Plugin sections by name, expanded.
    pub sections: BTreeMap<String, Value>,
}

impl PluginsFile {
    /// Reads and expands `path` with the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(path, &text, &|var| std::env::var(var).ok())
    }

    /// Like [`PluginsFile::load`] but an unset `${VAR}` expands to an empty string: for
    /// `spire-edge status` and `exec`, which need only paths and must not require the secrets
    /// (join token) that `run` was given.
    pub fn load_lenient(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(path, &text, &|var| {
            Some(std::env::var(var).unwrap_or_default())
        })
    }

    /// Parses `text` (read from `path`), expanding `${VAR}` through `lookup`.
    pub fn parse(
        path: &Path,
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let in_file = |source| ConfigError::InFile {
            file: path.display().to_string(),
            source: Box::new(source),
        };
        let mut root: Value = serde_norway::from_str(text).map_err(|e| ConfigError::Yaml {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if root.is_null() {
            root = Value::Mapping(Mapping::new());
        }
        expand_value(&mut root, "", lookup).map_err(in_file)?;
        let Value::Mapping(map) = root else {
            return Err(in_file(ConfigError::Invalid {
                key: "(top level)".into(),
                message: "must be a mapping of plugin sections".into(),
            }));
        };
        let mut sections = BTreeMap::new();
        let mut host = None;
        for (k, v) in map {
            let Some(name) = k.as_str() else {
                return Err(in_file(ConfigError::Invalid {
                    key: format!("{k:?}"),
                    message: "top-level keys must be strings".into(),
                }));
            };
            if name == "host" {
                host = Some(v);
            } else {
                sections.insert(name.to_owned(), v);
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let host = HostConfig::from_value(host.as_ref(), dir).map_err(in_file)?;
        Ok(Self {
            path: path.to_owned(),
            host,
            sections,
        })
    }

    /// The section of plugin `name`, if present.
    pub fn section(&self, name: &str) -> Option<&Value> {
        self.sections.get(name)
    }

    /// Wraps an error so it names this file too.
    pub fn in_file(&self, source: ConfigError) -> ConfigError {
        ConfigError::InFile {
            file: self.path.display().to_string(),
            source: Box::new(source),
        }
    }
}

impl HostConfig {
    fn from_value(value: Option<&Value>, dir: &Path) -> Result<Self, ConfigError> {
        let section = Section::new("host", value)?;
        section.check_keys(&["healthInterval", "statusFile"])?;
        let health_interval = match section.string("healthInterval")? {
            Some(s) => parse_duration(&s).map_err(|message| ConfigError::Invalid {
                key: "host.healthInterval".into(),
                message,
            })?,
            None => Duration::from_secs(30),
        };
        let status_file = section
            .string("statusFile")?
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("spire-edge-status.json"));
        Ok(Self {
            health_interval,
            status_file,
        })
    }
}

/// A mapping at a dotted path, with typed getters whose errors name the key.
#[derive(Debug, Clone)]
pub struct Section {
    path: String,
    map: Mapping,
}

impl Section {
    /// `value` must be a mapping (or absent/null: an empty section).
    pub fn new(path: &str, value: Option<&Value>) -> Result<Self, ConfigError> {
        let map = match value {
            None | Some(Value::Null) => Mapping::new(),
            Some(Value::Mapping(m)) => m.clone(),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    key: path.to_owned(),
                    message: "must be a mapping".into(),
                });
            }
        };
        Ok(Self {
            path: path.to_owned(),
            map,
        })
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> Vec<String> {
        self.map
            .keys()
            .map(|k| k.as_str().unwrap_or("?").to_owned())
            .collect()
    }

    /// Fails on the first key not in `allowed`.
    pub fn check_keys(&self, allowed: &[&str]) -> Result<(), ConfigError> {
        for k in self.map.keys() {
            let name = k.as_str().unwrap_or("?");
            if !allowed.contains(&name) {
                return Err(ConfigError::UnknownKey {
                    key: self.key(name),
                    expected: allowed.join(", "),
                });
            }
        }
        Ok(())
    }

    /// A string (numbers are taken as their text); empty strings count as absent.
    pub fn string(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.invalid(name, "must be a string")),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<String, ConfigError> {
        self.string(name)?.ok_or_else(|| ConfigError::Missing {
            key: self.key(name),
        })
    }

    /// A bool; `"true"`/`"false"` strings (from `${VAR}`) are accepted too.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" => Ok(true),
            Some(Value::String(s)) if s == "false" => Ok(false),
            Some(_) => Err(self.invalid(name, "must be true or false")),
        }
    }

    pub fn sub(&self, name: &str) -> Result<Section, ConfigError> {
        Section::new(&self.key(name), self.map.get(name))
    }

    pub fn invalid(&self, name: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            key: self.key(name),
            message: message.to_owned(),
        }
    }
}

/// `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s"))?;
    // Checked: a large count of minutes or hours overflowed u64 (a panic in debug builds, a
    // wrong duration in release), found by the `go_duration` fuzz target.
    let too_long = || format!("{s:?} is too long a duration");
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(too_long)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(too_long)?),
        _ => return Err(format!("{s:?} has an unknown unit (ms, s, m, h)")),
    };
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
