//! Crash-safe file replacement: a kill -9 or power loss at any point leaves either the old
//! file or the new one, never a torn mix.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Private key files are readable by their owner only, whatever the umask.
pub(crate) const KEY_FILE_MODE: u32 = 0o600;

/// Replaces `path` with `contents`: writes a temporary file in the same directory (so the
/// rename stays on one filesystem and is atomic), forces it to disk, renames it over `path`,
/// then forces the directory entry to disk so the rename itself survives a crash.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let temp = temp_path(path);
    let result = write_synced(&temp, contents)
        .and_then(|()| fs::rename(&temp, path))
        .and_then(|()| File::open(dir)?.sync_all());
    if result.is_err() {
        // Best effort: a leftover temp file is harmless and is swept on the next open.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes temporary files a killed writer left beside `path`.
pub(crate) fn sweep_stale_temp_files(path: &Path) -> io::Result<()> {
    let prefix = temp_prefix(path);
    for entry in fs::read_dir(parent_dir(path))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn write_synced(temp: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(KEY_FILE_MODE)
        .open(temp)?;
    // The mode passed to open() is masked by the umask; set it again explicitly so a
    // permissive or restrictive umask can never change what lands on disk.
    file.set_permissions(Permissions::from_mode(KEY_FILE_MODE))?;
    file.write_all(contents)?;
    file.sync_all()
}

fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    parent_dir(path).join(format!(
        "{}{}-{n}.tmp",
        temp_prefix(path),
        std::process::id()
    ))
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_file_writes_contents_with_owner_only_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.json");
        fs::write(&path, b"old").expect("seed file");
        fs::set_permissions(&path, Permissions::from_mode(0o644)).expect("loosen mode");
        replace_file(&path, b"new").expect("replace succeeds");
        assert_eq!(fs::read(&path).expect("read back"), b"new");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn sweep_removes_only_own_temp_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.json");
        let stale = dir.path().join(".keys.json.123-0.tmp");
        let other = dir.path().join(".other.json.123-0.tmp");
        fs::write(&stale, b"x").expect("stale temp");
        fs::write(&other, b"x").expect("other temp");
        sweep_stale_temp_files(&path).expect("sweep succeeds");
        assert!(!stale.exists());
        assert!(other.exists());
    }

    #[test]
    fn bare_file_name_lives_in_current_dir() {
        assert_eq!(parent_dir(Path::new("keys.json")), Path::new("."));
    }
}
