//! The bootstrap trust bundle: what the agent trusts the first time it dials the server,
//! before it has a bundle of its own in `agent-data.json`. Exactly one source is configured
//! (the config crate enforces it): `trust_bundle_path`, `trust_bundle_url` (https, or http over
//! `trust_bundle_unix_socket`), or `insecure_bootstrap`.

use std::path::Path;

use spire_config::{AgentConfig, TrustBundleFormat, TrustBundleSource};
use spire_spiffe::Bundle;

use crate::client::http::{HttpError, get};

/// What to trust for the first attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapTrust {
    /// The bootstrap bundle's X.509 authorities, DER.
    Roots(Vec<Vec<u8>>),
    /// `insecure_bootstrap = true`: only the server's SPIFFE ID is checked.
    InsecureBootstrap,
}

/// Why no bootstrap bundle could be had.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("could not read trust bundle at {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("could not parse trust bundle from {origin}: {reason}")]
    Parse { origin: String, reason: String },
    #[error("trust bundle from {origin} holds no X.509 authorities")]
    Empty { origin: String },
    #[error("could not download trust bundle from {url}: {source}")]
    Download { url: String, source: HttpError },
}

/// Loads the bootstrap trust named by `config`.
pub async fn bootstrap_trust(config: &AgentConfig) -> Result<BootstrapTrust, BootstrapError> {
    let td = config.trust_domain.as_str();
    match &config.trust_bundle {
        TrustBundleSource::InsecureBootstrap => Ok(BootstrapTrust::InsecureBootstrap),
        TrustBundleSource::Path(path) => {
            let bytes = std::fs::read(path).map_err(|source| BootstrapError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let origin = path.display().to_string();
            parse_bundle(&bytes, config.trust_bundle_format, td, &origin).map(BootstrapTrust::Roots)
        }
        TrustBundleSource::Url { url, unix_socket } => {
            let bytes = get(url, unix_socket.as_deref().map(Path::new))
                .await
                .map_err(|source| BootstrapError::Download {
                    url: url.clone(),
                    source,
                })?;
            parse_bundle(&bytes, config.trust_bundle_format, td, url).map(BootstrapTrust::Roots)
        }
    }
}

/// The X.509 authorities of a bundle document (`pem` or `spiffe` per `trust_bundle_format`).
pub fn parse_bundle(
    bytes: &[u8],
    format: TrustBundleFormat,
    trust_domain: &str,
    origin: &str,
) -> Result<Vec<Vec<u8>>, BootstrapError> {
    let parse = |reason: String| BootstrapError::Parse {
        origin: origin.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| parse(e.to_string()))?;
    let bundle = match format {
        TrustBundleFormat::Pem => Bundle::from_pem(trust_domain, text),
        TrustBundleFormat::Spiffe => Bundle::from_spiffe_json(trust_domain, text),
    }
    .map_err(|e| parse(e.to_string()))?;
    let roots: Vec<Vec<u8>> = bundle.x509_authorities.into_iter().map(|a| a.der).collect();
    if roots.is_empty() {
        return Err(BootstrapError::Empty {
            origin: origin.to_owned(),
        });
    }
    Ok(roots)
}

/// What the first attestation trusts: a bundle stored by an earlier run wins over the
/// bootstrap bundle, as in SPIRE; with neither, the insecure bootstrap (if configured).
pub fn initial_roots(stored: &[Vec<u8>], bootstrap: &BootstrapTrust) -> Option<Vec<Vec<u8>>> {
    if !stored.is_empty() {
        return Some(stored.to_vec());
    }
    match bootstrap {
        BootstrapTrust::Roots(roots) => Some(roots.clone()),
        BootstrapTrust::InsecureBootstrap => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Vec<u8> {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).expect("sign").der().to_vec()
    }

    #[test]
    fn pem_bundle_yields_its_certificates() {
        let der = cert();
        let pem = pem::encode(&pem::Pem::new("CERTIFICATE", der.clone()));
        let roots = parse_bundle(
            pem.as_bytes(),
            TrustBundleFormat::Pem,
            "example.org",
            "b.pem",
        )
        .expect("parse");
        assert_eq!(roots, vec![der]);
    }

    #[test]
    fn spiffe_bundle_yields_its_x509_authorities() {
        let der = cert();
        let bundle = Bundle {
            trust_domain: "example.org".into(),
            x509_authorities: vec![spire_spiffe::X509Authority {
                der: der.clone(),
                tainted: false,
            }],
            ..Default::default()
        };
        let json = bundle.to_spiffe_json().expect("json");
        let roots = parse_bundle(
            json.as_bytes(),
            TrustBundleFormat::Spiffe,
            "example.org",
            "b.json",
        )
        .expect("parse");
        assert_eq!(roots, vec![der]);
    }

    #[test]
    fn garbage_bundle_is_an_error_naming_its_origin() {
        let err = parse_bundle(
            b"{nope",
            TrustBundleFormat::Spiffe,
            "example.org",
            "/x/b.json",
        )
        .expect_err("garbage");
        assert!(err.to_string().contains("/x/b.json"), "{err}");
    }

    #[test]
    fn stored_bundle_wins_over_bootstrap_and_insecure_trusts_nothing() {
        let stored = vec![vec![1u8]];
        let boot = BootstrapTrust::Roots(vec![vec![2u8]]);
        assert_eq!(initial_roots(&stored, &boot), Some(stored.clone()));
        assert_eq!(initial_roots(&[], &boot), Some(vec![vec![2u8]]));
        assert_eq!(initial_roots(&[], &BootstrapTrust::InsecureBootstrap), None);
    }
}
