//! Trust bundles as `spire-server bundle ...` prints them.

use spire_proto::spire::api::types::Bundle;

use super::pem::{pem_block, split_der_sequence};
use super::pluralize;
use crate::convert::bundle_to_domain;
use crate::error::CliError;

/// `-format pem`: the X.509 authorities as PEM certificates.
pub const FORMAT_PEM: &str = "pem";
/// `-format spiffe`: the SPIFFE bundle document (JWKS).
pub const FORMAT_SPIFFE: &str = "spiffe";

/// SPIRE's `validateFormat`: empty means pem, case-insensitive.
pub fn validate_format(format: &str) -> Result<&'static str, CliError> {
    match format.to_lowercase().as_str() {
        "" | FORMAT_PEM => Ok(FORMAT_PEM),
        FORMAT_SPIFFE => Ok(FORMAT_SPIFFE),
        other => Err(CliError::invalid(format!("invalid format: {other:?}"))),
    }
}

/// One bundle in `format`; with `header`, preceded by the starred trust
/// domain banner `bundle list` prints.
pub fn bundle_text(bundle: &Bundle, format: &str, header: bool) -> Result<String, CliError> {
    let format = validate_format(format)?;
    let mut out = String::new();
    if header {
        out.push_str(&format!(
            "****************************************\n* {}\n****************************************\n",
            bundle.trust_domain
        ));
    }
    if format == FORMAT_PEM {
        for authority in &bundle.x509_authorities {
            let certs = split_der_sequence(&authority.asn1).map_err(|e| {
                CliError::invalid(format!("unable to parse certificates ASN.1 DER data: {e}"))
            })?;
            for cert in certs {
                out.push_str(&pem_block("CERTIFICATE", cert));
            }
        }
    } else {
        let document = bundle_to_domain(bundle)
            .to_spiffe_json()
            .map_err(|e| CliError::invalid(e.to_string()))?;
        out.push_str(&document);
        out.push('\n');
    }
    Ok(out)
}

/// `bundle list` without `-id`: every bundle with its banner, a blank line between.
pub fn bundle_list(bundles: &[Bundle], format: &str) -> Result<String, CliError> {
    let mut out = String::new();
    for (i, bundle) in bundles.iter().enumerate() {
        if i != 0 {
            out.push('\n');
        }
        out.push_str(&bundle_text(bundle, format, true)?);
    }
    Ok(out)
}

/// `bundle count`.
pub fn bundle_count(count: i32) -> String {
    let n = i64::from(count);
    pluralize(&format!("{n} "), "bundle", "bundles", n) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use spire_proto::spire::api::types::X509Certificate;

    fn bundle(td: &str, der: Vec<u8>) -> Bundle {
        Bundle {
            trust_domain: td.into(),
            x509_authorities: vec![X509Certificate {
                asn1: der,
                tainted: false,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn pem_format_prints_each_authority_as_a_certificate_block() {
        let text = bundle_text(&bundle("example.org", vec![0x30, 0x01, 0x00]), "PEM", false)
            .expect("valid DER");
        assert_eq!(
            text,
            "-----BEGIN CERTIFICATE-----\nMAEA\n-----END CERTIFICATE-----\n"
        );
    }

    #[test]
    fn list_puts_banners_and_blank_lines_between_bundles() {
        let text = bundle_list(
            &[
                bundle("a.org", vec![0x30, 0x00]),
                bundle("b.org", vec![0x30, 0x00]),
            ],
            "pem",
        )
        .expect("valid DER");
        assert_eq!(
            text,
            "****************************************\n* a.org\n****************************************\n\
             -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n\n\
             ****************************************\n* b.org\n****************************************\n\
             -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
        );
    }

    #[test]
    fn empty_bundle_in_spiffe_format_has_empty_keys() {
        let text = bundle_text(
            &Bundle {
                trust_domain: "example.org".into(),
                ..Default::default()
            },
            "spiffe",
            false,
        )
        .expect("empty bundle is printable");
        assert_eq!(text, "{\n    \"keys\": []\n}\n");
    }

    #[test]
    fn rejects_unknown_format_and_bad_der() {
        let err = bundle_text(&Bundle::default(), "jwks", false).expect_err("unknown format");
        assert_eq!(err.to_string(), "invalid format: \"jwks\"");
        let err = bundle_text(&bundle("a.org", vec![0x30, 0x05]), "pem", false)
            .expect_err("truncated DER");
        assert_eq!(
            err.to_string(),
            "unable to parse certificates ASN.1 DER data: x509: malformed certificate"
        );
    }

    #[test]
    fn count_pluralizes() {
        assert_eq!(bundle_count(1), "1 bundle\n");
        assert_eq!(bundle_count(3), "3 bundles\n");
    }
}
