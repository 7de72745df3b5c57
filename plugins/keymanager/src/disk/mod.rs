//! The `disk` KeyManager: keys persisted in one JSON file (server: `keys_path`; agent:
//! `<directory>/keys.json`), replaced crash-safely with mode 0600 on every generation.

mod keys_file;

use std::collections::HashMap;
use std::fs::{self, DirBuilder, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use spire_plugin::{Key, KeyManager, KeyManagerError, KeyType};

pub use crate::software_key::KeyParseError;
use crate::software_key::SoftwareKey;

/// The file name the agent's `directory` form keeps its keys in.
pub const AGENT_KEYS_FILE_NAME: &str = "keys.json";

/// Private key files are readable by their owner only, whatever the umask.
const KEY_FILE_MODE: u32 = 0o600;

/// A key file larger than this is refused rather than read into memory.
pub const MAX_KEYS_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Keys held in memory and mirrored to one file. Every generation rewrites the whole file
/// before the new key becomes visible, so what callers see is always what is on disk.
#[derive(Debug)]
pub struct DiskKeyManager {
    path: PathBuf,
    // One lock over both the map and the file write: generations are serialised, so the file
    // never loses a key another thread generated concurrently.
    keys: Mutex<HashMap<String, Arc<SoftwareKey>>>,
}

/// Why the disk KeyManager could not open or write its key file.
#[derive(Debug, thiserror::Error)]
pub enum DiskKeyManagerError {
    #[error("creating key directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("reading key file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("key file {path} is larger than {MAX_KEYS_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("key file {path} is not a valid keys.json document: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("key file {path}: key {id:?} is not valid base64")]
    KeyEncoding { path: PathBuf, id: String },
    #[error("key file {path}: key {id:?}: {reason}")]
    KeyParse {
        path: PathBuf,
        id: String,
        reason: KeyParseError,
    },
    #[error("writing key file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

impl DiskKeyManager {
    /// Opens the key file at `keys_path` (SPIRE server's `keys_path`), loading every key in it.
    /// A missing file means no keys yet; a missing parent directory is created with mode 0700.
    pub fn open(keys_path: impl AsRef<Path>) -> Result<Self, DiskKeyManagerError> {
        let path = keys_path.as_ref().to_owned();
        ensure_dir(spire_atomic_file::parent_dir(&path))?;
        // A writer killed mid-replace leaves a temporary copy of the keys; remove it so key
        // material does not pile up in the directory.
        spire_atomic_file::sweep_stale_temp_files(&path).map_err(|source| {
            DiskKeyManagerError::Write {
                path: path.clone(),
                source,
            }
        })?;
        let keys = match read_bounded(&path)? {
            Some(bytes) => keys_file::decode(&path, &bytes)?,
            None => HashMap::new(),
        };
        Ok(Self {
            path,
            keys: Mutex::new(keys),
        })
    }

    /// Opens `<directory>/keys.json` (SPIRE agent's `directory` setting).
    pub fn open_directory(directory: impl AsRef<Path>) -> Result<Self, DiskKeyManagerError> {
        Self::open(directory.as_ref().join(AGENT_KEYS_FILE_NAME))
    }

    /// The key file this manager writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeyManager for DiskKeyManager {
    fn generate_key(&self, id: &str, key_type: KeyType) -> Result<Arc<dyn Key>, KeyManagerError> {
        let key = Arc::new(SoftwareKey::generate(id, key_type)?);
        // The map is only changed after a successful write, so a poisoned lock still guards a
        // map that matches the file.
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let others = keys.values().filter(|k| k.id() != id).map(Arc::as_ref);
        let bytes = keys_file::encode(others.chain(std::iter::once(key.as_ref())));
        spire_atomic_file::replace(&self.path, &bytes, KEY_FILE_MODE).map_err(|e| {
            KeyManagerError::from(DiskKeyManagerError::Write {
                path: self.path.clone(),
                source: e.into(),
            })
        })?;
        keys.insert(id.to_owned(), Arc::clone(&key));
        Ok(key)
    }

    fn key(&self, id: &str) -> Result<Option<Arc<dyn Key>>, KeyManagerError> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.get(id).map(|k| Arc::clone(k) as Arc<dyn Key>))
    }

    fn keys(&self) -> Result<Vec<Arc<dyn Key>>, KeyManagerError> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(keys
            .values()
            .map(|k| Arc::clone(k) as Arc<dyn Key>)
            .collect())
    }
}

impl From<DiskKeyManagerError> for KeyManagerError {
    fn from(err: DiskKeyManagerError) -> Self {
        let path = match &err {
            DiskKeyManagerError::CreateDir { path, .. }
            | DiskKeyManagerError::Read { path, .. }
            | DiskKeyManagerError::TooLarge { path }
            | DiskKeyManagerError::Json { path, .. }
            | DiskKeyManagerError::KeyEncoding { path, .. }
            | DiskKeyManagerError::KeyParse { path, .. }
            | DiskKeyManagerError::Write { path, .. } => path.display().to_string(),
        };
        KeyManagerError::Store {
            path,
            message: err.to_string(),
        }
    }
}

/// Creates `dir` (and its parents) with mode 0700 when missing; an existing directory is left
/// as the operator made it.
fn ensure_dir(dir: &Path) -> Result<(), DiskKeyManagerError> {
    if dir.is_dir() {
        return Ok(());
    }
    let failed = |source| DiskKeyManagerError::CreateDir {
        path: dir.to_owned(),
        source,
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    fs::set_permissions(dir, Permissions::from_mode(0o700)).map_err(failed)
}

/// Reads the whole file, or `None` when it does not exist; refuses oversized files.
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>, DiskKeyManagerError> {
    let failed = |source| DiskKeyManagerError::Read {
        path: path.to_owned(),
        source,
    };
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(failed(err)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_KEYS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_KEYS_FILE_BYTES {
        return Err(DiskKeyManagerError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(Some(bytes))
}
