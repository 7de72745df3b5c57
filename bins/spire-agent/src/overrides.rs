//! `run`/`validate` flags that override agent.conf, applied as SPIRE's `run` command does:
//! a flag given on the command line wins over the file.

use spire_cli::agent::AgentRunFlags;
use spire_config::{AgentConfig, TrustBundleFormat, TrustBundleSource, TrustDomain};

/// Loads the config named by `flags` and applies the flag overrides.
pub fn load(flags: &AgentRunFlags) -> Result<AgentConfig, String> {
    let mut config =
        AgentConfig::load(&flags.config, flags.expand_env).map_err(|e| e.to_string())?;
    apply(&mut config, flags)?;
    Ok(config)
}

fn apply(config: &mut AgentConfig, flags: &AgentRunFlags) -> Result<(), String> {
    if let Some(dir) = &flags.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(address) = &flags.server_address {
        config.server_address = address.clone();
    }
    if let Some(port) = flags.server_port {
        config.server_port = port;
    }
    if let Some(socket) = &flags.socket_path {
        config.socket_path = socket.clone();
    }
    if let Some(td) = &flags.trust_domain {
        config.trust_domain = TrustDomain::from_id_or_name(td)
            .map_err(|e| format!("invalid -trustDomain {td:?}: {e}"))?;
    }
    if let Some(path) = &flags.trust_bundle_path {
        config.trust_bundle = TrustBundleSource::Path(path.clone());
    }
    if let Some(url) = &flags.trust_bundle_url {
        config.trust_bundle = TrustBundleSource::Url {
            url: url.clone(),
            unix_socket: None,
        };
    }
    if flags.insecure_bootstrap {
        config.trust_bundle = TrustBundleSource::InsecureBootstrap;
    }
    match flags.trust_bundle_format.as_deref() {
        None => {}
        Some("pem") => config.trust_bundle_format = TrustBundleFormat::Pem,
        Some("spiffe") => config.trust_bundle_format = TrustBundleFormat::Spiffe,
        Some(other) => {
            return Err(format!(
                "invalid value for trust_bundle_format {other:?}, expected \"pem\" or \"spiffe\""
            ));
        }
    }
    if flags.join_token.is_some() && flags.join_token_file.is_some() {
        return Err("only one of -joinToken or -joinTokenFile can be specified, not both".into());
    }
    if let Some(file) = &flags.join_token_file {
        config.join_token = None;
        config.join_token_file = Some(file.clone());
    }
    if flags.join_token.is_some() {
        config.join_token_file = None;
    }
    if flags.allow_unauthenticated_verifiers {
        config.allow_unauthenticated_verifiers = true;
    }
    if flags.disable_workload_api {
        config.disable_workload_api = true;
    }
    if flags.disable_sds_api {
        config.disable_sds_api = true;
    }
    if let Some(level) = &flags.log_level {
        config.log.level = level.clone();
    }
    if let Some(format) = &flags.log_format {
        config.log.format = format.clone();
    }
    if let Some(file) = &flags.log_file {
        config.log.file = Some(file.clone());
    }
    if flags.log_source_location {
        config.log.source_location = true;
    }
    Ok(())
}
