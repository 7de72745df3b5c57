//! The `spire:` section of plugins.yaml, checked key by key.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::Value;

use crate::config::{ConfigError, Section};

const KEYS: &[&str] = &[
    "enabled",
    "serverAddress",
    "trustDomain",
    "socketPath",
    "dataDir",
    "logLevel",
    "nodeAttestor",
    "keyring",
    "joinToken",
    "agentPath",
    "trustBundlePath",
    "insecureBootstrap",
];

/// Where the keys of the agent live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStore {
    /// `KeyManager "keyring"` with this keyring type.
    Keyring(&'static str),
    /// `KeyManager "disk"` in dataDir (keyring.enabled: false).
    Disk,
}

/// The SPIRE plugin's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpireConfig {
    pub server_host: String,
    pub server_port: u16,
    pub trust_domain: String,
    pub socket_path: PathBuf,
    pub data_dir: PathBuf,
    pub log_level: String,
    pub node_attestor: String,
    /// Extra `plugin_data` for the node attestor (`nodeAttestor.pluginData`).
    pub node_attestor_data: BTreeMap<String, String>,
    pub key_store: KeyStore,
    pub join_token: Option<String>,
    pub agent_path: PathBuf,
    pub trust_bundle_path: Option<PathBuf>,
    pub insecure_bootstrap: bool,
}

impl SpireConfig {
    /// Parses the section; `Ok(None)` when `enabled: false` or the section is absent.
    pub fn from_value(value: &Value) -> Result<Option<Self>, ConfigError> {
        if value.is_null() {
            return Ok(None);
        }
        let s = Section::new("spire", Some(value))?;
        s.check_keys(KEYS)?;
        if !s.bool("enabled", true)? {
            return Ok(None);
        }
        let address = s.required_string("serverAddress")?;
        let (server_host, server_port) = split_address(&address)
            .ok_or_else(|| s.invalid("serverAddress", "must be host or host:port"))?;
        let trust_domain = s.required_string("trustDomain")?;
        let na = s.sub("nodeAttestor")?;
        na.check_keys(&["type", "pluginData"])?;
        let node_attestor = na.string("type")?.unwrap_or_else(|| "join_token".into());
        if !matches!(node_attestor.as_str(), "join_token" | "x509pop") {
            return Err(na.invalid("type", "must be join_token or x509pop"));
        }
        let node_attestor_data = string_map(&na.sub("pluginData")?)?;
        let kr = s.sub("keyring")?;
        kr.check_keys(&["enabled", "type"])?;
        let key_store = if kr.bool("enabled", true)? {
            match kr.string("type")?.as_deref() {
                None | Some("session") => KeyStore::Keyring("session"),
                Some("user") => KeyStore::Keyring("user"),
                Some("process") => KeyStore::Keyring("process"),
                Some(_) => return Err(kr.invalid("type", "must be session, user or process")),
            }
        } else {
            KeyStore::Disk
        };
        let trust_bundle_path = s.string("trustBundlePath")?.map(PathBuf::from);
        let insecure_bootstrap = s.bool("insecureBootstrap", false)?;
        if trust_bundle_path.is_none() && !insecure_bootstrap {
            return Err(ConfigError::Missing {
                key: "spire.trustBundlePath (or spire.insecureBootstrap: true)".into(),
            });
        }
        Ok(Some(Self {
            server_host,
            server_port,
            trust_domain,
            socket_path: PathBuf::from(
                s.string("socketPath")?
                    .unwrap_or_else(|| "/tmp/spire-agent/public/api.sock".into()),
            ),
            data_dir: PathBuf::from(
                s.string("dataDir")?
                    .unwrap_or_else(|| "/var/lib/spire-edge/agent".into()),
            ),
            log_level: s.string("logLevel")?.unwrap_or_else(|| "INFO".into()),
            node_attestor,
            node_attestor_data,
            key_store,
            join_token: s.string("joinToken")?,
            agent_path: s
                .string("agentPath")?
                .map_or_else(default_agent_path, PathBuf::from),
            trust_bundle_path,
            insecure_bootstrap,
        }))
    }

    pub fn agent_conf_path(&self) -> PathBuf {
        self.data_dir.join("agent.conf")
    }

    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("agent.log")
    }
}

/// Our spire-agent beside the running spire-edge binary, else `spire-agent` on PATH.
fn default_agent_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("spire-agent")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("spire-agent"))
}

fn split_address(address: &str) -> Option<(String, u16)> {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host.to_owned(), port.parse().ok()?)),
        Some(_) => None,
        None if !address.is_empty() => Some((address.to_owned(), 8081)),
        None => None,
    }
}

fn string_map(s: &Section) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for key in s.keys() {
        if let Some(v) = s.string(&key)? {
            out.insert(key, v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
