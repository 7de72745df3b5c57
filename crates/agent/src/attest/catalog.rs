//! The agent's plugins from `plugins {}`: the KeyManager holding the agent key (`disk` or
//! `memory`), the NodeAttestor (`join_token` or `x509pop`) and the WorkloadAttestors
//! (`unix`). Only built-in plugins exist; an unknown name is an error naming the declaration.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use spire_config::PluginDecl;
use spire_plugin::{AgentNodeAttestor, KeyManager, WorkloadAttestor};

use super::join_token::{JOIN_TOKEN, JoinTokenAttestor};

/// Why a plugin could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("plugins: exactly one {kind} plugin must be configured, found {found}")]
    Cardinality { kind: &'static str, found: usize },
    #[error("plugins: unknown {kind} plugin {name:?} (built in: {known})")]
    Unknown {
        kind: String,
        name: String,
        known: &'static str,
    },
    #[error("plugins: {kind} {name:?}: {message}")]
    Config {
        kind: String,
        name: String,
        message: String,
    },
    #[error("cannot read join_token_file {path}: {source}")]
    JoinTokenFile {
        path: String,
        source: std::io::Error,
    },
}

/// The agent's plugins.
#[derive(Debug)]
pub struct AgentCatalog {
    pub key_manager: Arc<dyn KeyManager>,
    pub node_attestor: Arc<dyn AgentNodeAttestor>,
    pub workload_attestors: Vec<Arc<dyn WorkloadAttestor>>,
}

/// Where the join token comes from (`-joinToken`, `join_token`, `join_token_file`).
#[derive(Debug, Clone, Default)]
pub struct JoinTokenSource {
    pub token: Option<String>,
    pub file: Option<PathBuf>,
}

impl JoinTokenSource {
    fn resolve(&self) -> Result<Option<String>, CatalogError> {
        if let Some(token) = self.token.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Some(token.clone()));
        }
        match &self.file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    CatalogError::JoinTokenFile {
                        path: path.display().to_string(),
                        source,
                    }
                })?;
                Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
            }
            None => Ok(None),
        }
    }
}

impl AgentCatalog {
    /// Opens the declared plugins; `enabled = false` declarations are skipped.
    pub fn open(
        plugins: &[PluginDecl],
        join_token: &JoinTokenSource,
    ) -> Result<Self, CatalogError> {
        let enabled: Vec<&PluginDecl> = plugins.iter().filter(|p| p.is_enabled()).collect();
        let key_manager = open_key_manager(one_of(&enabled, "KeyManager")?)?;
        let token = join_token.resolve()?;
        let node = one_of(&enabled, "NodeAttestor")?;
        let node_attestor: Arc<dyn AgentNodeAttestor> = match (node.name.as_str(), token) {
            // As in SPIRE, a join token overrides the configured attestor.
            (_, Some(token)) => Arc::new(JoinTokenAttestor::new(token)),
            (JOIN_TOKEN, None) => Arc::new(JoinTokenAttestor::without_token()),
            ("x509pop", None) => Arc::new(
                spire_nodeattestor_x509pop::X509PopAgent::from_plugin_data(&node.plugin_data)
                    .map_err(|e| config_error(node, e.to_string()))?,
            ),
            _ => return Err(unknown(node, "join_token, x509pop")),
        };
        let mut workload_attestors: Vec<Arc<dyn WorkloadAttestor>> = Vec::new();
        for p in enabled
            .iter()
            .filter(|p| p.plugin_type == "WorkloadAttestor")
        {
            match p.name.as_str() {
                "unix" => workload_attestors.push(Arc::new(
                    spire_workloadattestor_unix::UnixAttestor::from_plugin_data(&p.plugin_data)
                        .map_err(|e| config_error(p, e.to_string()))?,
                )),
                _ => return Err(unknown(p, "unix")),
            }
        }
        for p in &enabled {
            if !matches!(
                p.plugin_type.as_str(),
                "KeyManager" | "NodeAttestor" | "WorkloadAttestor"
            ) {
                return Err(unknown(p, "KeyManager, NodeAttestor, WorkloadAttestor"));
            }
        }
        Ok(Self {
            key_manager,
            node_attestor,
            workload_attestors,
        })
    }
}

fn one_of<'a>(
    plugins: &[&'a PluginDecl],
    kind: &'static str,
) -> Result<&'a PluginDecl, CatalogError> {
    let matching: Vec<&&PluginDecl> = plugins.iter().filter(|p| p.plugin_type == kind).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        other => Err(CatalogError::Cardinality {
            kind,
            found: other.len(),
        }),
    }
}

fn unknown(p: &PluginDecl, known: &'static str) -> CatalogError {
    CatalogError::Unknown {
        kind: p.plugin_type.clone(),
        name: p.name.clone(),
        known,
    }
}

fn config_error(p: &PluginDecl, message: String) -> CatalogError {
    CatalogError::Config {
        kind: p.plugin_type.clone(),
        name: p.name.clone(),
        message,
    }
}

fn open_key_manager(p: &PluginDecl) -> Result<Arc<dyn KeyManager>, CatalogError> {
    let keys: Vec<&String> = match &p.plugin_data {
        Value::Object(map) => map.keys().collect(),
        _ => Vec::new(),
    };
    match p.name.as_str() {
        "memory" => {
            if let Some(k) = keys.first() {
                return Err(config_error(p, format!("unknown configuration key {k:?}")));
            }
            Ok(Arc::new(spire_keymanager::MemoryKeyManager::new()))
        }
        "disk" => {
            if let Some(k) = keys.iter().find(|k| k.as_str() != "directory") {
                return Err(config_error(p, format!("unknown configuration key {k:?}")));
            }
            let directory = match p.plugin_data.get("directory") {
                Some(Value::String(d)) if !d.is_empty() => d.clone(),
                Some(Value::String(_)) | None | Some(Value::Null) => {
                    return Err(config_error(p, "directory must be configured".into()));
                }
                Some(_) => return Err(config_error(p, "directory must be a string".into())),
            };
            std::fs::create_dir_all(&directory)
                .map_err(|e| config_error(p, format!("cannot create {directory}: {e}")))?;
            let km = spire_keymanager::DiskKeyManager::open_directory(&directory)
                .map_err(|e| config_error(p, e.to_string()))?;
            Ok(Arc::new(km))
        }
        // `KeyManager "keyring" { plugin_data { type = "session" | "user" | "process"
        // key_prefix = "..." } }`: keys only in the kernel keyring, never on disk (spire-rs
        // only; stock SPIRE has no such plugin).
        "keyring" => {
            let config = spire_keymanager_keyring::KeyringConfig::from_plugin_data(&p.plugin_data)
                .map_err(|e| config_error(p, e.to_string()))?;
            let km = spire_keymanager_keyring::KeyringKeyManager::open_config(&config)
                .map_err(|e| config_error(p, e.to_string()))?;
            Ok(Arc::new(km))
        }
        _ => Err(unknown(p, "disk, keyring, memory")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(kind: &str, name: &str, data: Value) -> PluginDecl {
        PluginDecl {
            plugin_type: kind.into(),
            name: name.into(),
            plugin_data: data,
            plugin_data_file: None,
            plugin_cmd: None,
            plugin_checksum: None,
            enabled: None,
        }
    }

    #[test]
    fn join_token_attestor_is_built_with_or_without_a_token() {
        let plugins = [
            decl("KeyManager", "memory", serde_json::json!({})),
            decl("NodeAttestor", "join_token", serde_json::json!({})),
        ];
        let without = AgentCatalog::open(&plugins, &JoinTokenSource::default()).expect("no token");
        assert!(without.node_attestor.payload().is_err());
        let ok = AgentCatalog::open(
            &plugins,
            &JoinTokenSource {
                token: Some("t".into()),
                file: None,
            },
        )
        .expect("token given");
        assert_eq!(ok.node_attestor.name(), "join_token");
        assert!(ok.workload_attestors.is_empty());
    }

    #[test]
    fn join_token_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("token");
        std::fs::write(&file, "abc\n").expect("write");
        let source = JoinTokenSource {
            token: None,
            file: Some(file),
        };
        assert_eq!(source.resolve().expect("read"), Some("abc".into()));
    }

    #[test]
    fn disk_key_manager_needs_a_directory_and_unknown_names_are_refused() {
        let no_dir = decl("KeyManager", "disk", serde_json::json!({}));
        let err = open_key_manager(&no_dir).expect_err("no directory");
        assert_eq!(
            err.to_string(),
            "plugins: KeyManager \"disk\": directory must be configured"
        );
        let unknown_km = decl("KeyManager", "vault", serde_json::json!({}));
        assert!(matches!(
            open_key_manager(&unknown_km),
            Err(CatalogError::Unknown { .. })
        ));
    }

    #[test]
    fn disk_key_manager_keeps_keys_in_keys_json_of_its_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = decl(
            "KeyManager",
            "disk",
            serde_json::json!({"directory": dir.path().join("keys").display().to_string()}),
        );
        let km = open_key_manager(&p).expect("open");
        km.generate_key("agent-svid-A", spire_plugin::KeyType::EcP256)
            .expect("generate");
        assert!(dir.path().join("keys").join("keys.json").exists());
    }
}
