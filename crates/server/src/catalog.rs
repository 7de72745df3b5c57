//! The plugin catalog: turns the `plugins {}` declarations of server.conf into the DataStore
//! and KeyManager the server runs with. Only built-in plugins exist so far; an unknown type
//! or name is an error naming the declaration.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use spire_config::PluginDecl;
use spire_datastore::{DataStore, SqlConfig, SqlDataStore};
use spire_plugin::KeyManager;
use spire_plugin::nodeattestor::ServerNodeAttestor;

/// The plugins the server runs with.
#[derive(Debug)]
pub struct Catalog {
    pub datastore: Arc<dyn DataStore>,
    pub key_manager: Arc<dyn KeyManager>,
    /// Node attestors by name. `join_token` is built into the Agent API and always served,
    /// so it is not listed here even when declared.
    pub node_attestors: BTreeMap<String, Arc<dyn ServerNodeAttestor>>,
    /// Where the local trust bundle is published at start and after each change.
    pub bundle_publishers: Vec<Arc<spire_bundlepublisher_disk::DiskBundlePublisher>>,
}

/// Why the catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("plugins: exactly one {kind} plugin must be configured, found {found}")]
    Cardinality { kind: &'static str, found: usize },
    #[error("plugins: unknown {kind} plugin {name:?} (built in: {known})")]
    UnknownPlugin {
        kind: String,
        name: String,
        known: &'static str,
    },
    #[error("plugins: {kind} {name:?}: plugin_data key {key:?}: {message}")]
    BadData {
        kind: String,
        name: String,
        key: String,
        message: String,
    },
    #[error("plugins: DataStore \"sql\": {0}")]
    DataStore(#[from] spire_datastore::DataStoreError),
    #[error("plugins: KeyManager \"disk\": {0}")]
    KeyManager(String),
    #[error("plugins: NodeAttestor {name:?}: {message}")]
    NodeAttestor { name: String, message: String },
    #[error("plugins: BundlePublisher \"disk\": {0}")]
    BundlePublisher(#[from] spire_bundlepublisher_disk::PublishError),
}

impl Catalog {
    /// Opens every declared plugin. Plugins declared with `enabled = false` are skipped.
    pub async fn open(plugins: &[PluginDecl]) -> Result<Catalog, CatalogError> {
        let enabled: Vec<&PluginDecl> = plugins
            .iter()
            .filter(|p| p.enabled.unwrap_or(true))
            .collect();
        let datastore = one_of(&enabled, "DataStore")?;
        let key_manager = one_of(&enabled, "KeyManager")?;
        let mut node_attestors = BTreeMap::new();
        let mut bundle_publishers = Vec::new();
        for p in &enabled {
            match p.plugin_type.as_str() {
                "DataStore" | "KeyManager" => {}
                "NodeAttestor" => {
                    if let Some(attestor) = open_node_attestor(p)? {
                        node_attestors.insert(p.name.clone(), attestor);
                    }
                }
                "BundlePublisher" => bundle_publishers.push(open_bundle_publisher(p)?),
                _ => {
                    return Err(unknown(
                        p,
                        "DataStore, KeyManager, NodeAttestor, BundlePublisher",
                    ));
                }
            }
        }
        Ok(Catalog {
            datastore: open_datastore(datastore).await?,
            key_manager: open_key_manager(key_manager)?,
            node_attestors,
            bundle_publishers,
        })
    }
}

/// The server half of a declared node attestor; `None` for the built-in `join_token`.
fn open_node_attestor(p: &PluginDecl) -> Result<Option<Arc<dyn ServerNodeAttestor>>, CatalogError> {
    match p.name.as_str() {
        // SPIRE's join_token takes no configuration and ignores plugin_data.
        "join_token" => Ok(None),
        spire_nodeattestor_x509pop::PLUGIN_NAME => {
            let server =
                spire_nodeattestor_x509pop::X509PopServer::from_plugin_data(&p.plugin_data)
                    .map_err(|e| CatalogError::NodeAttestor {
                        name: p.name.clone(),
                        message: e.to_string(),
                    })?;
            Ok(Some(Arc::new(server)))
        }
        _ => Err(unknown(p, "join_token, x509pop")),
    }
}

/// `BundlePublisher "disk"` is a spire-rs extension (SPIRE's built-ins publish to cloud
/// stores); it writes the bundle to a local file, e.g. a broker's CA file.
fn open_bundle_publisher(
    p: &PluginDecl,
) -> Result<Arc<spire_bundlepublisher_disk::DiskBundlePublisher>, CatalogError> {
    if p.name != spire_bundlepublisher_disk::PLUGIN_NAME {
        return Err(unknown(p, "disk"));
    }
    Ok(Arc::new(
        spire_bundlepublisher_disk::DiskBundlePublisher::from_plugin_data(&p.plugin_data)?,
    ))
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
    CatalogError::UnknownPlugin {
        kind: p.plugin_type.clone(),
        name: p.name.clone(),
        known,
    }
}

fn bad(p: &PluginDecl, key: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::BadData {
        kind: p.plugin_type.clone(),
        name: p.name.clone(),
        key: key.to_owned(),
        message: message.into(),
    }
}

fn count_key(p: &PluginDecl, key: &str) -> Result<Option<u32>, CatalogError> {
    match p.plugin_data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(p, key, "expected a non-negative integer")),
    }
}

fn bool_key(p: &PluginDecl, key: &str) -> Result<bool, CatalogError> {
    match p.plugin_data.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(p, key, "expected a boolean")),
    }
}

fn string_key(p: &PluginDecl, key: &str) -> Result<Option<String>, CatalogError> {
    match p.plugin_data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(p, key, "expected a string")),
    }
}

const SQL_KEYS: &[&str] = &[
    "database_type",
    "connection_string",
    "ro_connection_string",
    "root_ca_path",
    "client_cert_path",
    "client_key_path",
    "max_open_conns",
    "max_idle_conns",
    "conn_max_lifetime",
    "disable_migration",
    "log_sql",
];

async fn open_datastore(p: &PluginDecl) -> Result<Arc<dyn DataStore>, CatalogError> {
    if p.name != "sql" {
        return Err(unknown(p, "sql"));
    }
    reject_unknown_keys(p, SQL_KEYS)?;
    let database_type =
        string_key(p, "database_type")?.ok_or_else(|| bad(p, "database_type", "is required"))?;
    let connection_string = string_key(p, "connection_string")?
        .ok_or_else(|| bad(p, "connection_string", "is required"))?;
    let store = SqlDataStore::open(&SqlConfig {
        database_type,
        connection_string,
        ro_connection_string: string_key(p, "ro_connection_string")?.unwrap_or_default(),
        max_open_conns: count_key(p, "max_open_conns")?,
        max_idle_conns: count_key(p, "max_idle_conns")?,
        conn_max_lifetime: string_key(p, "conn_max_lifetime")?,
        disable_migration: bool_key(p, "disable_migration")?,
    })
    .await?;
    Ok(Arc::new(store))
}

fn open_key_manager(p: &PluginDecl) -> Result<Arc<dyn KeyManager>, CatalogError> {
    match p.name.as_str() {
        "memory" => {
            reject_unknown_keys(p, &[])?;
            Ok(Arc::new(spire_keymanager::MemoryKeyManager::new()))
        }
        "disk" => {
            reject_unknown_keys(p, &["keys_path"])?;
            let path =
                string_key(p, "keys_path")?.ok_or_else(|| bad(p, "keys_path", "is required"))?;
            let km = spire_keymanager::DiskKeyManager::open(Path::new(&path))
                .map_err(|e| CatalogError::KeyManager(e.to_string()))?;
            Ok(Arc::new(km))
        }
        _ => Err(unknown(p, "disk, memory")),
    }
}

fn reject_unknown_keys(p: &PluginDecl, known: &[&str]) -> Result<(), CatalogError> {
    match &p.plugin_data {
        Value::Object(map) => match map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(bad(p, k, "unknown configuration key")),
            None => Ok(()),
        },
        Value::Null => Ok(()),
        _ => Err(bad(p, "plugin_data", "expected an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_attestor(name: &str, data: Value) -> PluginDecl {
        PluginDecl {
            plugin_type: "NodeAttestor".into(),
            name: name.into(),
            plugin_data: data,
            plugin_data_file: None,
            plugin_cmd: None,
            plugin_checksum: None,
            enabled: None,
        }
    }

    #[test]
    fn join_token_is_built_in_and_not_a_plugin() {
        let built = open_node_attestor(&node_attestor("join_token", serde_json::json!({})))
            .expect("join_token is known");
        assert!(built.is_none());
    }

    #[test]
    fn x509pop_is_built_from_its_plugin_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("self-signed CA");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.pem()).expect("write bundle");
        let decl = node_attestor(
            "x509pop",
            serde_json::json!({ "ca_bundle_path": path.display().to_string() }),
        );
        let built = open_node_attestor(&decl)
            .expect("x509pop builds")
            .expect("x509pop is a plugin");
        assert_eq!(built.name(), "x509pop");
    }

    #[test]
    fn x509pop_with_an_unreadable_bundle_names_the_plugin() {
        let decl = node_attestor(
            "x509pop",
            serde_json::json!({ "ca_bundle_path": "/nonexistent/ca.pem" }),
        );
        let err = open_node_attestor(&decl).expect_err("missing bundle");
        assert!(
            err.to_string()
                .starts_with("plugins: NodeAttestor \"x509pop\": "),
            "{err}"
        );
    }

    #[test]
    fn disk_bundle_publisher_is_accepted_and_others_refused() {
        let mut decl = node_attestor("disk", serde_json::json!({ "path": "/tmp/b.pem" }));
        decl.plugin_type = "BundlePublisher".into();
        let publisher = open_bundle_publisher(&decl).expect("disk builds");
        assert_eq!(publisher.path(), Path::new("/tmp/b.pem"));
        decl.name = "aws_s3".into();
        let err = open_bundle_publisher(&decl).expect_err("not built in");
        assert_eq!(
            err.to_string(),
            "plugins: unknown BundlePublisher plugin \"aws_s3\" (built in: disk)"
        );
    }

    #[test]
    fn an_unknown_node_attestor_is_refused() {
        let err = open_node_attestor(&node_attestor("tpm_devid", serde_json::json!({})))
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "plugins: unknown NodeAttestor plugin \"tpm_devid\" (built in: join_token, x509pop)"
        );
    }
}
