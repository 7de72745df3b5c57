//! Renders SPIRE's `agent.conf` (HCL) from the `spire:` section.

use std::fmt::Write;

use super::config::{KeyStore, SpireConfig};

/// The agent configuration text. The join token, when given, goes in `join_token` (the file
/// is written 0600) rather than on the command line, where any local user could read it.
pub fn agent_conf(c: &SpireConfig) -> String {
    let mut agent = String::new();
    let mut line = |k: &str, v: &str| {
        let _ = writeln!(agent, "    {k} = {}", hcl_str(v));
    };
    line("data_dir", &c.data_dir.display().to_string());
    line("log_level", &c.log_level);
    line("server_address", &c.server_host);
    line("server_port", &c.server_port.to_string());
    line("socket_path", &c.socket_path.display().to_string());
    line("trust_domain", &c.trust_domain);
    if let Some(path) = &c.trust_bundle_path {
        line("trust_bundle_path", &path.display().to_string());
    }
    if let Some(token) = &c.join_token {
        line("join_token", token);
    }
    if c.insecure_bootstrap {
        agent.push_str("    insecure_bootstrap = true\n");
    }
    let node_data: String = c
        .node_attestor_data
        .iter()
        .map(|(k, v)| format!("            {k} = {}\n", hcl_str(v)))
        .collect();
    let key_manager = match c.key_store {
        // The prefix names this agent's dataDir so that agents sharing a keyring (one user,
        // one session) never overwrite each other's keys.
        KeyStore::Keyring(kind) => format!(
            "    KeyManager \"keyring\" {{\n        plugin_data {{\n            type = {}\n            key_prefix = {}\n        }}\n    }}\n",
            hcl_str(kind),
            hcl_str(&format!("spire-edge:{}:", c.data_dir.display()))
        ),
        KeyStore::Disk => format!(
            "    KeyManager \"disk\" {{\n        plugin_data {{\n            directory = {}\n        }}\n    }}\n",
            hcl_str(&c.data_dir.display().to_string())
        ),
    };
    format!(
        "# Rendered by spire-edge from plugins.yaml; edits here are overwritten.\n\
         agent {{\n{agent}}}\n\nplugins {{\n    NodeAttestor {} {{\n        plugin_data {{\n{node_data}        }}\n    }}\n{key_manager}    WorkloadAttestor \"unix\" {{\n        plugin_data {{\n        }}\n    }}\n}}\n",
        hcl_str(&c.node_attestor)
    )
}

/// An HCL string literal: quotes and backslashes escaped, `${`/`%{` made literal so a value
/// can never become an HCL template.
fn hcl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(ch);
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn config() -> SpireConfig {
        SpireConfig {
            server_host: "spire.example".into(),
            server_port: 8081,
            trust_domain: "example.org".into(),
            socket_path: PathBuf::from("/run/agent.sock"),
            data_dir: PathBuf::from("/var/lib/agent"),
            log_level: "DEBUG".into(),
            node_attestor: "join_token".into(),
            node_attestor_data: BTreeMap::new(),
            key_store: KeyStore::Keyring("session"),
            join_token: Some("tok\"${x}".into()),
            agent_path: PathBuf::from("spire-agent"),
            trust_bundle_path: Some(PathBuf::from("/etc/bundle.pem")),
            insecure_bootstrap: false,
        }
    }

    #[test]
    fn renders_agent_block_and_keyring_key_manager() {
        let text = agent_conf(&config());
        assert!(text.contains("    server_port = \"8081\"\n"), "{text}");
        assert!(
            text.contains("    trust_bundle_path = \"/etc/bundle.pem\"\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "KeyManager \"keyring\" {\n        plugin_data {\n            type = \"session\""
            ),
            "{text}"
        );
        assert!(text.contains("NodeAttestor \"join_token\""), "{text}");
    }

    #[test]
    fn values_cannot_break_out_of_their_string_or_template() {
        let text = agent_conf(&config());
        assert!(text.contains("join_token = \"tok\\\"$${x}\""), "{text}");
    }

    #[test]
    fn disk_key_manager_when_keyring_is_off() {
        let mut c = config();
        c.key_store = KeyStore::Disk;
        assert!(agent_conf(&c).contains("KeyManager \"disk\" {\n        plugin_data {\n            directory = \"/var/lib/agent\""));
    }
}
