//! The rustls client configuration the agent dials the SPIRE server with.

use std::sync::Arc;

use rustls::ClientConfig;

use crate::{KeyManagerSvidResolver, ServerIdVerifier};

/// TLS 1.2+ with ALPN `h2`, the server checked by `verifier`, the agent SVID from `resolver`
/// presented when it holds one. Resumption is off so that every handshake re-verifies the
/// server against the current bundle and presents the current SVID (SECURITY.md).
pub fn agent_client_config(
    verifier: Arc<ServerIdVerifier>,
    resolver: Arc<KeyManagerSvidResolver>,
) -> Result<ClientConfig, rustls::Error> {
    let mut config = ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec()];
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}
