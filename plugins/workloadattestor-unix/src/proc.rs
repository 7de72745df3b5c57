//! What /proc says about a process: effective uid/gid and supplementary groups from
//! `<root>/<pid>/status`, the executable from `<root>/<pid>/exe`.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use aws_lc_rs::digest;
use spire_plugin::WorkloadAttestorError;

use crate::UnixAttestor;

/// The ids of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcStatus {
    pub uid: u32,
    pub gid: u32,
    pub supplementary_gids: Vec<u32>,
}

pub(crate) fn read_status(root: &Path, pid: i32) -> Result<ProcStatus, WorkloadAttestorError> {
    let path = root.join(pid.to_string()).join("status");
    let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => WorkloadAttestorError::ProcessGone { pid },
        _ => UnixAttestor::failed(format!("reading {}: {e}", path.display())),
    })?;
    parse_status(&text).map_err(|what| UnixAttestor::failed(format!("{}: {what}", path.display())))
}

/// Effective ids (the second of real, effective, saved, fs) as SPIRE uses them.
fn parse_status(text: &str) -> Result<ProcStatus, String> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
    };
    let effective = |name: &str| -> Result<u32, String> {
        let ids = field(name).ok_or_else(|| format!("no {name} line"))?;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        let id = match ids.len() {
            0 => return Err(format!("no ids on the {name} line")),
            1 => ids[0],
            _ => ids[1],
        };
        id.parse().map_err(|_| format!("bad {name} value {id:?}"))
    };
    let supplementary_gids = field("Groups")
        .unwrap_or_default()
        .split_whitespace()
        .map(|g| g.parse().map_err(|_| format!("bad Groups value {g:?}")))
        .collect::<Result<_, _>>()?;
    Ok(ProcStatus {
        uid: effective("Uid")?,
        gid: effective("Gid")?,
        supplementary_gids,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_effective_ids_and_groups() {
        let status =
            "Name:\tapp\nUid:\t1000\t1001\t1000\t1000\nGid:\t50\t51\t50\t50\nGroups:\t4 27 \n";
        assert_eq!(
            parse_status(status),
            Ok(ProcStatus {
                uid: 1001,
                gid: 51,
                supplementary_gids: vec![4, 27],
            })
        );
    }

    #[test]
    fn refuses_status_without_ids() {
        assert!(parse_status("Name:\tapp\n").is_err());
        assert!(parse_status("Uid:\tx\nGid:\t1\n").is_err());
    }
}
