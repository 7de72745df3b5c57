//! Typed reads from one configuration block, consuming keys as they are read so that what is
//! left at the end is exactly the set of unknown keys.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::duration::parse_go_duration;
use crate::error::ConfigError;
use crate::hcl::deep_merge;

/// One block (`server`, `plugins.DataStore.sql`, ...) being decoded.
#[derive(Debug)]
pub(crate) struct Section {
    source: String,
    path: String,
    map: Map<String, Value>,
}

impl Section {
    /// The top level of a file.
    pub(crate) fn root(value: Value, source: &str) -> Result<Self, ConfigError> {
        Self::from_value(value, source, String::new())
    }

    /// A block found under a label rather than a plain key (plugin types and names).
    pub(crate) fn child(source: &str, path: String, value: Value) -> Result<Self, ConfigError> {
        Self::from_value(value, source, path)
    }

    fn from_value(value: Value, source: &str, path: String) -> Result<Self, ConfigError> {
        let map = block_map(value, source, &path)?;
        Ok(Self {
            source: source.to_string(),
            path,
            map,
        })
    }

    /// The file name, for errors.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The full path of `key` inside this block.
    pub(crate) fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Removes and returns a raw value.
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Keys still unread, in order, with their values (used for label maps such as plugins).
    pub(crate) fn drain(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.map).into_iter().collect()
    }

    /// A nested block: an object, or a list of objects (repeated blocks, HCL1-JSON) merged.
    pub(crate) fn block(&mut self, key: &str) -> Result<Option<Section>, ConfigError> {
        let path = self.key_path(key);
        self.take(key)
            .map(|v| Section::from_value(v, &self.source, path))
            .transpose()
    }

    /// Records the keys left unread as unknown.
    pub(crate) fn finish(self, unknown: &mut Vec<String>) {
        for key in self.map.keys() {
            unknown.push(if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            });
        }
    }

    pub(crate) fn string(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(key, "a string", &other)),
        }
    }

    pub(crate) fn bool(&mut self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.wrong_type(key, "a boolean", &other)),
        }
    }

    /// An integer, written as a number or a quoted number (HCL1 accepts both for Go ints).
    pub(crate) fn int(&mut self, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Some(i)),
                Err(_) => Err(self.invalid(key, format!("{s:?} is not an integer"))),
            },
            Some(other) => Err(self.wrong_type(key, "an integer", &other)),
        }
    }

    /// A non-negative integer.
    pub(crate) fn uint(&mut self, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.int(key)? {
            None => Ok(None),
            Some(i) => u64::try_from(i)
                .map(Some)
                .map_err(|_| self.invalid(key, format!("{i} is negative"))),
        }
    }

    /// A TCP port (0-65535), as a number or a quoted number.
    pub(crate) fn port(&mut self, key: &str) -> Result<Option<u16>, ConfigError> {
        match self.int(key)? {
            None => Ok(None),
            Some(i) => u16::try_from(i)
                .map(Some)
                .map_err(|_| self.invalid(key, format!("port {i} is out of range 0-65535"))),
        }
    }

    /// A Go duration string such as "1h30m".
    pub(crate) fn duration(&mut self, key: &str) -> Result<Option<Duration>, ConfigError> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => parse_go_duration(&s)
                .map(Some)
                .map_err(|e| self.invalid(key, e.to_string())),
        }
    }

    /// A duration that must be greater than zero (TTLs).
    pub(crate) fn ttl(&mut self, key: &str) -> Result<Option<Duration>, ConfigError> {
        match self.duration(key)? {
            Some(d) if d.is_zero() => Err(self.invalid(key, "must be greater than zero".into())),
            other => Ok(other),
        }
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => out.push(s),
                        other => return Err(self.wrong_type(key, "a list of strings", &other)),
                    }
                }
                Ok(Some(out))
            }
            Some(other) => Err(self.wrong_type(key, "a list of strings", &other)),
        }
    }

    pub(crate) fn wrong_type(
        &self,
        key: &str,
        expected: &'static str,
        found: &Value,
    ) -> ConfigError {
        ConfigError::WrongType {
            file: self.source.clone(),
            key: self.key_path(key),
            expected,
            found: kind(found),
        }
    }

    pub(crate) fn invalid(&self, key: &str, reason: String) -> ConfigError {
        ConfigError::InvalidValue {
            file: self.source.clone(),
            key: self.key_path(key),
            reason,
        }
    }
}

/// A block's object: an object as is, or a list of objects merged (repeated blocks).
fn block_map(value: Value, source: &str, path: &str) -> Result<Map<String, Value>, ConfigError> {
    let wrong = |found: &Value| ConfigError::WrongType {
        file: source.to_string(),
        key: path.to_string(),
        expected: "a block",
        found: kind(found),
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut merged = Value::Object(Map::new());
            for item in &items {
                merged = deep_merge(&merged, item).ok_or_else(|| ConfigError::Invalid {
                    file: source.to_string(),
                    reason: format!("{path:?} is given more than once with clashing keys"),
                })?;
            }
            match merged {
                Value::Object(map) => Ok(map),
                other => Err(wrong(&other)),
            }
        }
        other => Err(wrong(&other)),
    }
}

/// A short description of a value's type, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a block",
    }
}
