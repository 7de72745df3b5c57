//! The rustls server configuration of SPIRE's TCP API.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::NoServerSessionStorage;

use crate::{BundleClientVerifier, SvidResolver};

/// TLS 1.2+ with ALPN `h2`, the server SVID from `resolver`, client certificates verified by
/// `verifier`. Session IDs and tickets are off: a resumed session would skip client
/// verification, so a CA removed from the bundle would still be trusted (SECURITY.md).
pub fn server_config(
    resolver: Arc<SvidResolver>,
    verifier: Arc<BundleClientVerifier>,
) -> Result<ServerConfig, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec()];
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(config)
}
