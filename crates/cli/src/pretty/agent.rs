//! Attested agents as `spire-server agent ...` prints them.

use std::fmt::Write as _;

use spire_proto::spire::api::types::Agent;

use super::entry::id_string;
use super::pluralize;
use super::time::go_utc;

/// One agent block (SPIRE's `printAgents`), ending with a blank line.
pub fn agent_block(a: &Agent) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "SPIFFE ID         : {}", id_string(a.id.as_ref()));
    let _ = writeln!(o, "Attestation type  : {}", a.attestation_type);
    let _ = writeln!(o, "Expiration time   : {}", go_utc(a.x509svid_expires_at));
    if a.banned {
        o.push_str("Banned            : true\n");
    } else {
        let _ = writeln!(o, "Serial number     : {}", a.x509svid_serial_number);
    }
    let _ = writeln!(o, "Can re-attest     : {}", a.can_reattest);
    if !a.agent_version.is_empty() {
        let _ = writeln!(o, "Agent version     : {}", a.agent_version);
    }
    o.push('\n');
    o
}

/// `agent list`.
pub fn agent_list(agents: &[Agent]) -> String {
    if agents.is_empty() {
        return "No attested agents found\n".to_owned();
    }
    let n = agents.len() as i64;
    let mut o = pluralize(&format!("Found {n} attested "), "agent", "agents", n);
    o.push_str(":\n\n");
    for a in agents {
        o.push_str(&agent_block(a));
    }
    o
}

/// `agent show`: the block followed by the agent's selectors.
pub fn agent_show(a: &Agent) -> String {
    let mut o = "Found an attested agent given its SPIFFE ID\n\n".to_owned();
    o.push_str(&agent_block(a));
    for s in &a.selectors {
        let _ = writeln!(o, "Selectors         : {}:{}", s.r#type, s.value);
    }
    o
}

/// `agent count`.
pub fn agent_count(count: i32) -> String {
    let n = i64::from(count);
    pluralize(&format!("{n} attested "), "agent", "agents", n) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use spire_proto::spire::api::types::{Selector, Spiffeid};

    fn agent(banned: bool) -> Agent {
        Agent {
            id: Some(Spiffeid {
                trust_domain: "example.org".into(),
                path: "/spire/agent/join_token/t".into(),
            }),
            attestation_type: "join_token".into(),
            x509svid_serial_number: "1234".into(),
            x509svid_expires_at: 1_700_000_000,
            selectors: vec![Selector {
                r#type: "join_token".into(),
                value: "t".into(),
            }],
            banned,
            can_reattest: false,
            agent_version: String::new(),
        }
    }

    #[test]
    fn list_prints_header_and_serial_for_active_agents() {
        assert_eq!(
            agent_list(&[agent(false)]),
            "Found 1 attested agent:\n\n\
             SPIFFE ID         : spiffe://example.org/spire/agent/join_token/t\n\
             Attestation type  : join_token\n\
             Expiration time   : 2023-11-14 22:13:20 +0000 UTC\n\
             Serial number     : 1234\n\
             Can re-attest     : false\n\n"
        );
        assert_eq!(agent_list(&[]), "No attested agents found\n");
    }

    #[test]
    fn show_prints_banned_instead_of_serial_and_lists_selectors() {
        let mut a = agent(true);
        a.agent_version = "1.13.0".into();
        assert_eq!(
            agent_show(&a),
            "Found an attested agent given its SPIFFE ID\n\n\
             SPIFFE ID         : spiffe://example.org/spire/agent/join_token/t\n\
             Attestation type  : join_token\n\
             Expiration time   : 2023-11-14 22:13:20 +0000 UTC\n\
             Banned            : true\n\
             Can re-attest     : false\n\
             Agent version     : 1.13.0\n\n\
             Selectors         : join_token:t\n"
        );
    }

    #[test]
    fn count_pluralizes() {
        assert_eq!(agent_count(0), "0 attested agents\n");
        assert_eq!(agent_count(1), "1 attested agent\n");
    }
}
