//! `BundlePublisher "disk"`, a spire-rs extension: SPIRE's BundlePublisher plugin type has no
//! plain-file built-in (its built-ins publish to cloud object stores), so this one writes the
//! local trust bundle to a file that other programs read, e.g. Mosquitto's `cafile`.
//!
//! ```hcl
//! BundlePublisher "disk" {
//!     plugin_data {
//!         path = "/var/lib/spire/bundle.pem"
//!         format = "pem"     # or "spiffe" (the SPIFFE bundle document)
//!     }
//! }
//! ```
//!
//! The file is replaced atomically through `spire-atomic-file` (random temp file in the same
//! directory, fsync, rename, fsync of the directory) so a reader never sees a half-written
//! bundle. It is 0644: a trust bundle is public, and the broker reading it usually runs as
//! another user. Missing parent directories are created. This crate is pure: it renders
//! bundles and writes files; when to publish (at start and after each rotation that changed the
//! bundle) is the server's decision.

mod config;

pub use config::{BundleFormat, DiskPublisherConfig};

use std::path::Path;

use spire_spiffe::bundle::Bundle;

/// A trust bundle is public; readers (brokers, proxies) often run as other users.
const BUNDLE_FILE_MODE: u32 = 0o644;

/// The plugin name in server.conf.
pub const PLUGIN_NAME: &str = "disk";

/// Why the bundle could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("plugin_data key {key:?}: {message}")]
    Config { key: String, message: String },
    #[error("bundle of {trust_domain} has no X.509 authorities to write as PEM")]
    EmptyPem { trust_domain: String },
    #[error("rendering the SPIFFE bundle document: {0}")]
    Render(#[from] spire_spiffe::bundle::BundleError),
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// A configured disk publisher.
#[derive(Debug, Clone)]
pub struct DiskBundlePublisher {
    config: DiskPublisherConfig,
}

impl DiskBundlePublisher {
    /// Builds the publisher from its `plugin_data`; unknown keys are refused.
    pub fn from_plugin_data(data: &serde_json::Value) -> Result<Self, PublishError> {
        Ok(Self {
            config: DiskPublisherConfig::from_plugin_data(data)?,
        })
    }

    /// The file this publisher writes.
    pub fn path(&self) -> &Path {
        &self.config.path
    }

    /// Renders `bundle` in the configured format and replaces the file with it.
    pub fn publish(&self, bundle: &Bundle) -> Result<(), PublishError> {
        let bytes = render(bundle, self.config.format)?;
        let path = &self.config.path;
        let failed = |source| PublishError::Write {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(spire_atomic_file::parent_dir(path)).map_err(failed)?;
        spire_atomic_file::replace(path, &bytes, BUNDLE_FILE_MODE).map_err(|e| failed(e.into()))
    }
}

/// The bytes of `bundle` in `format`. PEM holds only the X.509 authorities (what TLS peers
/// such as Mosquitto read); an empty PEM would make such a peer trust nothing or fail to start,
/// so it is an error instead.
pub fn render(bundle: &Bundle, format: BundleFormat) -> Result<Vec<u8>, PublishError> {
    match format {
        BundleFormat::Pem => {
            if bundle.x509_authorities.is_empty() {
                return Err(PublishError::EmptyPem {
                    trust_domain: bundle.trust_domain.clone(),
                });
            }
            Ok(bundle.x509_pem().into_bytes())
        }
        BundleFormat::Spiffe => {
            let mut json = bundle.to_spiffe_json()?;
            json.push('\n');
            Ok(json.into_bytes())
        }
    }
}

#[cfg(test)]
mod tests;
