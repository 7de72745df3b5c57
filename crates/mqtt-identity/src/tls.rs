//! The rustls client configuration of the robot link: the broker is verified against a
//! configured CA file (Mosquitto's server certificate is not an SVID), the client presents its
//! X509-SVID.

use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::{LinkError, WorkloadSvid};

/// Reads the PEM CA certificates that sign the broker's server certificate.
pub fn broker_roots(path: &Path) -> Result<RootCertStore, LinkError> {
    let bad = |message: String| LinkError::BrokerCa {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let blocks = pem::parse_many(&text).map_err(|e| bad(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    for block in blocks.into_iter().filter(|b| b.tag() == "CERTIFICATE") {
        roots
            .add(block.into_contents().into())
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no CERTIFICATE blocks".into()));
    }
    Ok(roots)
}

/// TLS 1.2/1.3 with the aws-lc-rs provider, `roots` for the broker, `svid` as client identity.
pub fn client_config(
    svid: &WorkloadSvid,
    roots: RootCertStore,
) -> Result<Arc<ClientConfig>, LinkError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(svid.chain.clone(), svid.key.clone_key())?;
    Ok(Arc::new(config))
}
