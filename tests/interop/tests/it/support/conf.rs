//! Config files in SPIRE's own syntax, accepted as-is by stock SPIRE and by spire-rs. Every
//! listener is on loopback and every path under the test's temp dir.

use std::path::Path;

/// server.conf for `example.org`: SQLite and the disk KeyManager under `dir/data`.
pub fn server(dir: &Path, socket: &Path, port: u16) -> String {
    let d = dir.display();
    let socket = socket.display();
    format!(
        r#"server {{
    bind_address = "127.0.0.1"
    bind_port = "{port}"
    socket_path = "{socket}"
    trust_domain = "example.org"
    data_dir = "{d}/data"
    log_level = "DEBUG"
}}

plugins {{
    DataStore "sql" {{
        plugin_data {{
            database_type = "sqlite3"
            connection_string = "{d}/data/datastore.sqlite3"
        }}
    }}
    NodeAttestor "join_token" {{
        plugin_data {{
        }}
    }}
    KeyManager "disk" {{
        plugin_data = {{
            keys_path = "{d}/data/keys.json"
        }}
    }}
}}
"#
    )
}

/// agent.conf for `example.org` with the join_token attestor and the unix workload attestor.
pub fn agent(dir: &Path, socket: &Path, server_port: u16, bundle: &Path) -> String {
    let d = dir.display();
    let socket = socket.display();
    let bundle = bundle.display();
    format!(
        r#"agent {{
    data_dir = "{d}/data"
    log_level = "DEBUG"
    server_address = "127.0.0.1"
    server_port = "{server_port}"
    socket_path = "{socket}"
    trust_bundle_path = "{bundle}"
    trust_domain = "example.org"
}}

plugins {{
    NodeAttestor "join_token" {{
        plugin_data {{
        }}
    }}
    KeyManager "memory" {{
        plugin_data {{
        }}
    }}
    WorkloadAttestor "unix" {{
        plugin_data {{
            discover_workload_path = true
        }}
    }}
}}
"#
    )
}
