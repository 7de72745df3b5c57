//! The text of `/proc/<pid>/status` and `/proc/<pid>/stat`, parsed without I/O (the unix
//! attestor and the agent's caller binding both read them). The command name in `stat` is
//! chosen by the process itself, so the parsers assume hostile text.

/// The ids of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStatus {
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    pub supplementary_gids: Vec<u32>,
}

/// Effective ids (the second of real, effective, saved, fs) as SPIRE uses them, and the
/// supplementary groups, from the text of `/proc/<pid>/status`.
pub fn parse_status(text: &str) -> Result<ProcStatus, String> {
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

/// The state (field 3) and start time (field 22, clock ticks after boot) from the text of
/// `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself contain
/// spaces and parentheses, so fields are counted after the last `)`.
pub fn parse_stat(text: &str) -> Option<(char, u64)> {
    let (_, after_comm) = text.rsplit_once(')')?;
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 22 is the 19th after field 3.
    let start_time = fields.nth(18)?.parse().ok()?;
    Some((state, start_time))
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
    fn parses_the_effective_uid_of_a_setuid_process() {
        let status = "Name:\tpasswd\nUid:\t65534\t0\t0\t0\nGid:\t65534\t65534\t65534\t65534\n";
        let parsed = parse_status(status).expect("parses");
        assert_eq!((parsed.uid, parsed.gid), (0, 65534));
    }

    #[test]
    fn refuses_status_without_ids() {
        assert!(parse_status("Name:\tapp\n").is_err());
        assert!(parse_status("Uid:\tx\nGid:\t1\n").is_err());
    }

    #[test]
    fn parses_start_time_after_a_command_with_parentheses_and_spaces() {
        let stat = "4242 (evil) (x 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1234567 100 18446744073709551615";
        assert_eq!(parse_stat(stat), Some(('S', 987_654)));
    }

    #[test]
    fn refuses_a_short_or_garbled_stat() {
        assert_eq!(parse_stat("4242 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("no parenthesis at all"), None);
        let bad = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 notanumber";
        assert_eq!(parse_stat(bad), None);
    }
}
