//! What /proc says about a process: effective uid/gid and supplementary groups from
//! `<root>/<pid>/status` (parsed by `proc_text`), the executable from `<root>/<pid>/exe`.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use aws_lc_rs::digest;
use spire_plugin::WorkloadAttestorError;

use crate::UnixAttestor;
use crate::proc_text::{ProcStatus, parse_status};

pub(crate) fn read_status(root: &Path, pid: i32) -> Result<ProcStatus, WorkloadAttestorError> {
    let path = root.join(pid.to_string()).join("status");
    let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => WorkloadAttestorError::ProcessGone { pid },
        _ => UnixAttestor::failed(format!("reading {}: {e}", path.display())),
    })?;
    parse_status(&text).map_err(|what| UnixAttestor::failed(format!("{}: {what}", path.display())))
}

/// The executable path as the kernel shows it.
pub(crate) fn exe_path(root: &Path, pid: i32) -> Result<String, WorkloadAttestorError> {
    let link = root.join(pid.to_string()).join("exe");
    let target = fs::read_link(&link)
        .map_err(|e| UnixAttestor::failed(format!("path lookup: {}: {e}", link.display())))?;
    target
        .into_os_string()
        .into_string()
        .map_err(|_| UnixAttestor::failed("path lookup: executable path is not UTF-8"))
}

/// SHA-256 of the executable, read through `<root>/<pid>/exe` so the bytes hashed are the
/// ones running even if `path` was replaced; `limit` > 0 caps the size.
pub(crate) fn exe_sha256(
    root: &Path,
    pid: i32,
    path: &str,
    limit: i64,
) -> Result<String, WorkloadAttestorError> {
    let fail = |e: io::Error| UnixAttestor::failed(format!("SHA256 digest: {e}"));
    let mut file = fs::File::open(root.join(pid.to_string()).join("exe")).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    if limit > 0 && size > limit.unsigned_abs() {
        return Err(UnixAttestor::failed(format!(
            "SHA256 digest: workload {path} exceeds size limit ({size} > {limit})"
        )));
    }
    let mut context = digest::Context::new(&digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(fail)?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    Ok(hex::encode(context.finish().as_ref()))
}
