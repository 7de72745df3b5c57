//! The one way spire-rs replaces a file on disk: private keys (`keys.json`, `svid.N.key`),
//! agent state (`agent-data.json`), published bundles and generated configs.
//!
//! [`replace`] writes the new bytes to a temporary file in the target's directory, forces it to
//! disk, sets the caller's mode exactly, renames it over the target and forces the directory to
//! disk. A kill -9 or power loss at any point leaves the old file or the new one, never a torn
//! mix.
//!
//! # Why the temporary file is created the way it is
//!
//! Key files are often written into directories other users can write to (`spire-agent api
//! fetch x509 -write /shared/dir`). A predictable temporary name such as `svid.0.key.tmp`
//! opened with `O_CREAT` lets a local user plant that file (world-writable, or as a symlink to
//! a file they can read) before root writes, and then read root's key through it. So the
//! temporary file here has a random name (`tempfile`, from the OS random source), is opened
//! with `O_CREAT|O_EXCL` (which never follows a symlink and never reuses an existing file:
//! a name collision picks a new name) and starts with mode 0600 whatever the umask allows,
//! so no other user can open it while the key is being written. Only after the bytes are on
//! disk is the mode set to what the caller asked for (0644 for a public bundle). The final
//! rename replaces a symlink planted at the target name rather than writing through it.
//!
//! This crate does not create missing directories nor decide modes: callers do both.

use std::ffi::OsString;
use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Random characters in a temporary file name (62 symbols each: ~47 bits).
const RANDOM_CHARS: usize = 8;
/// Every temporary file name ends so, which [`sweep_stale_temp_files`] relies on.
const TEMP_SUFFIX: &str = ".tmp";

/// Which step of [`replace`] failed; the text names the file or directory concerned.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("{path} names no file")]
    NoFileName { path: PathBuf },
    #[error("cannot create a temporary file in {dir}: {source}")]
    CreateTemp { dir: PathBuf, source: io::Error },
    #[error("cannot write temporary file {temp}: {source}")]
    WriteTemp { temp: PathBuf, source: io::Error },
    #[error("cannot rename temporary file {temp} over {path}: {source}")]
    Rename {
        temp: PathBuf,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot sync directory {dir}: {source}")]
    SyncDir { dir: PathBuf, source: io::Error },
}

impl ReplaceError {
    /// The operating system's error, if one caused this.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            ReplaceError::NoFileName { .. } => None,
            ReplaceError::CreateTemp { source, .. }
            | ReplaceError::WriteTemp { source, .. }
            | ReplaceError::Rename { source, .. }
            | ReplaceError::SyncDir { source, .. } => Some(source),
        }
    }
}

/// For callers whose errors carry an `io::Error`: keeps the kind and this error's text.
impl From<ReplaceError> for io::Error {
    fn from(err: ReplaceError) -> Self {
        let kind = err
            .io_error()
            .map_or(io::ErrorKind::InvalidInput, io::Error::kind);
        io::Error::new(kind, err)
    }
}

/// Replaces `path` with `contents` crash-safely, leaving it with exactly `mode` (e.g. `0o600`
/// for a private key) whatever the umask. The parent directory must exist. On failure the
/// temporary file is removed and `path` is untouched (unless the final directory sync failed,
/// in which case `path` already holds the new contents but the rename may not survive a
/// crash).
pub fn replace(path: &Path, contents: &[u8], mode: u32) -> Result<(), ReplaceError> {
    let dir = parent_dir(path);
    let name = path.file_name().ok_or_else(|| ReplaceError::NoFileName {
        path: path.to_owned(),
    })?;
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(RANDOM_CHARS)
        .tempfile_in(dir)
        .map_err(|source| ReplaceError::CreateTemp {
            dir: dir.to_owned(),
            source,
        })?;
    let written = (|| {
        let file = temp.as_file_mut();
        file.write_all(contents)?;
        // Set through the open descriptor, so the mode lands on this very file, and before
        // the sync, so the mode is on disk with the data.
        file.set_permissions(Permissions::from_mode(mode))?;
        file.sync_all()
    })();
    if let Err(source) = written {
        // Dropping `temp` removes the temporary file.
        return Err(ReplaceError::WriteTemp {
            temp: temp.path().to_owned(),
            source,
        });
    }
    let temp_path = temp.path().to_owned();
    temp.persist(path).map_err(|e| ReplaceError::Rename {
        temp: temp_path,
        path: path.to_owned(),
        // `e.file` is dropped here, which removes the temporary file.
        source: e.error,
    })?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| ReplaceError::SyncDir {
            dir: dir.to_owned(),
            source,
        })
}

/// Removes temporary files a killed [`replace`] of `path` left in its directory (they hold a
/// copy of what was being written, e.g. a key). Only regular files named like this crate's
/// temporary files for `path` are removed; returns how many.
pub fn sweep_stale_temp_files(path: &Path) -> io::Result<usize> {
    let Some(name) = path.file_name() else {
        return Ok(0);
    };
    let prefix = temp_prefix(name);
    let prefix = prefix.to_string_lossy();
    let mut removed = 0;
    for entry in fs::read_dir(parent_dir(path))? {
        let entry = entry?;
        let entry_name = entry.file_name();
        let entry_name = entry_name.to_string_lossy();
        // Any `.<name>.*.tmp`, so leftovers of older spire-rs writers (`.<name>.<pid>-<n>.tmp`)
        // go too. `file_type` does not follow symlinks: a symlink or directory someone placed
        // here is left alone.
        let ours = entry_name.len() > prefix.len() + TEMP_SUFFIX.len()
            && entry_name.starts_with(prefix.as_ref())
            && entry_name.ends_with(TEMP_SUFFIX);
        if ours && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `.<name>.`: hidden, and tied to the target so a sweep can find only its own leftovers.
fn temp_prefix(name: &std::ffi::OsStr) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    prefix
}

#[cfg(test)]
mod tests;
