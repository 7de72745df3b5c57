//! The `plugins { Type "name" { ... } }` block.

use serde_json::{Map, Value};

use crate::error::ConfigError;
use crate::section::{Section, kind};

/// One plugin declaration: `DataStore "sql" { plugin_data { ... } }`.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginDecl {
    /// The plugin type, e.g. "DataStore".
    pub plugin_type: String,
    /// The plugin name, e.g. "sql".
    pub name: String,
    /// `plugin_data`, always an object (`{}` when absent).
    pub plugin_data: Value,
    /// `plugin_data_file`: configuration read from this file instead.
    pub plugin_data_file: Option<String>,
    /// `plugin_cmd`: path of an external plugin binary.
    pub plugin_cmd: Option<String>,
    /// `plugin_checksum`: SHA-256 of the external binary.
    pub plugin_checksum: Option<String>,
    /// `enabled`: `Some(false)` disables the declaration.
    pub enabled: Option<bool>,
}

impl PluginDecl {
    /// Whether the plugin takes part (not explicitly disabled).
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }
}

/// Plugin types a binary accepts and how many of each it needs.
pub(crate) struct PluginRules {
    pub known_types: &'static [&'static str],
    pub exactly_one: &'static [&'static str],
}

/// Decodes the `plugins` block; `Ok(None)` when it is absent. Order: by type, then name.
pub(crate) fn decode(
    root: &mut Section,
    rules: &PluginRules,
    unknown: &mut Vec<String>,
) -> Result<Option<Vec<PluginDecl>>, ConfigError> {
    let Some(mut plugins) = root.block("plugins")? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (plugin_type, by_name) in plugins.drain() {
        if !rules.known_types.contains(&plugin_type.as_str()) {
            return Err(ConfigError::InvalidValue {
                file: plugins.source().to_string(),
                key: plugins.key_path(&plugin_type),
                reason: format!(
                    "unknown plugin type {plugin_type:?}; expected one of {}",
                    rules.known_types.join(", ")
                ),
            });
        }
        let mut names = Section::child(plugins.source(), plugins.key_path(&plugin_type), by_name)?;
        for (name, body) in names.drain() {
            let mut decl = Section::child(names.source(), names.key_path(&name), body)?;
            out.push(declaration(&mut decl, &plugin_type, name)?);
            decl.finish(unknown);
        }
    }
    Ok(Some(out))
}

/// Checks the "exactly one" rules over enabled declarations.
pub(crate) fn check_cardinality(
    source: &str,
    plugins: &[PluginDecl],
    rules: &PluginRules,
) -> Result<(), ConfigError> {
    for required in rules.exactly_one {
        let count = plugins
            .iter()
            .filter(|p| p.plugin_type == *required && p.is_enabled())
            .count();
        if count != 1 {
            return Err(ConfigError::Invalid {
                file: source.to_string(),
                reason: format!(
                    "expected exactly 1 {required} plugin to be configured, found {count}"
                ),
            });
        }
    }
    Ok(())
}

fn declaration(
    s: &mut Section,
    plugin_type: &str,
    name: String,
) -> Result<PluginDecl, ConfigError> {
    let plugin_data = match s.take("plugin_data") {
        None => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v,
        // Repeated `plugin_data {}` blocks or HCL1-JSON lists: merge through a child section.
        Some(v @ Value::Array(_)) => {
            let mut merged = Section::child(s.source(), s.key_path("plugin_data"), v)?;
            Value::Object(merged.drain().into_iter().collect())
        }
        Some(other) => {
            return Err(ConfigError::WrongType {
                file: s.source().to_string(),
                key: s.key_path("plugin_data"),
                expected: "a block",
                found: kind(&other),
            });
        }
    };
    let decl = PluginDecl {
        plugin_type: plugin_type.to_string(),
        name,
        plugin_data,
        plugin_data_file: s.string("plugin_data_file")?,
        plugin_cmd: s.string("plugin_cmd")?,
        plugin_checksum: s.string("plugin_checksum")?,
        enabled: s.bool("enabled")?,
    };
    let has_data = decl.plugin_data.as_object().is_some_and(|m| !m.is_empty());
    if has_data && decl.plugin_data_file.is_some() {
        return Err(ConfigError::Invalid {
            file: s.source().to_string(),
            reason: format!(
                "plugin {plugin_type} {:?}: only one of plugin_data or plugin_data_file can be used",
                decl.name
            ),
        });
    }
    Ok(decl)
}
