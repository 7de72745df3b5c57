//! Reading PEM certificate and key files: the plugins' only I/O, done at construction.

use std::path::Path;

/// Why a PEM file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PemFileError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid PEM: {message}")]
    Pem { path: String, message: String },
    #[error("{path} holds no {label} block")]
    Missing { path: String, label: &'static str },
}

/// All `CERTIFICATE` blocks of `path`, in order, as DER.
pub fn load_certificates(path: impl AsRef<Path>) -> Result<Vec<Vec<u8>>, PemFileError> {
    let path = path.as_ref();
    let blocks = parse(path)?;
    let certs: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .collect();
    if certs.is_empty() {
        return Err(PemFileError::Missing {
            path: path.display().to_string(),
            label: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The first private key block of `path`: its label and DER.
pub fn load_private_key(path: impl AsRef<Path>) -> Result<(String, Vec<u8>), PemFileError> {
    let path = path.as_ref();
    parse(path)?
        .into_iter()
        .find(|b| b.tag().ends_with("PRIVATE KEY"))
        .map(|b| (b.tag().to_owned(), b.into_contents()))
        .ok_or_else(|| PemFileError::Missing {
            path: path.display().to_string(),
            label: "PRIVATE KEY",
        })
}

fn parse(path: &Path) -> Result<Vec<pem::Pem>, PemFileError> {
    let bytes = std::fs::read(path).map_err(|source| PemFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    pem::parse_many(&bytes).map_err(|e| PemFileError::Pem {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
