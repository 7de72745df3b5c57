//! Bundles as concatenated PEM certificates (`bundle show -format pem`, `bundle set -format pem`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Bundle, BundleError, X509Authority, check_certificate, parse_trust_domain};

impl Bundle {
    /// The X.509 authorities as PEM `CERTIFICATE` blocks, LF line endings, 64 columns, as Go's
    /// `pem.Encode` writes them.
    pub fn x509_pem(&self) -> String {
        let mut out = String::new();
        for authority in &self.x509_authorities {
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            // 48 input bytes are exactly one 64-character line of base64.
            for chunk in authority.der.chunks(48) {
                out.push_str(&STANDARD.encode(chunk));
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        out
    }

    /// Reads a bundle of X.509 authorities from concatenated PEM `CERTIFICATE` blocks.
    pub fn from_pem(trust_domain: &str, pem_text: &str) -> Result<Bundle, BundleError> {
        let trust_domain = parse_trust_domain(trust_domain)?;
        let blocks = pem::parse_many(pem_text).map_err(|e| BundleError::Pem(e.to_string()))?;
        if blocks.is_empty() {
            return Err(BundleError::NoCertificates);
        }
        let mut x509_authorities = Vec::with_capacity(blocks.len());
        for (index, block) in blocks.into_iter().enumerate() {
            if block.tag() != "CERTIFICATE" {
                return Err(BundleError::NotCertificatePem {
                    index,
                    tag: block.tag().to_owned(),
                });
            }
            let der = block.into_contents();
            check_certificate(index, &der)?;
            x509_authorities.push(X509Authority {
                der,
                tainted: false,
            });
        }
        Ok(Bundle {
            trust_domain,
            x509_authorities,
            ..Bundle::default()
        })
    }
}
