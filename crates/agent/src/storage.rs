//! `<data_dir>/agent-data.json`: the agent SVID chain, the last known bundle and whether the
//! agent may re-attest, in SPIRE's layout (`{"svid": [PEM...], "bundle": [PEM...],
//! "reattestable": bool}`, each PEM base64-encoded as Go encodes `[]byte`), so a data dir
//! written by stock SPIRE opens here and the other way round.
//!
//! Writes go through `spire-atomic-file` (random 0600 temporary file, fsync, rename, fsync of
//! the directory), so a kill at any point leaves the old or the new state, never a torn file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The file name SPIRE uses inside `data_dir`.
pub const AGENT_DATA_FILE: &str = "agent-data.json";

/// The agent SVID is not secret, but SPIRE keeps the file owner-only and so do we.
const AGENT_DATA_FILE_MODE: u32 = 0o600;

/// A larger file is not agent state: refuse it rather than read it into memory.
const MAX_AGENT_DATA_BYTES: u64 = 16 * 1024 * 1024;

/// What the agent keeps across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentData {
    /// The agent SVID, DER, leaf first; empty when the agent has none.
    pub svid: Vec<Vec<u8>>,
    /// The trust domain's X.509 authorities, DER.
    pub bundle: Vec<Vec<u8>>,
    /// Whether the SVID came from a re-attestable node attestor.
    pub reattestable: bool,
}

/// Why the agent state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("agent data file {path}: cannot read: {source}")]
    Read { path: String, source: io::Error },
    /// Refused rather than reset: starting with an empty state would make the agent attest
    /// again and generate a new key over the one in keys.json, so a join-token agent (whose
    /// token is spent) could never come back.
    #[error(
        "agent data file {path} is corrupt ({reason}); refusing to start so the agent keeps its key and identity: restore the file, or remove it to attest the agent again"
    )]
    Corrupt { path: String, reason: String },
    #[error("agent data file {path}: cannot write: {source}")]
    Write { path: String, source: io::Error },
}

/// The agent state file, cached in memory.
#[derive(Debug)]
pub struct Storage {
    path: PathBuf,
    data: Mutex<AgentData>,
}

impl Storage {
    /// Opens `<dir>/agent-data.json`; a missing file is an empty state.
    pub fn open(dir: &Path) -> Result<Storage, StorageError> {
        let path = dir.join(AGENT_DATA_FILE);
        let data = read(&path)?;
        Ok(Storage {
            path,
            data: Mutex::new(data),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A copy of the current state.
    pub fn data(&self) -> AgentData {
        self.lock().clone()
    }

    /// Stores a new agent SVID.
    pub fn store_svid(&self, svid: Vec<Vec<u8>>, reattestable: bool) -> Result<(), StorageError> {
        self.update(|d| {
            d.svid = svid;
            d.reattestable = reattestable;
        })
    }

    /// Stores the trust domain's X.509 authorities.
    pub fn store_bundle(&self, bundle: Vec<Vec<u8>>) -> Result<(), StorageError> {
        self.update(|d| d.bundle = bundle)
    }

    /// Forgets the agent SVID (banned agent, or an SVID the server no longer accepts).
    pub fn delete_svid(&self) -> Result<(), StorageError> {
        self.update(|d| {
            d.svid.clear();
            d.reattestable = false;
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AgentData> {
        // The data is replaced whole after a successful write; a panic elsewhere cannot
        // leave it half-updated.
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut AgentData)) -> Result<(), StorageError> {
        let mut guard = self.lock();
        let mut next = guard.clone();
        change(&mut next);
        let bytes = encode(&next);
        spire_atomic_file::replace(&self.path, &bytes, AGENT_DATA_FILE_MODE).map_err(|e| {
            StorageError::Write {
                path: self.path.display().to_string(),
                source: e.into(),
            }
        })?;
        *guard = next;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct DataJson {
    #[serde(default)]
    svid: Option<Vec<String>>,
    #[serde(default)]
    bundle: Option<Vec<String>>,
    #[serde(default)]
    reattestable: bool,
}

fn read(path: &Path) -> Result<AgentData, StorageError> {
    let shown = || path.display().to_string();
    let bytes = match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(AgentData::default()),
        Err(source) => {
            return Err(StorageError::Read {
                path: shown(),
                source,
            });
        }
        Ok(meta) if meta.len() > MAX_AGENT_DATA_BYTES => {
            return Err(StorageError::Corrupt {
                path: shown(),
                reason: format!("{} bytes is larger than any agent state", meta.len()),
            });
        }
        Ok(_) => fs::read(path).map_err(|source| StorageError::Read {
            path: shown(),
            source,
        })?,
    };
    decode(&bytes).map_err(|reason| StorageError::Corrupt {
        path: shown(),
        reason,
    })
}

/// Parses the JSON document; every problem is described for the corrupt-file error.
pub(crate) fn decode(bytes: &[u8]) -> Result<AgentData, String> {
    let json: DataJson = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok(AgentData {
        svid: certificates(json.svid.unwrap_or_default(), "svid")?,
        bundle: certificates(json.bundle.unwrap_or_default(), "bundle")?,
        reattestable: json.reattestable,
    })
}

fn certificates(items: Vec<String>, field: &str) -> Result<Vec<Vec<u8>>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, b64)| {
            let pem_bytes = STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| format!("{field}[{i}]: not base64: {e}"))?;
            let block = pem::parse(&pem_bytes).map_err(|e| format!("{field}[{i}]: {e}"))?;
            if block.tag() != "CERTIFICATE" {
                return Err(format!(
                    "{field}[{i}]: PEM block is {:?}, expected CERTIFICATE",
                    block.tag()
                ));
            }
            Ok(block.into_contents())
        })
        .collect()
}

pub(crate) fn encode(data: &AgentData) -> Vec<u8> {
    let list = |certs: &[Vec<u8>]| {
        // Go marshals an empty slice of certificates as null; keep the same bytes.
        (!certs.is_empty()).then(|| {
            certs
                .iter()
                .map(|der| {
                    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", der.clone()));
                    STANDARD.encode(pem.as_bytes())
                })
                .collect()
        })
    };
    let json = DataJson {
        svid: list(&data.svid),
        bundle: list(&data.bundle),
        reattestable: data.reattestable,
    };
    // Serializing a struct of strings and a bool cannot fail.
    serde_json::to_vec(&json).unwrap_or_default()
}

#[cfg(test)]
mod tests;
