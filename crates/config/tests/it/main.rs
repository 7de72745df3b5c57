//! Integration tests of spire-config: one binary, one module per concern.

mod agent;
mod errors;
mod parsing;
mod server;

use std::path::PathBuf;

/// A file under crates/config/testdata.
fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Parses HCL text in memory; the file is called "server.conf" in errors.
fn server_from(text: &str) -> Result<spire_config::ServerConfig, spire_config::ConfigError> {
    let value = spire_config::parse_str(text, "server.conf")?;
    spire_config::ServerConfig::from_value(value, "server.conf")
}

/// Parses HCL text in memory; the file is called "agent.conf" in errors.
fn agent_from(text: &str) -> Result<spire_config::AgentConfig, spire_config::ConfigError> {
    let value = spire_config::parse_str(text, "agent.conf")?;
    spire_config::AgentConfig::from_value(value, "agent.conf")
}

/// The smallest valid server file, with `extra` spliced into `server {}`.
fn minimal_server(extra: &str) -> String {
    format!(
        r#"server {{
  trust_domain = "example.org"
  data_dir = "/tmp/data"
  {extra}
}}
plugins {{
  DataStore "sql" {{ plugin_data {{ database_type = "sqlite3" }} }}
  KeyManager "memory" {{ plugin_data {{}} }}
}}
"#
    )
}

/// The smallest valid agent file, with `extra` spliced into `agent {}`.
fn minimal_agent(extra: &str) -> String {
    format!(
        r#"agent {{
  trust_domain = "example.org"
  server_address = "spire-server"
  server_port = 8081
  {extra}
}}
plugins {{
  NodeAttestor "join_token" {{ plugin_data {{}} }}
  KeyManager "memory" {{ plugin_data {{}} }}
}}
"#
    )
}
