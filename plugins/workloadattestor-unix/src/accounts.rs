//! User and group names by id, from passwd/group files (`/etc/passwd`, `/etc/group` by
//! default). A missing file or id just means no name selector, as in SPIRE.

use std::fmt;
use std::path::PathBuf;

/// Names of uids and gids.
pub trait AccountLookup: Send + Sync + fmt::Debug {
    fn user_name(&self, uid: u32) -> Option<String>;
    fn group_name(&self, gid: u32) -> Option<String>;
}

/// Names from passwd(5) and group(5) formatted files, read on each lookup so changes show.
#[derive(Debug, Clone)]
pub struct EtcAccounts {
    pub passwd: PathBuf,
    pub group: PathBuf,
}

impl EtcAccounts {
    pub fn system() -> Self {
        Self {
            passwd: "/etc/passwd".into(),
            group: "/etc/group".into(),
        }
    }
}

impl AccountLookup for EtcAccounts {
    fn user_name(&self, uid: u32) -> Option<String> {
        name_for_id(&std::fs::read_to_string(&self.passwd).ok()?, uid)
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        name_for_id(&std::fs::read_to_string(&self.group).ok()?, gid)
    }
}

/// The first `name:password:id:...` line with `id`; comments and malformed lines skipped.
fn name_for_id(file: &str, id: u32) -> Option<String> {
    file.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next().filter(|n| !n.is_empty())?;
            let line_id: u32 = fields.nth(1)?.parse().ok()?;
            (line_id == id).then(|| name.to_owned())
        })
}
