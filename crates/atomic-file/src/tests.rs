use std::os::unix::fs::{PermissionsExt, symlink};

use super::*;

fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn replaces_contents_and_sets_exact_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    fs::write(&path, b"old").expect("seed");
    fs::set_permissions(&path, Permissions::from_mode(0o666)).expect("loosen");
    replace(&path, b"new", 0o600).expect("replace");
    assert_eq!(fs::read(&path).expect("read"), b"new");
    assert_eq!(mode_of(&path), 0o600);
    replace(&path, b"public", 0o644).expect("replace again");
    assert_eq!(mode_of(&path), 0o644);
    assert_eq!(
        names_in(dir.path()),
        ["keys.json"],
        "no temporary file left"
    );
}

/// Run in a child process by `mode_is_exact_whatever_the_umask` under umask 000 and 777;
/// on its own it checks the same under the harness's umask.
#[test]
fn mode_is_exact_under_current_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Under umask 777 the directory itself would be created 000.
    fs::set_permissions(dir.path(), Permissions::from_mode(0o700)).expect("chmod dir");
    for mode in [0o600, 0o644, 0o640] {
        let path = dir.path().join(format!("f{mode:o}"));
        replace(&path, b"x", mode).expect("replace");
        assert_eq!(mode_of(&path), mode, "mode {mode:o}");
    }
}

#[test]
fn mode_is_exact_whatever_the_umask() {
    let exe = std::env::current_exe().expect("test binary path");
    for umask in ["000", "777", "077"] {
        // umask is per process: set it in a child running one test, so the other tests of
        // this binary, running on other threads, keep theirs.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"umask "$1" && exec "$2" --exact tests::mode_is_exact_under_current_umask"#)
            .arg("sh")
            .arg(umask)
            .arg(&exe)
            .output()
            .expect("run child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "umask {umask}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("1 passed"), "umask {umask}: {stdout}");
    }
}

#[test]
fn planted_predictable_temp_files_are_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("svid.0.key");
    let planted = ["svid.0.key.tmp", "svid.0.tmp", ".svid.0.key.tmp"];
    for name in planted {
        let p = dir.path().join(name);
        fs::write(&p, b"").expect("plant");
        fs::set_permissions(&p, Permissions::from_mode(0o666)).expect("world-writable");
    }
    replace(&path, b"secret key", 0o600).expect("replace");
    for name in planted {
        let p = dir.path().join(name);
        assert_eq!(
            fs::read(&p).expect("planted file"),
            b"",
            "{name} stays empty"
        );
        assert_eq!(mode_of(&p), 0o666, "{name} keeps its mode");
    }
    assert_eq!(fs::read(&path).expect("read"), b"secret key");
}

#[test]
fn symlink_at_target_is_replaced_not_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let victim = dir.path().join("victim");
    fs::write(&victim, b"victim").expect("victim");
    let path = dir.path().join("key.pem");
    symlink(&victim, &path).expect("symlink");
    replace(&path, b"key", 0o600).expect("replace");
    assert_eq!(fs::read(&victim).expect("victim"), b"victim");
    let meta = fs::symlink_metadata(&path).expect("stat");
    assert!(meta.file_type().is_file(), "target is now a regular file");
    assert_eq!(fs::read(&path).expect("read"), b"key");
}

#[test]
fn temp_file_is_hidden_random_and_private_while_written() {
    // The temporary name is `.<name>.<8 random>.tmp`; two writes never pick the same name.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    let a = tempfile::Builder::new()
        .prefix(&temp_prefix(path.file_name().expect("name")))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(RANDOM_CHARS)
        .tempfile_in(dir.path())
        .expect("temp");
    let name = a
        .path()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(".keys.json.") && name.ends_with(".tmp"),
        "{name}"
    );
    assert_eq!(
        name.len(),
        ".keys.json.".len() + RANDOM_CHARS + ".tmp".len()
    );
    assert_eq!(
        mode_of(a.path()) & 0o077,
        0,
        "no access for group or others"
    );
}

#[test]
fn failed_rename_leaves_target_and_no_temp_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A non-empty directory at the target name: rename(2) fails.
    let path = dir.path().join("busy");
    fs::create_dir(&path).expect("dir");
    fs::write(path.join("inside"), b"x").expect("inside");
    let err = replace(&path, b"new", 0o600).expect_err("cannot replace a directory");
    assert!(matches!(err, ReplaceError::Rename { .. }), "{err}");
    assert!(err.to_string().contains("busy"), "{err}");
    assert_eq!(names_in(dir.path()), ["busy"]);
}

#[test]
fn missing_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope");
    let err = replace(&missing.join("f"), b"x", 0o600).expect_err("no dir");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    let io: io::Error = err.into();
    assert_eq!(io.kind(), io::ErrorKind::NotFound);
}

#[test]
fn path_without_file_name_is_refused() {
    let err = replace(Path::new("/"), b"x", 0o600).expect_err("no name");
    assert!(matches!(err, ReplaceError::NoFileName { .. }), "{err}");
}

#[test]
fn sweep_removes_only_own_regular_temp_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.json");
    for name in [".keys.json.AbCd1234.tmp", ".keys.json.123-0.tmp"] {
        fs::write(dir.path().join(name), b"x").expect("stale");
    }
    fs::write(dir.path().join(".other.json.AbCd1234.tmp"), b"x").expect("other");
    fs::write(dir.path().join("keys.json.tmp"), b"x").expect("not ours");
    symlink("/etc/passwd", dir.path().join(".keys.json.link.tmp")).expect("symlink");
    assert_eq!(sweep_stale_temp_files(&path).expect("sweep"), 2);
    assert_eq!(
        names_in(dir.path()),
        [
            ".keys.json.link.tmp",
            ".other.json.AbCd1234.tmp",
            "keys.json.tmp"
        ]
    );
}

#[test]
fn bare_file_name_lives_in_current_dir() {
    assert_eq!(parent_dir(Path::new("keys.json")), Path::new("."));
    assert_eq!(parent_dir(Path::new("/a/keys.json")), Path::new("/a"));
}
